import { ActivityFailure, ApplicationFailure, CancelledFailure, TimeoutFailure } from '@temporalio/workflow';
import { FAILURE_TYPE } from '../../core/failure-types';
import {
  ATTEMPT_OUTCOME,
  USAGE_SOURCE,
  attemptsFromHeartbeat,
  readAttemptRecords,
  type AttemptRecord,
} from '../../core/ledger';

/**
 * The attempts of a failed or cancelled invoke: from the failure's details, or the last heartbeat of an attempt
 * that timed out; undefined when nothing is known (the caller then charges the whole reservation).
 */
export function attemptsOf(
  error: unknown,
  fallback: { promptTokens: number; maxTokens: number; spendCeiling: number; maximumAttempts: number },
): AttemptRecord[] | undefined {
  let cause: unknown = error instanceof ActivityFailure ? error.cause : error;
  while (cause) {
    if (cause instanceof ApplicationFailure || cause instanceof CancelledFailure) {
      const detail = cause.details?.[0] as { lostTokens?: unknown; attempts?: unknown } | undefined;
      if (detail && Array.isArray(detail.attempts)) return readAttemptRecords(detail.attempts);
      if (detail && typeof detail.lostTokens === 'number') {
        // Details of older workers: one total.
        return [
          {
            attempt: 1,
            outcome: ATTEMPT_OUTCOME.failed,
            promptTokens: 0,
            completionTokens: Math.max(0, Math.ceil(detail.lostTokens)),
            source: USAGE_SOURCE.estimated,
          },
        ];
      }
      // Cancelled before it started (no details): it sent nothing.
      if (cause instanceof CancelledFailure) return [];
    }
    if (cause instanceof TimeoutFailure && cause.lastHeartbeatDetails !== undefined) {
      // A timeout ends the call only once every attempt was made; attempts after the last heartbeat left nothing.
      return attemptsFromHeartbeat(cause.lastHeartbeatDetails, fallback.maximumAttempts + 1, fallback);
    }
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The failure type of an activity error (`AuthenticationFailed`, `BudgetExhausted`, …). */
export function failureTypeOf(error: unknown): string | undefined {
  let cause: unknown = error;
  while (cause) {
    if (cause instanceof ApplicationFailure && cause.type) return cause.type;
    if (cause instanceof TimeoutFailure) return FAILURE_TYPE.Timeout;
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The message of the innermost application failure or timeout of an activity error. */
export function failureMessageOf(error: unknown): string {
  let cause: unknown = error;
  let message = error instanceof Error ? error.message : String(error);
  while (cause) {
    if (cause instanceof ApplicationFailure || cause instanceof TimeoutFailure) message = cause.message;
    cause = (cause as { cause?: unknown }).cause;
  }
  return message;
}
