import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PayloadCodec } from '@temporalio/common';
import { JSONToPayload, payloadToJSON, type JSONPayload } from '@temporalio/common/lib/proto-utils';

/** Port of the codec server when none is given (the samples' choice). */
export const DEFAULT_CODEC_SERVER_PORT = 8888;
/** Interface it listens on by default: it decrypts for whoever asks, so only this machine may ask. */
export const DEFAULT_CODEC_SERVER_HOST = '127.0.0.1';
/** Largest request body read; the UI sends a page of events' payloads, each at most Temporal's 2 MB. */
const MAXIMUM_BODY_BYTES = 32 * 1024 * 1024;

export interface CodecServerOptions {
  /** Applied in order on /encode and in reverse on /decode, as the SDK's data converter does. */
  codecs: PayloadCodec[];
  /** The Temporal UI's origin (scheme, host and port) allowed to call from a browser. */
  allowedOrigin: string;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
}

export interface CodecServer {
  /** Base URL to give the UI as its codec endpoint. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A request the server refuses, with the HTTP status that says why. */
class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Temporal's remote codec protocol over HTTP, for the Temporal UI and CLI: POST `/encode` and `/decode` take
 * and return `{ payloads: [{ metadata: { key: base64 }, data: base64 }] }` (a namespace prefix such as
 * `/default/decode` is accepted). Browsers from other origins than `allowedOrigin` are refused.
 */
export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const allowedOrigin = new URL(options.allowedOrigin).origin;
  const server = createServer((request, response) => {
    handle(request, response, options.codecs, allowedOrigin).catch((error: unknown) => {
      // Payload text never reaches the log: the codec's errors name keys and ids, not data.
      process.stderr.write(`codec server: ${(error as Error).message}\n`);
      if (!response.headersSent) send(response, 500, { message: 'The codec server failed; see its log.' });
      else response.destroy();
    });
  });
  const host = options.host ?? DEFAULT_CODEC_SERVER_HOST;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_CODEC_SERVER_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  codecs: PayloadCodec[],
  allowedOrigin: string,
): Promise<void> {
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== allowedOrigin) {
    send(response, 403, {
      message: `Origin ${origin} may not use this codec server; start it with --origin ${origin}.`,
    });
    return;
  }
  if (origin !== undefined) {
    response.setHeader('Access-Control-Allow-Origin', allowedOrigin);
    response.setHeader('Access-Control-Allow-Credentials', 'true');
    response.setHeader('Vary', 'Origin');
  }
  if (request.method === 'OPTIONS') {
    response.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    response.setHeader('Access-Control-Allow-Headers', 'content-type, x-namespace, authorization');
    response.setHeader('Access-Control-Max-Age', '600');
    response.writeHead(204).end();
    return;
  }
  const operation = /\/(encode|decode)$/.exec(new URL(request.url ?? '/', 'http://codec').pathname)?.[1];
  if (request.method !== 'POST' || !operation) {
    send(response, 404, { message: 'The codec server answers POST /encode and POST /decode only.' });
    return;
  }
  try {
    const payloads = parsePayloads(await readBody(request)).map(JSONToPayload);
    const transformed =
      operation === 'encode'
        ? await codecs.reduce(
            async (current, codec) => codec.encode(await current),
            Promise.resolve(payloads),
          )
        : await codecs.reduceRight(
            async (current, codec) => codec.decode(await current),
            Promise.resolve(payloads),
          );
    send(response, 200, { payloads: transformed.map(payloadToJSON) });
  } catch (error) {
    // A payload the codec refuses (altered, another key) is the caller's problem, not the server's.
    const status = error instanceof RequestError ? error.status : 400;
    send(response, status, { message: (error as Error).message });
  }
}

function parsePayloads(body: string): JSONPayload[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new RequestError(400, 'The body must be JSON of the form {"payloads": [...]}.');
  }
  const payloads = (parsed as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(payloads)) {
    throw new RequestError(400, 'The body must be JSON of the form {"payloads": [...]}.');
  }
  return payloads as JSONPayload[];
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > MAXIMUM_BODY_BYTES) {
      throw new RequestError(
        413,
        `The body is over ${MAXIMUM_BODY_BYTES} bytes; send fewer payloads at once.`,
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
