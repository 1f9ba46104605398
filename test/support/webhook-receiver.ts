// A local HTTP receiver standing in for a Slack incoming webhook: it keeps every JSON body posted to it and can
// be told to answer the next posts with an error status.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedPost {
  path: string;
  contentType: string | undefined;
  body: unknown;
}

export interface WebhookReceiver {
  /** The webhook URL, with a secret-looking path as Slack's have. */
  url: string;
  /** The secret part of the path, to check it never leaks. */
  secret: string;
  /** Posts answered 2xx, in order. */
  received: ReceivedPost[];
  /** Posts answered with an error status. */
  refused: number;
  /** Answer the next `count` posts with `status` instead of 200. */
  failNext(count: number, status: number): void;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const secret = 'T0TESTTEAM/B0TESTHOOK/s3cr3tW3bh00kT0k3n';
  let failures: { count: number; status: number } = { count: 0, status: 200 };
  const receiver: Omit<WebhookReceiver, 'url' | 'close'> & { failNext: WebhookReceiver['failNext'] } = {
    secret,
    received: [],
    refused: 0,
    failNext(count, status) {
      failures = { count, status };
    },
  };
  const server = createServer((request, response) => {
    readBody(request)
      .then((text) => {
        if (failures.count > 0) {
          failures.count -= 1;
          receiver.refused += 1;
          response.writeHead(failures.status, { 'content-type': 'text/plain' }).end('no');
          return;
        }
        receiver.received.push({
          path: request.url ?? '',
          contentType: request.headers['content-type'],
          body: JSON.parse(text) as unknown,
        });
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      })
      .catch(() => response.writeHead(400).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    ...receiver,
    get received() {
      return receiver.received;
    },
    get refused() {
      return receiver.refused;
    },
    url: `http://127.0.0.1:${port}/services/${secret}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
