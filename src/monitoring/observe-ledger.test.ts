import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UsageRecord } from '../core/types';
import type { RunSummary, UsageStore } from '../storage/usage-store';
import { observeLedger } from './observe-ledger';
import { readExposition, sumOf } from './read-exposition';
import { createTokenflowMetrics } from './tokenflow-metrics';

/**
 * The part of a usage store the observer touches, keyed as the real one is (workflow, run and call id; one
 * summary per workflow id), so these tests do not depend on a database engine.
 */
function memoryStore() {
  const records = new Map<string, UsageRecord>();
  const runs = new Map<string, RunSummary>();
  const store = {
    file: ':memory:',
    async recordUsage(record: UsageRecord) {
      const key = `${record.workflowId}|${record.runId}|${record.callId}`;
      if (records.has(key)) return { inserted: false };
      records.set(key, record);
      return { inserted: true };
    },
    async listUsage() {
      return [...records.values()];
    },
    async recordRun(summary: RunSummary) {
      runs.set(summary.workflowId, summary);
    },
    async getRun(workflowId: string) {
      return runs.get(workflowId);
    },
  };
  return store as unknown as UsageStore & typeof store;
}

function record(callId: string, overrides: Partial<UsageRecord> = {}): UsageRecord {
  return {
    callId,
    workflowId: 'run-a',
    runId: 'r1',
    ticker: 'SPX',
    agent: 'market_analyst',
    round: 0,
    mode: 'baseline',
    provider: 'openai',
    model: 'gpt-4o-mini',
    promptTokens: 700,
    completionTokens: 90,
    lostTokens: 0,
    usageSource: 'server',
    rawWords: 70,
    words: 70,
    truncated: false,
    maxTokens: 300,
    latencyMs: 800,
    attempts: 1,
    ...overrides,
  };
}

function summary(overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    workflowId: 'run-a',
    runId: 'r1',
    ticker: 'SPX',
    date: '2020-04-17',
    mode: 'baseline',
    totalTokens: 790,
    budgetStatus: 'within',
    startedAt: '2024-01-01T00:00:00.000Z',
    finishedAt: '2024-01-01T00:05:00.000Z',
    ...overrides,
  };
}

describe('observeLedger', () => {
  test('a record counts once: a repeated write of the same call (inserted: false) adds nothing', async () => {
    const metrics = createTokenflowMetrics({ processMetrics: false });
    const store = observeLedger(memoryStore(), metrics);
    assert.deepEqual(await store.recordUsage(record('run-a/market_analyst/0')), { inserted: true });
    assert.deepEqual(await store.recordUsage(record('run-a/market_analyst/0')), { inserted: false });
    assert.deepEqual(await store.recordUsage(record('run-a/news_analyst/0', { agent: 'news_analyst' })), {
      inserted: true,
    });
    const samples = readExposition(await metrics.exposition());
    assert.equal(sumOf(samples, 'tokenflow_calls_total'), 2);
    assert.equal(sumOf(samples, 'tokenflow_tokens_total', { token_type: 'prompt' }), 1400);
    assert.equal(
      sumOf(samples, 'tokenflow_tokens_total', { agent: 'market_analyst', token_type: 'prompt' }),
      700,
    );
    assert.equal(sumOf(samples, 'gen_ai_client_token_usage_count', { gen_ai_token_type: 'output' }), 2);
  });

  test('a record the store refuses counts nothing and the error reaches the caller', async () => {
    const metrics = createTokenflowMetrics({ processMetrics: false });
    const inner = memoryStore();
    inner.recordUsage = async () => {
      throw new Error('disk full');
    };
    const store = observeLedger(inner, metrics);
    await assert.rejects(store.recordUsage(record('run-a/trader/0')), /disk full/);
    const samples = readExposition(await metrics.exposition());
    assert.equal(sumOf(samples, 'tokenflow_calls_total'), 0);
  });

  test('a run counts once: a retried summary write is not a second run, a new run of the same id is', async () => {
    const metrics = createTokenflowMetrics({ processMetrics: false });
    const store = observeLedger(memoryStore(), metrics);
    await store.recordRun(summary());
    await store.recordRun(summary());
    await store.recordRun(summary({ runId: 'r2', budgetStatus: 'exhausted' }));
    const samples = readExposition(await metrics.exposition());
    assert.equal(sumOf(samples, 'tokenflow_runs_total', { budget_status: 'within', mode: 'baseline' }), 1);
    assert.equal(sumOf(samples, 'tokenflow_runs_total', { budget_status: 'exhausted' }), 1);
  });

  test('every other member reaches the store unchanged', async () => {
    const inner = memoryStore();
    const store = observeLedger(inner, createTokenflowMetrics({ processMetrics: false }));
    await store.recordUsage(record('run-a/market_analyst/0'));
    assert.equal((await store.listUsage()).length, 1);
    assert.equal((store as unknown as { file: string }).file, ':memory:');
  });
});
