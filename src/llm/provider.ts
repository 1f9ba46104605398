import { FAILURE_TYPE, isRetryableFailureType } from '../core/failure-types';
import type { FinishReason } from '../core/finish-reasons';
import type { ChatMessage, TokenUsage } from '../core/types';

export type { FinishReason } from '../core/finish-reasons';

/** One streaming chat request. Holds no secrets: providers carry their credentials themselves. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  /** Hard ceiling on completion tokens; the provider asks the server for it and stops the stream past it. */
  maxTokens: number;
  temperature?: number;
  /**
   * Constrains the answer to JSON matching this schema (structured output): a grammar for the local model,
   * `response_format: json_schema` for OpenAI-compatible endpoints.
   */
  jsonSchema?: Readonly<Record<string, unknown>>;
  /** Aborts the request (activity cancellation, runaway stop). */
  signal?: AbortSignal;
  /**
   * The call this request belongs to, the same on every retry (`${workflowId}/${agent}/${round}`). Sent to
   * OpenAI-compatible endpoints as the `x-tokenflow-call-id` header so their logs attribute requests to calls.
   */
  callId?: string;
}

/** One piece of a streamed answer. */
export interface ChatDelta {
  text: string;
}

export interface ChatResult {
  text: string;
  /** What the server reported, when it reported it (`stream_options.include_usage`); undefined fields stay unknown. */
  serverUsage?: TokenUsage;
  finishReason: FinishReason;
}

/**
 * A chat model behind one streaming contract, implemented for OpenAI-compatible endpoints and for the
 * embedded local model. `onDelta` is called for every piece of text as it arrives.
 */
export interface ChatProvider {
  readonly kind: 'openai' | 'local';
  stream(request: ChatRequest, onDelta: (delta: ChatDelta) => void): Promise<ChatResult>;
}

/**
 * A provider error classified for Temporal's retry policy. `retryable` comes from the failure-type table
 * (`src/core/failure-types.ts`): 408, 409, 429 and 5xx (and dropped connections) retry; 400/401/403/404/422
 * do not.
 */
export class ProviderError extends Error {
  override name = 'ProviderError';
  readonly retryable: boolean;
  constructor(
    message: string,
    readonly type: ProviderErrorType,
    readonly status?: number,
    /** Milliseconds the server asked us to wait (`retry-after` / `retry-after-ms`). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.retryable = isRetryableFailureType(type);
  }
}

/**
 * The failure types a provider call raises; Temporal's retry policy matches them. `FirstByteTimeout` is our own
 * wait for an answer to start running out (a busy server holding the request in its queue), as distinct from
 * the server's 408 (`RequestTimeout`) and from a stream that went silent midway (`StreamDropped`).
 */
export type ProviderErrorType =
  | typeof FAILURE_TYPE.RateLimited
  | typeof FAILURE_TYPE.ServerError
  | typeof FAILURE_TYPE.RequestTimeout
  | typeof FAILURE_TYPE.Conflict
  | typeof FAILURE_TYPE.ConnectionError
  | typeof FAILURE_TYPE.FirstByteTimeout
  | typeof FAILURE_TYPE.StreamDropped
  | typeof FAILURE_TYPE.BadRequest
  | typeof FAILURE_TYPE.AuthenticationFailed
  | typeof FAILURE_TYPE.PermissionDenied
  | typeof FAILURE_TYPE.ModelNotFound
  | typeof FAILURE_TYPE.UnprocessableRequest
  | typeof FAILURE_TYPE.ContextOverflow
  | typeof FAILURE_TYPE.ModelUnavailable;
