import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatMessage } from '../../src/core/types';
import { countChatPromptTokens, planCompletion } from './completion-plan';
import {
  PrefixCache,
  cachedTokensFor,
  chatPromptTokenSequence,
  checkPrefixCacheRule,
  type PrefixCacheRule,
} from './prefix-cache';
import { scriptAnswer, type ScriptedAnswer } from './scripted-model';
import { SlotQueue } from './slot-queue';

export { countChatPromptTokens, countTextTokens } from './completion-plan';
export { ANY_PREFIX_CACHE, OPENAI_PREFIX_CACHE, type PrefixCacheRule } from './prefix-cache';

/**
 * A local OpenAI-compatible server for tests and benchmarks: real HTTP on 127.0.0.1, real server-sent
 * events, `max_tokens` honoured with `finish_reason: 'length'`, usage counted with o200k_base, and faults on
 * demand. Answers come from the scripted model (`scripted-model.ts`). It is the provider's bill too: each
 * request records what the server processed ({@link RecordedRequest.billed}), and the tokenizer, chunking and
 * slot options let it behave like servers that count, stream and queue differently.
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
  /**
   * A server with another tokenizer: it counts and bills `Math.ceil(o200kChatPromptCount * promptTokenFactor)`
   * prompt tokens.
   */
  promptTokenFactor: number;
  /**
   * Server tokens per o200k completion token: n o200k tokens count as `Math.ceil(n * completionTokenFactor)`.
   * `max_tokens` is in server tokens, and usage and the bill report server tokens.
   */
  completionTokenFactor: number;
  /**
   * When set, every content chunk carries exactly this many o200k tokens (the last may carry fewer), as servers
   * that send several tokens per event do; otherwise chunks are one to three words.
   */
  tokensPerChunk?: number;
  /**
   * When set, at most this many chat streams are served at once; later chat requests wait in arrival order with
   * nothing written, not even a status line, as llama.cpp's server holds requests while all its slots are busy.
   */
  slots?: number;
  /** Pause after the headers before the first chunk, as prompt processing takes. */
  firstChunkDelayMs: number;
  /**
   * Answers a request with this text instead of the scripted answer when it returns a string: a model that
   * goes wrong for one agent (a decision it cannot give, say) while the others answer as usual.
   */
  answerOverride?: (messages: readonly ChatMessage[]) => string | undefined;
  /**
   * When set, the server keeps a prompt prefix cache and reports the part of each prompt it served in
   * `usage.prompt_tokens_details.cached_tokens` and in the bill: the longest token prefix the prompt shares
   * with an earlier prompt (chat format tokens included), served as the rule says. `OPENAI_PREFIX_CACHE`
   * follows OpenAI's documented rule (nothing below 1,024 tokens, then 128-token steps). Unset, cached tokens
   * are reported as 0, as a server without a cache does. Changing the rule empties the cache.
   */
  prefixCache?: PrefixCacheRule;
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
  /**
   * What the server billed, in server tokens: set when a 200 stream starts (the prompt has been processed by
   * then) and brought up to date after every chunk written to the socket, so a stream cut short is billed what
   * was written before the cut. Undefined for requests answered with an error, or that never left the queue.
   */
  billed?: BilledUsage;
}

/** Tokens the server charged for one request. */
export interface BilledUsage {
  promptTokens: number;
  completionTokens: number;
  /** The part of `promptTokens` served from the prefix cache; set only when {@link Behaviour.prefixCache} is. */
  cachedPromptTokens?: number;
}

/** The bill over several requests; `requests` counts those that were billed. */
export interface BilledTotals {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Sum of the bills' cached prompt tokens; set only when a bill carried them. */
  cachedPromptTokens?: number;
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
  /** Prompt tokens the server reports and bills for `messages` (with {@link Behaviour.promptTokenFactor}). */
  countPromptTokens(messages: readonly ChatMessage[]): number;
  /** Streaming responses still open (a hung stream stays open until its client disconnects). */
  openStreamCount(): number;
  /** Chat requests waiting for a free slot (see {@link Behaviour.slots}). */
  queuedRequestCount(): number;
  /** Sums {@link RecordedRequest.billed} over the recorded requests, or over those `filter` keeps. */
  billedTotals(filter?: (request: RecordedRequest) => boolean): BilledTotals;
  /** Ends every stream and every queued request, then stops listening. */
  close(): Promise<void>;
}

