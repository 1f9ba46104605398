import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { FAILURE_TYPE } from '../core/failure-types';
import { FINISH_REASON } from '../core/finish-reasons';
import type { TokenUsage } from '../core/types';
import {
  ProviderError,
  type ChatProvider,
  type ChatRequest,
  type ChatResult,
  type FinishReason,
  type ProviderErrorType,
} from './provider';

/** Settings of an OpenAI-compatible endpoint. The key stays inside the provider's client. */
export interface OpenAiProviderOptions {
  /** Base URL ending in `/v1`; undefined means the `openai` package's default (OPENAI_BASE_URL or api.openai.com). */
  baseUrl?: string;
  /** Undefined for local servers that take no key: a placeholder is sent instead. */
  apiKey?: string;
  /**
   * Longest wait from sending the request to the first streamed chunk: covers the response headers and the
   * first chunk after them, since a busy server may send headers at once and then nothing while it queues us.
   */
  firstByteTimeoutMs: number;
  /** Longest silence between two streamed chunks once the answer has started. */
  idleTimeoutMs: number;
}

/** Sent when no key is configured; local OpenAI-compatible servers ignore the bearer token. */
const PLACEHOLDER_API_KEY = 'not-needed';

/** Header naming the call a request belongs to, for the endpoint's logs. */
export const CALL_ID_HEADER = 'x-tokenflow-call-id';

/**
 * Added to the first-byte timeout for the SDK's own timeout. The SDK's covers only the wait for headers and
 * says less, so it is a backstop that must never win the race against ours.
 */
const SDK_TIMEOUT_MARGIN_MS = 5_000;

/**
 * A {@link ChatProvider} for any OpenAI-compatible endpoint, streaming with usage. The client never retries
 * (`maxRetries: 0`): Temporal's retry policy owns retries, so every failure comes back at once as a
 * {@link ProviderError} classified as retryable or not.
 */
