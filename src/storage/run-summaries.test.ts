import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openUsageStore, type RunSummary } from './usage-store';

describe('runs', () => {
  test('recordRun upserts by workflowId and listRuns returns newest first with filters', () => {
    const store = openUsageStore(':memory:');
    const base: RunSummary = {
      workflowId: 'wf-1',
      ticker: 'AAPL',
      date: '2024-03-01',
      mode: 'optimized',
      totalTokens: 100,
      budgetStatus: 'running',
      startedAt: '2024-03-05T00:00:00.000Z',
    };
    store.recordRun(base);
    const finished: RunSummary = {
      ...base,
      totalTokens: 31000,
      costUsd: 0.12,
      decision: 'SELL',
      budgetStatus: 'within',
      calibrationVersion: 'cal-3',
      finishedAt: '2024-03-05T00:05:00.000Z',
    };
    store.recordRun(finished);
    store.recordRun({
      ...base,
      workflowId: 'wf-2',
      ticker: 'MSFT',
      mode: 'baseline',
      startedAt: '2024-03-06T00:00:00.000Z',
    });
    assert.deepEqual(store.getRun('wf-1'), finished);
    assert.deepEqual(
      store.listRuns().map((run) => run.workflowId),
      ['wf-2', 'wf-1'],
    );
    assert.deepEqual(store.listRuns({ ticker: 'AAPL' }), [finished]);
    assert.deepEqual(
      store.listRuns({ mode: 'baseline' }).map((run) => run.workflowId),
      ['wf-2'],
    );
    assert.deepEqual(
      store.listRuns({ since: '2024-03-06' }).map((run) => run.workflowId),
      ['wf-2'],
    );
    assert.equal(store.listRuns({ limit: 1 }).length, 1);
    assert.equal(store.getRun('missing'), undefined);
    store.close();
  });
});
