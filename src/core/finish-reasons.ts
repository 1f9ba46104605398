/**
 * How a streamed answer ended: `stop` by itself, `length` at the server's `max_tokens`, `limit` and
 * `repetition` stopped by tokenflow's stream monitor (past its token ceiling, or repeating itself),
 * `content_filter` by the provider. Calls that got no answer are recorded as `failed` or `cancelled`
 * (the ledger's attempt outcomes).
 */
export const FINISH_REASON = {
  stop: 'stop',
  length: 'length',
  limit: 'limit',
  repetition: 'repetition',
  contentFilter: 'content_filter',
  unknown: 'unknown',
} as const;

export type FinishReason = (typeof FINISH_REASON)[keyof typeof FINISH_REASON];
