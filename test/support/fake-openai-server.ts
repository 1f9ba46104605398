import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Tiktoken } from 'js-tiktoken/lite' with { 'resolution-mode': 'import' };
import type { ChatMessage } from '../../src/core/types';
import { scriptAnswer, seededRandom, hashString, type ScriptedAnswer } from './scripted-model';

/**
 * A local OpenAI-compatible server for tests and benchmarks: real HTTP on 127.0.0.1, real server-sent
 * events, `max_tokens` honoured with `finish_reason: 'length'`, usage counted with o200k_base, and faults on
 * demand. Answers come from the scripted model (`scripted-model.ts`).
 */

/** One fault, consumed by the next chat request (one per request, in order). */
export type Fault =
  /** Answer with this HTTP status and an OpenAI-shaped error body (or `body` verbatim). */
  | { kind: 'status'; status: number; retryAfterSeconds?: number; body?: string }
  /** Stream `afterChunks` content chunks, then destroy the socket. */
  | { kind: 'drop'; afterChunks: number }
  /** Stream `afterChunks` content chunks, then send nothing more until the client leaves or the server closes. */
  | { kind: 'hang'; afterChunks: number }
  /** Finish normally but leave out the usage chunk even when it was asked for. */
  | { kind: 'omit-usage' }
  /**
   * Answer like a small model stuck in a loop: the scripted answer's first paragraph, then that paragraph
   * again and again until `max_tokens` (or 2,000 tokens) stops it.
   */
  | { kind: 'loop' };

export interface Behaviour {
  /** Pause between two streamed chunks. */
  chunkDelayMs: number;
  /** See {@link ScriptOptions.verbosity}: `compliant` follows the prompt, `baseline` ignores word limits. */
  verbosity: 'compliant' | 'baseline';
  /** Probability of keeping a word limit found in the prompt. */
  complianceRate: number;
  seed: number;
  /** When set, a bearer token other than this one gets a 401. */
  requireApiKey?: string;
  /** Keep streaming past `max_tokens`, as a misbehaving server would (the client's stream monitor must stop it). */
  ignoreMaxTokens: boolean;
  /** Model ids listed by GET /v1/models; chat requests may name any model. */
  models: string[];
}

export type FakeServerOptions = Partial<Behaviour>;

/** One request as the server received it; the authorization header's value is never kept. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** Parsed JSON body (undefined for GET or an unparsable body). */
  body: ChatCompletionRequestBody | undefined;
  headers: Record<string, string>;
  /** Milliseconds since the epoch. */
  receivedAt: number;
  /** Which fault, if any, this request consumed. */
  fault?: Fault;
}

export interface ChatCompletionRequestBody {
  model?: string;
  messages?: ChatMessage[];
  max_tokens?: number;
  max_completion_tokens?: number;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  temperature?: number;
  [key: string]: unknown;
}

export interface FakeOpenAiServer {
  /** Base URL ending in `/v1`, for `OPENAI_BASE_URL`. */
  url: string;
  requests: RecordedRequest[];
  enqueueFault(fault: Fault): void;
  setBehaviour(behaviour: Partial<Behaviour>): void;
  /** The answer the scripted model gives `messages` under the current behaviour (before any `max_tokens` cut). */
  preview(messages: readonly ChatMessage[]): ScriptedAnswer;
  /** Prompt tokens the server reports for `messages`. */
  countPromptTokens(messages: readonly ChatMessage[]): number;
  /** Streaming responses still open (a hung stream stays open until its client disconnects). */
  openStreamCount(): number;
  close(): Promise<void>;
}

const DEFAULT_BEHAVIOUR: Behaviour = {
  chunkDelayMs: 0,
  verbosity: 'compliant',
  complianceRate: 0.95,
  seed: 1,
  ignoreMaxTokens: false,
  models: ['gpt-4o-mini', 'scripted-model'],
};

