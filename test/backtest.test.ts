// Backtests: many analyses as child workflows under one batch budget, on a real Temporal dev server with the
// scripted OpenAI-compatible server; one test kills a worker process in the middle.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { buildComparisonSettings } from '../src/config/run-settings';
import type { AppConfig } from '../src/config/schema';
import type { BacktestReport } from '../src/core/backtest';
import type { PipelineMode } from '../src/core/types';
import {
  backtestProgressQuery,
  stopBacktestSignal,
  type BacktestInput,
  type backtestWorkflow,
} from '../src/workflows/backtest-workflow';
import { killAllWorkerProcesses, startWorkerProcess } from './support/worker-process';
import { createWorkers, startHarness, testConfig, type Harness } from './support/workflow-harness';
import { waitFor } from './support/wait-for';

let harness: Harness;

before(async () => {
  harness = await startHarness();
});

after(async () => {
  await killAllWorkerProcesses();
  await harness?.close();
});

function backtestInput(config: AppConfig, overrides: Partial<BacktestInput>): BacktestInput {
  const { optimized, baseline } = buildComparisonSettings(config);
  // A baseline run's cap here is small enough that a few runs fill the batch.
  const modes: PipelineMode[] = overrides.modes ?? ['optimized'];
  return {
    ticker: 'SPX',
    from: '2019-01-07',
    to: '2019-03-29',
    every: 'week',
    modes,
    concurrency: 3,
    minimumRunTokens: 10_000,
    settings: { optimized, baseline: { ...baseline, hardCap: 60_000 } },
    researchRounds: 1,
    riskRounds: 1,
    ...overrides,
  };
}

/** The ledger's tokens of one run: every record's own plus its lost attempts'. */
async function ledgerTokens(workflowId: string): Promise<number> {
  const records = await harness.store.listUsage({ workflowId });
  return records.reduce(
    (sum, record) => sum + record.promptTokens + record.completionTokens + record.lostTokens,
    0,
  );
}

