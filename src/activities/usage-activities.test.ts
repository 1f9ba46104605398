import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { UsageRecord } from '../core/types';
import { openUsageStore, type RunSummary } from '../storage/usage-store';
import { createUsageActivities } from './usage-activities';

const fixedClock = (): Date => new Date('2024-06-01T09:15:00.000Z');

/** The failures below are expected; the SDK's WARN log of each would only clutter the test output. */
function environment(info: { attempt?: number } = {}): MockActivityEnvironment {
  return new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR') });
}

function usageRecord(overrides: Partial<UsageRecord> = {}): UsageRecord {
  return {
    callId: 'analysis-AAPL/news_analyst/0',
    workflowId: 'analysis-AAPL',
    runId: 'run-1',
    ticker: 'AAPL',
    agent: 'news_analyst',
    round: 0,
    mode: 'optimized',
    provider: 'openai',
    model: 'gpt-4o-mini',
    promptTokens: 1800,
    completionTokens: 310,
    lostTokens: 120,
    usageSource: 'server',
    rawWords: 260,
    words: 248,
    wordLimit: 250,
    rawCompliant: false,
    truncated: true,
    predictedTokens: 330,
    maxTokens: 420,
    costUsd: 0.00046,
    latencyMs: 2100,
    attempts: 2,
    ...overrides,
  };
}

describe('trackUsage', () => {
  test('a retried activity writes the record once and stamps the time from the injected clock', async () => {
    const store = await openUsageStore(':memory:');
    const activities = createUsageActivities({ store, now: fixedClock });
    const first = environment({ attempt: 1 });
    const record = usageRecord();

    assert.deepEqual(await first.run(activities.trackUsage, record), { inserted: true });
    const retry = environment({ attempt: 2 });
    assert.deepEqual(await retry.run(activities.trackUsage, record), { inserted: false });

    const rows = await store.listUsage({ workflowId: 'analysis-AAPL' });
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.recordedAt, '2024-06-01T09:15:00.000Z');
    assert.equal(rows[0]?.lostTokens, 120);
    assert.equal(rows[0]?.attempts, 2);
    await store.close();
  });

  test('keeps a recordedAt the caller already set', async () => {
    const store = await openUsageStore(':memory:');
    const activities = createUsageActivities({ store, now: fixedClock });
    await environment().run(activities.trackUsage, usageRecord({ recordedAt: '2024-01-01T00:00:00.000Z' }));
    assert.equal((await store.listUsage())[0]?.recordedAt, '2024-01-01T00:00:00.000Z');
    await store.close();
  });

  test('a record the store refuses fails non-retryably with type InvalidUsageRecord', async () => {
    const store = await openUsageStore(':memory:');
    const activities = createUsageActivities({ store, now: fixedClock });
    await assert.rejects(
      environment().run(activities.trackUsage, usageRecord({ promptTokens: 1.5 })),
      (error: unknown) => {
        assert.ok(error instanceof ApplicationFailure);
        assert.equal(error.type, 'InvalidUsageRecord');
        assert.equal(error.nonRetryable, true);
        assert.match(error.message, /promptTokens must be a non-negative integer/);
        return true;
      },
    );
    assert.equal((await store.listUsage()).length, 0);
    await store.close();
  });

  test('a storage failure stays retryable', async () => {
    const store = await openUsageStore(':memory:');
    const activities = createUsageActivities({ store, now: fixedClock });
    await store.close();
    await assert.rejects(environment().run(activities.trackUsage, usageRecord()), (error: unknown) => {
      assert.ok(!(error instanceof ApplicationFailure), "a closed database is not the caller's fault");
      // better-sqlite3 said the connection is "not open"; Kysely says its driver "has already been destroyed".
      assert.match(String(error), /not open|destroyed/);
      return true;
    });
  });
});

describe('recordRunSummary', () => {
  test('stamps finishedAt when missing and replaces the summary on a second call', async () => {
    const store = await openUsageStore(':memory:');
    const activities = createUsageActivities({ store, now: fixedClock });
    const summary: RunSummary = {
      workflowId: 'analysis-AAPL',
      ticker: 'AAPL',
      date: '2020-03-02',
      mode: 'optimized',
      decision: 'HOLD',
      totalTokens: 28450,
      costUsd: 0.0081,
      budgetStatus: 'within',
      calibrationVersion: 'cal-7',
      startedAt: '2024-06-01T09:00:00.000Z',
    };
    const activityEnvironment = environment();
    await activityEnvironment.run(activities.recordRunSummary, summary);
    assert.deepEqual(await store.getRun('analysis-AAPL'), {
      ...summary,
      finishedAt: '2024-06-01T09:15:00.000Z',
    });

    await activityEnvironment.run(activities.recordRunSummary, {
      ...summary,
      decision: 'SELL',
      finishedAt: '2024-06-01T09:20:00.000Z',
    });
    const runs = await store.listRuns();
    assert.equal(runs.length, 1);
    assert.equal(runs[0]?.decision, 'SELL');
    assert.equal(runs[0]?.finishedAt, '2024-06-01T09:20:00.000Z');
    await store.close();
  });
});