export function createOpenAiProvider(options: OpenAiProviderOptions): ChatProvider {
  const apiKey = options.apiKey ?? PLACEHOLDER_API_KEY;
  const client = new OpenAI({
    apiKey,
    ...(options.baseUrl === undefined ? {} : { baseURL: options.baseUrl }),
    maxRetries: 0,
    timeout: options.firstByteTimeoutMs + SDK_TIMEOUT_MARGIN_MS,
  });
  const redact = (text: string): string =>
    options.apiKey ? text.split(options.apiKey).join('[redacted]') : text;

  return {
    kind: 'openai',
    async stream(request, onDelta) {
      // Our own controller so a silent request can be cut without touching the caller's signal.
      const controller = new AbortController();
      const forwardAbort = (): void => controller.abort(request.signal?.reason);
      if (request.signal?.aborted) throw abortError(request.signal);
      request.signal?.addEventListener('abort', forwardAbort, { once: true });
      // One timer, re-armed on every chunk: the first-byte wait until the first chunk, the idle wait after it.
      let silenceTimer: NodeJS.Timeout | undefined;
      let timedOut: SilenceKind | undefined;
      const armSilenceTimer = (kind: SilenceKind): void => {
        clearTimeout(silenceTimer);
        silenceTimer = setTimeout(
          () => {
            timedOut = kind;
            controller.abort();
          },
          kind === 'first-byte' ? options.firstByteTimeoutMs : options.idleTimeoutMs,
        );
      };
      let text = '';
      const silenceError = (kind: SilenceKind): ProviderError =>
        kind === 'first-byte'
          ? new ProviderError(
              `The LLM endpoint sent nothing for ${formatSeconds(options.firstByteTimeoutMs)} after the request (a busy server may be queueing it); the call will be retried, and raising openai.firstByteTimeoutSeconds lets it wait longer.`,
              FAILURE_TYPE.FirstByteTimeout,
            )
          : new ProviderError(
              `The LLM stream went silent for ${formatSeconds(options.idleTimeoutMs)} after ${text.length} characters and was abandoned; the call will be retried, and raising openai.idleTimeoutSeconds tolerates longer pauses.`,
              FAILURE_TYPE.StreamDropped,
            );
      armSilenceTimer('first-byte');
      try {
        let stream;
        try {
          stream = await client.chat.completions.create(
            {
              model: request.model,
              messages: request.messages.map((message) => ({ role: message.role, content: message.content })),
              // `max_tokens` rather than `max_completion_tokens`: local OpenAI-compatible servers know only the former.
              max_tokens: request.maxTokens,
              ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
              ...(request.jsonSchema === undefined
                ? {}
                : {
                    response_format: {
                      type: 'json_schema' as const,
                      json_schema: {
                        name: 'structured_answer',
                        schema: { ...request.jsonSchema },
                        strict: false,
                      },
                    },
                  }),
              stream: true,
              stream_options: { include_usage: true },
            },
            {
              signal: controller.signal,
              ...(request.callId === undefined
                ? {}
                : { headers: { [CALL_ID_HEADER]: headerValue(request.callId) } }),
            },
          );
        } catch (error) {
          if (request.signal?.aborted) throw abortError(request.signal);
          if (timedOut) throw silenceError(timedOut);
          throw classifyError(error, request, redact);
        }

        let finish: string | null = null;
        let serverUsage: TokenUsage | undefined;
        // The SDK's iterator never settles when its signal aborts after the body has been read to the end (a
        // stream monitor or a cancellation landing on the last chunk), so each read races the abort.
        const iterator = stream[Symbol.asyncIterator]();
        const aborted = new Promise<'aborted'>((resolve) => {
          if (controller.signal.aborted) resolve('aborted');
          controller.signal.addEventListener('abort', () => resolve('aborted'), { once: true });
        });
        const chunks = {
          async *[Symbol.asyncIterator]() {
            try {
              for (;;) {
                const next = await Promise.race([iterator.next(), aborted]);
                if (next === 'aborted' || next.done) return;
                yield next.value;
              }
            } finally {
              // Closes the response body; not awaited, for the same reason.
              iterator.return?.().catch(() => undefined);
            }
          },
        };
        try {
          for await (const chunk of chunks) {
            armSilenceTimer('idle');
            if (chunk.usage) {
              serverUsage = {
                inputTokens: chunk.usage.prompt_tokens,
                outputTokens: chunk.usage.completion_tokens,
                cachedInputTokens: chunk.usage.prompt_tokens_details?.cached_tokens,
              };
            }
            const choice = chunk.choices[0];
            if (!choice) continue;
            const content = choice.delta?.content;
            // Empty first deltas are passed on too: they tell the caller the server accepted the prompt.
            if (typeof content === 'string') {
              text += content;
              onDelta({ text: content });
            }
            if (choice.finish_reason) finish = choice.finish_reason;
          }
        } catch (error) {
          if (request.signal?.aborted) throw abortError(request.signal);
          if (timedOut) throw silenceError(timedOut);
          if (
            error instanceof APIError &&
            !(error instanceof APIConnectionError) &&
            error.status !== undefined
          ) {
            throw classifyError(error, request, redact);
          }
          throw new ProviderError(
            redact(
              `The LLM stream broke off after ${text.length} characters (${describe(error)}); the call will be retried.`,
            ),
            FAILURE_TYPE.StreamDropped,
          );
        }
        clearTimeout(silenceTimer);
        // The SDK ends the iteration quietly when its signal aborts, so the reason is checked here.
        if (request.signal?.aborted) throw abortError(request.signal);
        if (timedOut) throw silenceError(timedOut);
        if (finish === null) {
          throw new ProviderError(
            `The LLM stream ended after ${text.length} characters without a finish reason; the call will be retried.`,
            FAILURE_TYPE.StreamDropped,
          );
        }
        const result: ChatResult = { text, finishReason: mapFinishReason(finish) };
        if (serverUsage) result.serverUsage = serverUsage;
        return result;
      } finally {
        clearTimeout(silenceTimer);
        request.signal?.removeEventListener('abort', forwardAbort);
      }
    },
  };
}

/** Which of the provider's two silence timeouts is running: before the first chunk, or between chunks. */
type SilenceKind = 'first-byte' | 'idle';

/** `600 s`, `0.3 s`: whole seconds when exact, else one decimal. */
function formatSeconds(milliseconds: number): string {
  const seconds = milliseconds / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}

/**
 * A call id fit for an HTTP header: fetch refuses values outside visible ASCII (a workflow id may hold any
 * text), so those are percent-encoded, while plain ids stay readable in server logs.
 */
function headerValue(callId: string): string {
  return /^[\x20-\x7e]*$/.test(callId) ? callId : encodeURIComponent(callId);
}

/** The caller's abort reason when it is an error, else a standard `AbortError`. */
function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new DOMException('The LLM request was aborted.', 'AbortError');
}