describe('backtests', () => {
  test(
    'twelve weekly dates with a worker process killed in the middle: every date analysed once, the batch budget kept, the report complete',
    { timeout: 480_000 },
    async (context) => {
      const config = testConfig(harness, {
        invoke: { startToCloseSeconds: 60, heartbeatTimeoutSeconds: 3, maximumAttempts: 3 },
      });
      const budgetTokens = 12 * 40_000;
      const workflowId = `backtest-crash-${config.temporal.taskQueue}`;
      const first = await startWorkerProcess({ harness, config });
      // Slow answers, so the kill lands while runs stream.
      harness.server.setBehaviour({ chunkDelayMs: 5 });
      const handle = await harness.env.client.workflow.start<typeof backtestWorkflow>('backtestWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId,
        args: [backtestInput(config, { budgetTokens })],
      });
      await waitFor('four finished runs', async () => {
        const progress = await handle.query(backtestProgressQuery);
        return progress.finished >= 4 && progress.running > 0 ? progress : undefined;
      });
      first.kill('SIGKILL');
      assert.deepEqual(await first.exited, { code: null, signal: 'SIGKILL' });
      context.diagnostic('first worker process killed with runs in flight');
      harness.server.setBehaviour({ chunkDelayMs: 0 });
      const second = await startWorkerProcess({ harness, config });
      const result = await handle.result();
      second.kill('SIGTERM');
      await second.exited;

      assert.equal(result.entries.length, 12);
      assert.deepEqual(
        result.entries.map((entry) => entry.status),
        Array.from({ length: 12 }, () => 'completed'),
      );
      const dates = result.entries.map((entry) => entry.date);
      assert.equal(new Set(dates).size, 12, 'each date once');
      assert.deepEqual(dates, [...dates].sort());
      for (const entry of result.entries) {
        assert.ok(entry.decision, `${entry.date} decided`);
        assert.equal(entry.workflowId, `${workflowId}-${entry.date}-optimized`);
        // Analysed once: one run summary and one usage record per agent call (a retried attempt is not a call).
        const records = await harness.store.listUsage({ workflowId: entry.workflowId });
        assert.equal(records.length, 12, `${entry.date}: 12 calls`);
        assert.equal(new Set(records.map((record) => record.callId)).size, 12);
        const run = await harness.store.getRun(entry.workflowId);
        assert.equal(run?.totalTokens, entry.totalTokens);
        assert.equal(
          await ledgerTokens(entry.workflowId),
          entry.totalTokens,
          `${entry.date}: ledger = run total`,
        );
      }
      const spent = result.entries.reduce((sum, entry) => sum + entry.totalTokens, 0);
      assert.equal(result.spentTokens, spent);
      assert.ok(spent <= budgetTokens, `spent ${spent} of ${budgetTokens}`);
      const runs = await harness.store.listRuns({ limit: 1000 });
      assert.equal(runs.filter((run) => run.workflowId.startsWith(`${workflowId}-`)).length, 12);

      assert.ok(existsSync(result.markdownPath) && existsSync(result.jsonPath));
      const report = JSON.parse(readFileSync(result.jsonPath, 'utf8')) as BacktestReport;
      assert.equal(report.entries.length, 12);
      assert.equal(report.summary.modes.optimized?.completed, 12);
      assert.equal(report.summary.modes.optimized?.totalTokens, spent);
      const markdown = readFileSync(result.markdownPath, 'utf8');
      for (const date of dates) assert.ok(markdown.includes(date), `the report lists ${date}`);
      // Dates with a forward return were scored (HOLDs are not).
      const scored = result.entries.filter(
        (entry) => entry.forwardReturn !== undefined && entry.decision !== 'HOLD',
      ).length;
      assert.equal(report.summary.modes.optimized?.scored, scored);
    },
  );

  test(
    'a batch budget too small for every date: runs reserve before they start, the batch is never passed, the rest are skipped with why, and a long backtest continues as new',
    { timeout: 300_000 },
    async () => {
      const config = testConfig(harness);
      const budgetTokens = 150_000;
      const workflowId = `backtest-budget-${config.temporal.taskQueue}`;
      const workers = await createWorkers(harness, config);
      const handle = await harness.env.client.workflow.start<typeof backtestWorkflow>('backtestWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId,
        args: [
          backtestInput(config, {
            from: '2019-01-01',
            to: '2019-06-30',
            every: 'month',
            modes: ['baseline', 'optimized'],
            concurrency: 2,
            budgetTokens,
            historyEventLimit: 40,
          }),
        ],
      });
      const result = await workers.runUntil(handle.result());
      assert.equal(result.entries.length, 12, '6 months x 2 modes');
      const keys = result.entries.map((entry) => `${entry.date}/${entry.mode}`);
      assert.equal(new Set(keys).size, 12);
      const spent = result.entries.reduce((sum, entry) => sum + entry.totalTokens, 0);
      assert.ok(spent <= budgetTokens, `spent ${spent} of ${budgetTokens}`);
      const skipped = result.entries.filter((entry) => entry.status === 'skipped');
      assert.ok(skipped.length > 0, 'some dates did not fit');
      for (const entry of skipped) {
        assert.match(entry.reason ?? '', /the batch budget had \d+ tokens left, under the 10000 a run needs/);
        assert.equal(await harness.store.getRun(entry.workflowId), undefined, 'a skipped date never ran');
      }
      for (const entry of result.entries.filter((entry) => entry.status === 'completed')) {
        assert.equal(await ledgerTokens(entry.workflowId), entry.totalTokens);
      }
      const latest = await harness.env.client.workflow.getHandle(workflowId).describe();
      assert.notEqual(latest.runId, handle.firstExecutionRunId, 'the backtest continued as new');
    },
  );

  test('a stopped backtest finishes the runs in flight, skips the dates not started and still writes its report', async () => {
    const config = testConfig(harness);
    const workflowId = `backtest-stop-${config.temporal.taskQueue}`;
    const workers = await createWorkers(harness, config);
    const handle = await harness.env.client.workflow.start<typeof backtestWorkflow>('backtestWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId,
      // Named in the input, so the recorded history replays under any workflow id.
      args: [
        backtestInput(config, {
          backtestId: workflowId,
          from: '2019-01-01',
          to: '2019-06-30',
          every: 'month',
          concurrency: 1,
        }),
      ],
    });
    const result = await workers.runUntil(async () => {
      await waitFor('the first run to finish', async () => {
        const progress = await handle.query(backtestProgressQuery);
        return progress.finished >= 1 ? progress : undefined;
      });
      await handle.signal(stopBacktestSignal, { reason: 'enough for today' });
      return handle.result();
    });
    assert.equal(result.entries.length, 6);
    const completed = result.entries.filter((entry) => entry.status === 'completed');
    const skipped = result.entries.filter((entry) => entry.status === 'skipped');
    assert.ok(completed.length >= 1 && completed.length <= 2, `completed ${completed.length}`);
    assert.equal(completed.length + skipped.length, 6);
    assert.ok(skipped.every((entry) => entry.reason === 'enough for today'));
    assert.match(readFileSync(result.markdownPath, 'utf8'), /enough for today/);
    if (process.env.TOKENFLOW_RECORD_HISTORY === '1') {
      // The backtest's commands (children, the stop, the report), replayed by replay.test.ts.
      const file = path.join(__dirname, 'histories', 'backtest-stopped.json');
      writeFileSync(file, `${historyToJSON(await handle.fetchHistory())}\n`);
    }
  });
});
