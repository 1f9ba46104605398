import type { RunSummary, UsageStore } from '../storage/usage-store';
import type { LedgerMetrics } from './tokenflow-metrics';

/**
 * Whether `previous` is the summary of the same finished run as `summary`: a retried summary write (its
 * activity retried after the write went through) is not a second run. A reset or a reused workflow id has a
 * run id of its own and counts again.
 */
function sameFinishedRun(previous: RunSummary | undefined, summary: RunSummary): boolean {
  return previous !== undefined && previous.finishedAt !== undefined && previous.runId === summary.runId;
}

/**
 * The store with metrics recorded from exactly what it writes: a usage record once the store has inserted it
 * (a repeated write of the same call returns `inserted: false` and counts nothing), a run summary once per run.
 * Reads and every other method go to `store` untouched, so the metrics and the ledger cannot disagree.
 */
export function observeLedger(store: UsageStore, metrics: LedgerMetrics): UsageStore {
  const recordUsage: UsageStore['recordUsage'] = async (record) => {
    const result = await store.recordUsage(record);
    if (result.inserted) metrics.recordUsage(record);
    return result;
  };
  const recordRun: UsageStore['recordRun'] = async (summary) => {
    const previous = await store.getRun(summary.workflowId);
    await store.recordRun(summary);
    if (!sameFinishedRun(previous, summary)) metrics.recordRun(summary);
  };
  // A proxy rather than a copy of the store's methods: whatever the store is (an object of closures or a class
  // with private state), every other member reaches it unchanged and bound to it.
  return new Proxy(store, {
    get(target, property) {
      if (property === 'recordUsage') return recordUsage;
      if (property === 'recordRun') return recordRun;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function'
        ? (value as (...parameters: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}