function mapFinishReason(reason: string): FinishReason {
  switch (reason) {
    case FINISH_REASON.stop:
    case FINISH_REASON.length:
    case FINISH_REASON.contentFilter:
      return reason;
    // Tool calls end a turn normally.
    case 'tool_calls':
    case 'function_call':
      return FINISH_REASON.stop;
    default:
      return FINISH_REASON.unknown;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

/** The server's own explanation, shortened; useful in a 400/422 message. */
function serverMessage(error: APIError): string | undefined {
  const body = error.error as { message?: unknown } | undefined;
  const message = typeof body?.message === 'string' ? body.message : undefined;
  if (!message) return undefined;
  const oneLine = message.replace(/\s+/g, ' ').trim();
  return oneLine.length > 200 ? `${oneLine.slice(0, 197)}...` : oneLine;
}

/**
 * Milliseconds from `retry-after-ms` (non-standard, OpenAI) or `retry-after` (seconds or an HTTP date).
 * Undefined when the server gave neither or gave nonsense.
 */
export function parseRetryAfter(headers: Headers | undefined, now: number = Date.now()): number | undefined {
  if (!headers) return undefined;
  const milliseconds = headers.get('retry-after-ms');
  if (milliseconds !== null) {
    const value = Number.parseFloat(milliseconds);
    if (Number.isFinite(value) && value >= 0) return Math.round(value);
  }
  const retryAfter = headers.get('retry-after');
  if (retryAfter === null) return undefined;
  const trimmed = retryAfter.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number.parseFloat(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Maps an SDK error to the house taxonomy: 408/409/429/5xx and connection failures retry, other 4xx do not. */
function classifyError(
  error: unknown,
  request: ChatRequest,
  redact: (text: string) => string,
): ProviderError {
  const make = (message: string, type: ProviderErrorType, status?: number, retryAfterMs?: number) =>
    new ProviderError(redact(message), type, status, retryAfterMs);

  if (error instanceof APIUserAbortError) {
    return make('The LLM request was aborted before the response started.', FAILURE_TYPE.ConnectionError);
  }
  if (error instanceof APIConnectionError) {
    const timedOut = error instanceof APIConnectionTimeoutError || /timed? ?out/i.test(describe(error));
    return make(
      timedOut
        ? 'The LLM endpoint did not answer in time; the call will be retried, and raising openai.firstByteTimeoutSeconds lets it wait longer.'
        : `Could not connect to the LLM endpoint (${describe(error)}); the call will be retried, check OPENAI_BASE_URL if it keeps failing.`,
      FAILURE_TYPE.ConnectionError,
    );
  }
  if (!(error instanceof APIError)) {
    return make(
      `The LLM request failed unexpectedly (${describe(error)}); the call will be retried.`,
      FAILURE_TYPE.ConnectionError,
    );
  }

  const status = error.status;
  const detail = serverMessage(error);
  const said = detail ? `: ${detail}` : '';
  const retryAfterMs = parseRetryAfter(error.headers);
  switch (status) {
    case 400:
      return make(
        `The LLM endpoint rejected the request (400${said}); check the model settings and prompt size.`,
        FAILURE_TYPE.BadRequest,
        status,
      );
    case 401:
      return make(
        'The LLM endpoint rejected the API key (401); set OPENAI_API_KEY to a valid key.',
        FAILURE_TYPE.AuthenticationFailed,
        status,
      );
    case 403:
      return make(
        `The LLM endpoint refused access to model "${request.model}" (403); use a key that is allowed to call it.`,
        FAILURE_TYPE.PermissionDenied,
        status,
      );
    case 404:
      return make(
        `The LLM endpoint does not serve model "${request.model}" (404); set the model name to one it serves, or check OPENAI_BASE_URL.`,
        FAILURE_TYPE.ModelNotFound,
        status,
      );
    case 408:
      return make(
        'The LLM endpoint timed out the request (408); the call will be retried.',
        FAILURE_TYPE.RequestTimeout,
        status,
        retryAfterMs,
      );
    case 409:
      return make(
        'The LLM endpoint reported a conflict (409); the call will be retried.',
        FAILURE_TYPE.Conflict,
        status,
        retryAfterMs,
      );
    case 422:
      return make(
        `The LLM endpoint could not process the request (422${said}); check the model settings.`,
        FAILURE_TYPE.UnprocessableRequest,
        status,
      );
    case 429: {
      const wait =
        retryAfterMs === undefined
          ? ''
          : ` after ${(retryAfterMs / 1000).toFixed(retryAfterMs % 1000 === 0 ? 0 : 1)} s`;
      return make(
        `The LLM endpoint is rate limiting requests (429); the call will be retried${wait}.`,
        FAILURE_TYPE.RateLimited,
        status,
        retryAfterMs,
      );
    }
    default:
      if (status !== undefined && status >= 500) {
        return make(
          `The LLM endpoint failed with status ${status}; the call will be retried.`,
          FAILURE_TYPE.ServerError,
          status,
          retryAfterMs,
        );
      }
      if (status === undefined) {
        // An error event inside an otherwise healthy stream.
        return make(
          `The LLM endpoint reported an error mid-stream${said}; the call will be retried.`,
          FAILURE_TYPE.ServerError,
        );
      }
      return make(
        `The LLM endpoint answered with unexpected status ${status}${said}; check OPENAI_BASE_URL.`,
        FAILURE_TYPE.BadRequest,
        status,
      );
  }
}
