import { ApplicationFailure } from '@temporalio/common';
import type { UsageRecord } from '../core/types';
import { UsageStoreError, type RunSummary, type UsageStore } from '../storage/usage-store';

/** Dependencies of the usage activities; tests pass an in-memory store and a fixed clock. */
export interface UsageActivityDependencies {
  store: UsageStore;
  now?: () => Date;
}

/** The track step of the pipeline and the run-level summary, as Temporal activities. */
export interface UsageActivities {
  /**
   * Writes one usage record. Keyed by `callId`, so a retried attempt returns `inserted: false` and writes
   * nothing: a call is counted once however often this activity runs.
   */
  trackUsage(record: UsageRecord): Promise<{ inserted: boolean }>;
  /** Inserts or replaces the run's summary (by workflow id) once a run ends; stamps `finishedAt` when absent. */
  recordRunSummary(summary: RunSummary): Promise<void>;
}

/**
 * A record the store refuses will be refused on every retry, so it fails the activity at once with type
 * `InvalidUsageRecord`; anything else (a locked database, a full disk) stays retryable.
 */
function asActivityFailure(error: unknown): unknown {
  if (error instanceof UsageStoreError) {
    return ApplicationFailure.nonRetryable(error.message, 'InvalidUsageRecord');
  }
  return error;
}

/** Builds the usage activities around a store. */
export function createUsageActivities(dependencies: UsageActivityDependencies): UsageActivities {
  const now = dependencies.now ?? (() => new Date());
  const { store } = dependencies;
  return {
    async trackUsage(record) {
      // Workflows never read the clock, so the time of the record is taken here.
      const stamped: UsageRecord = record.recordedAt
        ? record
        : { ...record, recordedAt: now().toISOString() };
      try {
        // Awaited here so that a refused write is caught and typed below.
        return await store.recordUsage(stamped);
      } catch (error) {
        throw asActivityFailure(error);
      }
    },

    async recordRunSummary(summary) {
      const stamped: RunSummary = summary.finishedAt
        ? summary
        : { ...summary, finishedAt: now().toISOString() };
      try {
        await store.recordRun(stamped);
      } catch (error) {
        throw asActivityFailure(error);
      }
    },
  };
}
