/**
 * One vocabulary for why a model call (or a webhook delivery) failed. Providers classify their errors with these types, the invoke
 * activity raises them as Temporal ApplicationFailure types, and Temporal's retry policy matches them: the
 * non-retryable list below is derived from the table, so a new type must say whether retrying it helps.
 */
const FAILURE_TYPES = {
  /** 429: the endpoint asks us to slow down. */
  RateLimited: { retryable: true },
  /** 5xx. */
  ServerError: { retryable: true },
  /** The server's own 408. */
  RequestTimeout: { retryable: true },
  /** 409. */
  Conflict: { retryable: true },
  /** The connection failed or was refused. */
  ConnectionError: { retryable: true },
  /** Our wait for an answer to start ran out (a busy server holding the request in its queue). */
  FirstByteTimeout: { retryable: true },
  /** A stream that went silent or closed midway. */
  StreamDropped: { retryable: true },
  /** A Temporal timeout of the activity (heartbeat, start-to-close) once its retries are spent. */
  Timeout: { retryable: true },
  /** A failure the workflow could not classify. */
  InvokeFailed: { retryable: true },
  BadRequest: { retryable: false },
  AuthenticationFailed: { retryable: false },
  PermissionDenied: { retryable: false },
  ModelNotFound: { retryable: false },
  UnprocessableRequest: { retryable: false },
  /** The prompt and max tokens do not fit the model's context window. */
  ContextOverflow: { retryable: false },
  /** The embedded model could not be loaded. */
  ModelUnavailable: { retryable: false },
  /** The worker was started without the provider the call is routed to (`openai` or `local`). */
  ProviderNotConfigured: { retryable: false },
  /** The attempts of one call used up the tokens reserved for it. */
  BudgetExhausted: { retryable: false },
  /** The risk manager's answer held no valid decision, even after its repair (runs before the ledger patch). */
  MalformedDecision: { retryable: false },
  /** The alert webhook did not answer, timed out, or answered 429 or 5xx. */
  WebhookUnavailable: { retryable: true },
  /** The alert webhook refused the message (4xx other than 408 and 429): a wrong URL or a revoked hook. */
  WebhookRejected: { retryable: false },
  /** A run names a token pool the worker's config does not define. */
  UnknownPool: { retryable: false },
  /** The token pool refused a request it can never grant (more than its tokens per period). */
  PoolRequestRejected: { retryable: false },
  /** The token pool has too few tokens left this period for a raise of a run's budget. */
  PoolExhausted: { retryable: false },
} as const satisfies Record<string, { retryable: boolean }>;

export type FailureType = keyof typeof FAILURE_TYPES;

/** Every failure type by name: `FAILURE_TYPE.RateLimited === 'RateLimited'`. */
export const FAILURE_TYPE = Object.fromEntries(Object.keys(FAILURE_TYPES).map((type) => [type, type])) as {
  readonly [Type in FailureType]: Type;
};

/** Failure types that end an agent call at once: retrying them only burns tokens. */
export const NON_RETRYABLE_FAILURE_TYPES: readonly FailureType[] = (
  Object.keys(FAILURE_TYPES) as FailureType[]
).filter((type) => !FAILURE_TYPES[type].retryable);

/** Whether retrying a failure of this type can help. */
export function isRetryableFailureType(type: FailureType): boolean {
  return FAILURE_TYPES[type].retryable;
}
