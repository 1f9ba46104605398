import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { makeRecord } from './test-fixtures';
import { LEDGER_SCHEMA_VERSION, openUsageStore, type RunSummary } from './usage-store';
import { ledgerEngines, openTestStore } from './test-ledgers';

for (const { engine, skip } of ledgerEngines()) {
  describe(`dailyReport (${engine})`, { skip }, () => {
    test('sums one UTC day and leaves the neighbouring days out', async () => {
      const store = await openTestStore(engine);
      await store.recordUsage(
        makeRecord({ workflowId: 'wf-before', recordedAt: '2024-03-04T23:59:59.999Z', promptTokens: 99999 }),
      );
      await store.recordUsage(
        makeRecord({ workflowId: 'wf-after', recordedAt: '2024-03-06T00:00:00.000Z', promptTokens: 99999 }),
      );
      await store.recordUsage(
        makeRecord({
          workflowId: 'wf-1',
          agent: 'market_analyst',
          mode: 'optimized',
          recordedAt: '2024-03-05T00:00:00.000Z',
          promptTokens: 1000,
          completionTokens: 200,
          cachedPromptTokens: 100,
          lostTokens: 50,
          costUsd: 0.01,
          rawCompliant: true,
          truncated: false,
          finishReason: 'stop',
        }),
      );
      await store.recordUsage(
        makeRecord({
          workflowId: 'wf-1',
          agent: 'trader',
          mode: 'optimized',
          recordedAt: '2024-03-05T12:00:00.000Z',
          promptTokens: 2000,
          completionTokens: 100,
          cachedPromptTokens: undefined,
          lostTokens: 0,
          costUsd: undefined,
          rawCompliant: false,
          truncated: true,
          finishReason: 'repetition',
        }),
      );
      await store.recordUsage(
        makeRecord({
          workflowId: 'wf-2',
          agent: 'trader',
          mode: 'baseline',
          recordedAt: '2024-03-05T23:59:59.000Z',
          promptTokens: 5000,
          completionTokens: 300,
          cachedPromptTokens: 0,
          lostTokens: 0,
          costUsd: 0.02,
          rawCompliant: undefined,
          truncated: false,
        }),
      );
      const run = (overrides: Partial<RunSummary>): RunSummary => ({
        workflowId: 'wf-1',
        ticker: 'AAPL',
        date: '2024-03-01',
        mode: 'optimized',
        decision: 'BUY',
        totalTokens: 3350,
        budgetStatus: 'within',
        startedAt: '2024-03-05T00:00:00.000Z',
        finishedAt: '2024-03-05T12:00:01.000Z',
        ...overrides,
      });
      await store.recordRun(run({ promptTokens: 3000, originalPromptTokens: 6000 }));
      await store.recordRun(
        run({
          workflowId: 'wf-2',
          mode: 'baseline',
          decision: 'HOLD',
          budgetStatus: 'exhausted',
          promptTokens: 5000,
          originalPromptTokens: 4000,
        }),
      );
      await store.recordRun(run({ workflowId: 'wf-3', decision: undefined, budgetStatus: 'failed' }));
      await store.recordRun(
        run({
          workflowId: 'wf-old',
          finishedAt: '2024-03-04T10:00:00.000Z',
          originalPromptTokens: 1_000_000,
          promptTokens: 1,
        }),
      );

      const report = await store.dailyReport('2024-03-05');
      assert.equal(report.day, '2024-03-05');
      assert.equal(report.runs, 2);
      assert.equal(report.finishedRuns, 3);
      assert.equal(report.calls, 3);
      assert.equal(report.promptTokens, 8000);
      assert.equal(report.completionTokens, 600);
      assert.equal(report.cachedPromptTokens, 100);
      assert.equal(report.lostTokens, 50);
      assert.equal(report.totalTokens, 8650);
      assert.ok(Math.abs(report.costUsd - 0.03) < 1e-12);
      assert.equal(report.callsWithoutCost, 1);
      assert.equal(report.rawComplianceRate, 0.5);
      assert.equal(report.truncationRate, 1 / 3);
      // (3000 + 5000) sent against (6000 + 4000) before optimization.
      assert.ok(Math.abs((report.promptReduction ?? 0) - 0.2) < 1e-12);
      assert.deepEqual(report.byMode, {
        optimized: { runs: 1, calls: 2, totalTokens: 3350, costUsd: 0.01 },
        baseline: { runs: 1, calls: 1, totalTokens: 5300, costUsd: 0.02 },
      });
      assert.deepEqual(report.budgetStatuses, { within: 1, exhausted: 1, failed: 1 });
      assert.deepEqual(report.decisions, { BUY: 1, HOLD: 1, none: 1 });
      assert.deepEqual(report.finishReasons, { stop: 1, repetition: 1 }, 'the call without one is left out');
      assert.deepEqual(
        report.perAgent.map((entry) => [entry.agent, entry.calls]),
        [
          ['market_analyst', 1],
          ['trader', 2],
        ],
      );
      await store.close();
    });

    test('an empty day reports zeros and no rates; a malformed day is refused', async () => {
      const store = await openTestStore(engine);
      const report = await store.dailyReport('2024-12-31');
      assert.equal(report.calls, 0);
      assert.equal(report.totalTokens, 0);
      assert.equal(report.rawComplianceRate, undefined);
      assert.equal(report.promptReduction, undefined);
      assert.deepEqual(report.perAgent, []);
      await assert.rejects(() => store.dailyReport('5 March'), /pass it as YYYY-MM-DD/);
      await store.close();
    });
  });
}

describe('openUsageStore on disk', () => {
  test('creates the folder, uses WAL, records the schema version and keeps data across reopen', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'tokenflow-store-'));
    try {
      const file = path.join(folder, 'nested', 'deeper', 'usage.db');
      const store = await openUsageStore(file);
      assert.equal(store.location, file);
      assert.equal(store.engine, 'sqlite');
      assert.ok(existsSync(file));
      await store.recordUsage(makeRecord({ callId: 'persisted' }));
      await store.close();
      await store.close();

      const raw = new Database(file, { readonly: true });
      assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(raw.pragma('user_version', { simple: true }), LEDGER_SCHEMA_VERSION);
      raw.close();

      const reopened = await openUsageStore(file);
      assert.deepEqual(
        (await reopened.listUsage()).map((record) => record.callId),
        ['persisted'],
      );
      assert.deepEqual(await reopened.recordUsage(makeRecord({ callId: 'persisted' })), { inserted: false });
      await reopened.close();
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
