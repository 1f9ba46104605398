import { isAgentName } from '../core/agents';
import { ATTEMPT_OUTCOMES, USAGE_SOURCES } from '../core/ledger';
import type { UsageRecord } from '../core/types';
import { requireNonNegativeInteger } from './columns';
import { UsageStoreError } from './usage-store-error';

/** Refuses a record the ledger must not keep, naming the first bad field and what it must be. */
export function validateRecord(record: UsageRecord): void {
  for (const field of ['callId', 'workflowId', 'runId', 'ticker', 'provider', 'model'] as const) {
    if (typeof record[field] !== 'string' || record[field].length === 0) {
      throw new UsageStoreError(`Usage record field ${field} must be a non-empty string.`);
    }
  }
  if (!isAgentName(record.agent)) {
    throw new UsageStoreError(
      `Usage record names an unknown agent "${String(record.agent)}"; use a name from src/core/agents.ts.`,
    );
  }
  if (record.mode !== 'optimized' && record.mode !== 'baseline') {
    throw new UsageStoreError(
      `Usage record field mode must be "optimized" or "baseline", got "${String(record.mode)}".`,
    );
  }
  if (!(USAGE_SOURCES as readonly string[]).includes(record.usageSource)) {
    throw new UsageStoreError(
      `Usage record field usageSource must be one of ${USAGE_SOURCES.join(', ')}, got "${String(record.usageSource)}".`,
    );
  }
  for (const [index, attempt] of (record.attemptRecords ?? []).entries()) {
    const field = `attemptRecords[${index}]`;
    requireNonNegativeInteger(attempt.attempt, `${field}.attempt`);
    requireNonNegativeInteger(attempt.promptTokens, `${field}.promptTokens`);
    requireNonNegativeInteger(attempt.completionTokens, `${field}.completionTokens`);
    if (!(ATTEMPT_OUTCOMES as readonly string[]).includes(attempt.outcome)) {
      throw new UsageStoreError(
        `Usage record field ${field}.outcome must be one of ${ATTEMPT_OUTCOMES.join(', ')}, got "${String(attempt.outcome)}".`,
      );
    }
    if (!(USAGE_SOURCES as readonly string[]).includes(attempt.source)) {
      throw new UsageStoreError(
        `Usage record field ${field}.source must be one of ${USAGE_SOURCES.join(', ')}, got "${String(attempt.source)}".`,
      );
    }
  }
  for (const field of [
    'round',
    'promptTokens',
    'completionTokens',
    'lostTokens',
    'rawWords',
    'words',
    'maxTokens',
    'attempts',
  ] as const) {
    requireNonNegativeInteger(record[field], field);
  }
  for (const field of [
    'cachedPromptTokens',
    'wordLimit',
    'predictedTokens',
    'localPromptTokens',
    'localCompletionTokens',
  ] as const) {
    if (record[field] !== undefined) requireNonNegativeInteger(record[field], field);
  }
  if (!Number.isFinite(record.latencyMs) || record.latencyMs < 0) {
    throw new UsageStoreError(
      `Usage record field latencyMs must be a non-negative number, got ${String(record.latencyMs)}.`,
    );
  }
  if (record.costUsd !== undefined && (!Number.isFinite(record.costUsd) || record.costUsd < 0)) {
    throw new UsageStoreError(
      `Usage record field costUsd must be a non-negative number or absent, got ${String(record.costUsd)}.`,
    );
  }
}