const DEFAULT_BEHAVIOUR: Behaviour = {
  chunkDelayMs: 0,
  verbosity: 'compliant',
  complianceRate: 0.95,
  seed: 1,
  ignoreMaxTokens: false,
  models: ['gpt-4o-mini', 'scripted-model'],
  promptTokenFactor: 1,
  completionTokenFactor: 1,
  firstChunkDelayMs: 0,
};

/** Starts the server on 127.0.0.1 on a free port. */
export async function startFakeOpenAiServer(options: FakeServerOptions = {}): Promise<FakeOpenAiServer> {
  const behaviour: Behaviour = { ...DEFAULT_BEHAVIOUR, ...options };
  checkBehaviour(behaviour);
  const faults: Fault[] = [];
  const requests: RecordedRequest[] = [];
  /** Chat requests from the moment they queue for a slot until their response closes. */
  const chatResponses = new Map<ServerResponse, AbortSignal>();
  const streaming = new Set<ServerResponse>();
  const slots = new SlotQueue(() => behaviour.slots);
  let completionCounter = 0;
  let prefixCache = behaviour.prefixCache ? new PrefixCache(behaviour.prefixCache) : undefined;

  /** The cached part of a prompt now being processed (in server tokens), remembering it for later prompts. */
  function servedFromCache(messages: readonly ChatMessage[], promptTokens: number): number | undefined {
    if (!prefixCache) return undefined;
    const matched = prefixCache.matchAndRemember(chatPromptTokenSequence(messages));
    const served = cachedTokensFor(Math.floor(matched * behaviour.promptTokenFactor), prefixCache.rule);
    return Math.min(served, promptTokens);
  }

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

    const over = whenResponseOver(response);
    if (over.aborted) return;
    chatResponses.set(response, over);
    over.addEventListener('abort', () => chatResponses.delete(response), { once: true });
    if (!(await slots.take(over)) || over.aborted) return;
    await serveStream(response, recorded, over, {
      model: body.model,
      messages: body.messages,
      limit: body.max_tokens ?? body.max_completion_tokens,
      includeUsage: body.stream_options?.include_usage === true,
      fault,
    });
  }

  /** Streams the answer while `response` holds a slot, billing each chunk as it is written. */
  async function serveStream(
    response: ServerResponse,
    recorded: RecordedRequest,
    over: AbortSignal,
    chat: {
      model: string;
      messages: ChatMessage[];
      limit: number | undefined;
      includeUsage: boolean;
      fault: Fault | undefined;
    },
  ): Promise<void> {
    const { fault } = chat;
    const plan = planCompletion(
      chat.messages,
      { limit: chat.limit, loop: fault?.kind === 'loop' },
      behaviour,
    );
    const promptTokens = serverPromptTokens(chat.messages, behaviour);
    const cachedTokens = servedFromCache(chat.messages, promptTokens);
    completionCounter++;
    const id = `chatcmpl-fake-${completionCounter}`;
    const created = Math.floor(Date.now() / 1000);
    const frame = (choices: unknown[], usage?: unknown): string =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: chat.model, choices, ...(usage === undefined ? {} : { usage }) })}\n\n`;
    // A write the client can no longer receive is not billed, so a stream learns of a vanished client from
    // its socket too, before the close event has run.
    const gone = (): boolean => over.aborted || !response.socket || response.socket.destroyed;

    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    streaming.add(response);
    response.once('close', () => streaming.delete(response));
    const billed: BilledUsage = {
      promptTokens,
      completionTokens: 0,
      ...(cachedTokens === undefined ? {} : { cachedPromptTokens: cachedTokens }),
    };
    recorded.billed = billed;
    if (behaviour.firstChunkDelayMs > 0) {
      // The status line goes out first, so the client sees the 200 and then waits for the first token.
      response.flushHeaders();
      await delay(behaviour.firstChunkDelayMs);
      if (gone()) return;
    }
    response.write(frame([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]));

    let writtenTokens = 0;
    for (const [index, chunk] of plan.chunks.entries()) {
      if (fault?.kind === 'drop' && index >= fault.afterChunks) {
        await dropConnection(response);
        return;
      }
      // A hung stream keeps its slot until its client leaves or the server closes.
      if (fault?.kind === 'hang' && index >= fault.afterChunks) return;
      if (behaviour.chunkDelayMs > 0) await delay(behaviour.chunkDelayMs);
      if (gone()) return;
      response.write(frame([{ index: 0, delta: { content: chunk.text }, finish_reason: null }]));
      writtenTokens += chunk.tokenCount;
      billed.completionTokens = plan.countCompletion(writtenTokens);
    }
    if (fault?.kind === 'drop') {
      await dropConnection(response);
      return;
    }
    if (fault?.kind === 'hang') return;
    response.write(frame([{ index: 0, delta: {}, finish_reason: plan.finishReason }]));
    if (chat.includeUsage && fault?.kind !== 'omit-usage') {
      response.write(
        frame([], {
          prompt_tokens: promptTokens,
          completion_tokens: plan.completionTokens,
          total_tokens: promptTokens + plan.completionTokens,
          prompt_tokens_details: { cached_tokens: cachedTokens ?? 0 },
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
      checkBehaviour({ ...behaviour, ...update });
      const cacheChanged = 'prefixCache' in update && update.prefixCache !== behaviour.prefixCache;
      Object.assign(behaviour, update);
      if (cacheChanged)
        prefixCache = behaviour.prefixCache ? new PrefixCache(behaviour.prefixCache) : undefined;
      // More slots (or none) let waiting requests in now rather than when the next stream ends.
      slots.admit();
    },
    preview(messages) {
      return scriptAnswer(messages, behaviour);
    },
    countPromptTokens(messages) {
      return serverPromptTokens(messages, behaviour);
    },
    openStreamCount() {
      return streaming.size;
    },
    queuedRequestCount() {
      return slots.waitingCount;
    },
    billedTotals(filter = () => true) {
      const totals: BilledTotals = { requests: 0, promptTokens: 0, completionTokens: 0, totalTokens: 0 };
      for (const request of requests) {
        if (!request.billed || !filter(request)) continue;
        totals.requests++;
        totals.promptTokens += request.billed.promptTokens;
        totals.completionTokens += request.billed.completionTokens;
        if (request.billed.cachedPromptTokens !== undefined)
          totals.cachedPromptTokens = (totals.cachedPromptTokens ?? 0) + request.billed.cachedPromptTokens;
      }
      totals.totalTokens = totals.promptTokens + totals.completionTokens;
      return totals;
    },
    async close() {
      // closeAllConnections ends hung streams and waiting requests too; waiting until each has seen its end
      // means the counts a test reads after close() are settled.
      const ended = [...chatResponses.values()].map(
        (over) =>
          new Promise<void>((resolve) => over.addEventListener('abort', () => resolve(), { once: true })),
      );
      server.closeAllConnections();
      await Promise.all([
        ...ended,
        new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
      ]);
    },
  };
}

/** Throws when a setting would make the server count or queue nonsensically. */
function checkBehaviour(behaviour: Behaviour): void {
  for (const name of ['promptTokenFactor', 'completionTokenFactor'] as const) {
    if (!(behaviour[name] > 0))
      throw new Error(`${name} must be a positive number (1 counts like o200k); got ${behaviour[name]}.`);
  }
  for (const name of ['tokensPerChunk', 'slots'] as const) {
    const value = behaviour[name];
    if (value !== undefined && !(Number.isInteger(value) && value > 0))
      throw new Error(`${name} must be a positive whole number, or left out; got ${value}.`);
  }
  if (behaviour.prefixCache) checkPrefixCacheRule(behaviour.prefixCache);
}

/** Prompt tokens the server counts and bills for `messages`. */
function serverPromptTokens(messages: readonly ChatMessage[], behaviour: Behaviour): number {
  return Math.ceil(countChatPromptTokens(messages) * behaviour.promptTokenFactor);
}

/** A signal that aborts when `response` closes: finished, dropped, or its client gone. */
function whenResponseOver(response: ServerResponse): AbortSignal {
  const over = new AbortController();
  if (!response.socket || response.socket.destroyed) over.abort();
  else response.once('close', () => over.abort());
  return over.signal;
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