let encoder: Tiktoken | undefined;
/** The o200k_base encoder, built once per process (building it takes a noticeable fraction of a second). */
function o200k(): Tiktoken {
  if (encoder) return encoder;
  // js-tiktoken ships CommonJS builds but ESM-only typings, so it is required with the ESM types attached.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lite = require('js-tiktoken/lite') as typeof import('js-tiktoken/lite', {
    with: { 'resolution-mode': 'import' },
  });
  // The CommonJS build of the ranks exports the object itself, not a `default`.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ranks = require('js-tiktoken/ranks/o200k_base') as ConstructorParameters<typeof lite.Tiktoken>[0];
  encoder = new lite.Tiktoken(ranks);
  return encoder;
}

/**
 * Prompt tokens the way OpenAI's cookbook counts a chat request: 3 tokens per message, the role and content
 * tokens, and 3 tokens priming the reply.
 */
export function countChatPromptTokens(messages: readonly ChatMessage[]): number {
  let total = 3;
  for (const message of messages)
    total += 3 + o200k().encode(message.role).length + o200k().encode(message.content).length;
  return total;
}

/** Tokens of `text` in o200k_base, as the server counts a completion. */
export function countTextTokens(text: string): number {
  return o200k().encode(text).length;
}

/** Starts the server on 127.0.0.1 on a free port. */
export async function startFakeOpenAiServer(options: FakeServerOptions = {}): Promise<FakeOpenAiServer> {
  const behaviour: Behaviour = { ...DEFAULT_BEHAVIOUR, ...options };
  const faults: Fault[] = [];
  const requests: RecordedRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const streaming = new Set<ServerResponse>();
  let completionCounter = 0;

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, 500, `fake server failure: ${String(error)}`);
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = await readBody(request);
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    let body: ChatCompletionRequestBody | undefined;
    try {
      body = raw ? (JSON.parse(raw) as ChatCompletionRequestBody) : undefined;
    } catch {
      body = undefined;
    }
    const recorded: RecordedRequest = {
      method: request.method ?? 'GET',
      path,
      body,
      headers: recordHeaders(request),
      receivedAt: Date.now(),
    };
    requests.push(recorded);

    if (
      behaviour.requireApiKey !== undefined &&
      request.headers.authorization !== `Bearer ${behaviour.requireApiKey}`
    ) {
      sendError(response, 401, 'Incorrect API key provided.', 'invalid_api_key');
      return;
    }
    if (request.method === 'GET' && path === '/v1/models') {
      sendJson(response, 200, {
        object: 'list',
        data: behaviour.models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'tokenflow-test' })),
      });
      return;
    }
    if (request.method !== 'POST' || path !== '/v1/chat/completions') {
      sendError(response, 404, `No route ${request.method ?? ''} ${path}.`, 'not_found');
      return;
    }
    const fault = faults.shift();
    if (fault) recorded.fault = fault;
    if (fault?.kind === 'status') {
      const headers: Record<string, string> = {};
      if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
      if (fault.body !== undefined) {
        response.writeHead(fault.status, { 'content-type': 'application/json', ...headers });
        response.end(fault.body);
      } else {
        sendError(response, fault.status, `Injected fault with status ${fault.status}.`, 'injected', headers);
      }
      return;
    }
    if (!body || !Array.isArray(body.messages) || typeof body.model !== 'string') {
      sendError(
        response,
        400,
        'The body must be JSON with a model and a messages array.',
        'invalid_request_error',
      );
      return;
    }
    if (body.stream !== true) {
      // Only what tokenflow uses is implemented.
      sendError(response, 400, 'This test server only streams; set stream: true.', 'invalid_request_error');
      return;
    }
    const messages = body.messages;
    const limit = body.max_tokens ?? body.max_completion_tokens;
    const answer = scriptAnswer(messages, behaviour);
    let answerText = answer.text;
    if (fault?.kind === 'loop') {
      const paragraph = answer.text.split('\n\n')[0] ?? answer.text;
      const room = limit ?? 2000;
      answerText = paragraph;
      while (o200k().encode(answerText).length <= room) answerText += `\n\n###\n\n${paragraph}`;
    }
    let tokens = o200k().encode(answerText);
    let finishReason: 'stop' | 'length' = 'stop';
    if (limit !== undefined && tokens.length > limit && !behaviour.ignoreMaxTokens) {
      tokens = tokens.slice(0, Math.max(0, limit));
      finishReason = 'length';
    }
    const completion = o200k().decode(tokens);
    const chunks = splitIntoChunks(
      completion,
      seededRandom(hashString(`${behaviour.seed}|${completion.length}`)),
    );

    completionCounter++;
    const id = `chatcmpl-fake-${completionCounter}`;
    const created = Math.floor(Date.now() / 1000);
    const frame = (choices: unknown[], usage?: unknown): string =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices, ...(usage === undefined ? {} : { usage }) })}\n\n`;

    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    let closed = false;
    streaming.add(response);
    response.on('close', () => {
      closed = true;
      hanging.delete(response);
      streaming.delete(response);
    });
    response.write(frame([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]));

    for (const [index, chunk] of chunks.entries()) {
      if (fault?.kind === 'drop' && index >= fault.afterChunks) {
        await dropConnection(response);
        return;
      }
      if (fault?.kind === 'hang' && index >= fault.afterChunks) {
        hanging.add(response);
        return;
      }
      if (behaviour.chunkDelayMs > 0) await delay(behaviour.chunkDelayMs);
      if (closed) return;
      response.write(frame([{ index: 0, delta: { content: chunk }, finish_reason: null }]));
    }
    if (fault?.kind === 'drop') {
      await dropConnection(response);
      return;
    }
    if (fault?.kind === 'hang') {
      hanging.add(response);
      return;
    }
    response.write(frame([{ index: 0, delta: {}, finish_reason: finishReason }]));
    if (body.stream_options?.include_usage === true && fault?.kind !== 'omit-usage') {
      const promptTokens = countChatPromptTokens(messages);
      response.write(
        frame([], {
          prompt_tokens: promptTokens,
          completion_tokens: tokens.length,
          total_tokens: promptTokens + tokens.length,
          prompt_tokens_details: { cached_tokens: 0 },
        }),
      );
    }
    response.write('data: [DONE]\n\n');
    response.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    enqueueFault(fault) {
      faults.push(fault);
    },
    setBehaviour(update) {
      Object.assign(behaviour, update);
    },
    preview(messages) {
      return scriptAnswer(messages, behaviour);
    },
    countPromptTokens(messages) {
      return countChatPromptTokens(messages);
    },
    openStreamCount() {
      return streaming.size;
    },
    async close() {
      for (const response of hanging) response.destroy();
      hanging.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

/** Pieces of one to three words, each with its leading whitespace, as a model streams tokens. */
function splitIntoChunks(text: string, random: () => number): string[] {
  const words: string[] = [...(text.match(/\s*\S+/g) ?? [])];
  const tail = text.slice(words.join('').length);
  if (tail) words.push(tail);
  const chunks: string[] = [];
  for (let index = 0; index < words.length;) {
    const size = 1 + Math.floor(random() * 3);
    chunks.push(words.slice(index, index + size).join(''));
    index += size;
  }
  return chunks;
}

function recordHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    // Whether a key was sent is useful to a test; the key itself is never kept.
    headers[name] = name === 'authorization' ? '[redacted]' : Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    request.on('error', reject);
  });
}

function sendJson(
  response: ServerResponse,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(payload));
}

function sendError(
  response: ServerResponse,
  status: number,
  message: string,
  code = 'error',
  headers: Record<string, string> = {},
): void {
  sendJson(response, status, { error: { message, type: code, param: null, code } }, headers);
}

/** Lets what was written reach the client, then cuts the connection without ending the response. */
async function dropConnection(response: ServerResponse): Promise<void> {
  const socket = response.socket;
  for (let wait = 0; socket && socket.writableLength > 0 && wait < 100; wait++) await delay(5);
  await delay(10);
  response.socket?.destroy();
}

function delay(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
