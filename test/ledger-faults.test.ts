import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { WorkflowFailedError } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { buildRunSettings } from '../src/config/run-settings';
import type { AppConfig } from '../src/config/schema';
import type { AnalysisResult } from '../src/core/run-types';
import type { UsageRecord } from '../src/core/types';
import { UsageStoreError, type UsageStore } from '../src/storage/usage-store';
import { failureMessage } from '../src/cli/failure-message';
import type { analysisWorkflow } from '../src/workflows/analysis-workflow';
import { budgetQuery, cancelRunUpdate, changeBudgetUpdate } from '../src/workflows/definitions';
import type { RecordedRequest } from './support/fake-openai-server';
import { detectRole } from './support/scripted-model';
import {
  createWorkers,
  runAnalysis,
  startHarness,
  testConfig,
  testRequest,
  type Harness,
} from './support/workflow-harness';

let harness: Harness;

before(async () => {
  harness = await startHarness();
});

after(async () => {
  await harness?.close();
});

/** Workers for `config` and an analysis started on them, for tests that act while it runs. */
async function startRun(config: AppConfig, workflowId: string, store: UsageStore = harness.store) {
  const workers = await createWorkers(harness, config, store);
  const handle = await harness.env.client.workflow.start<typeof analysisWorkflow>('analysisWorkflow', {
    taskQueue: config.temporal.taskQueue,
    workflowId,
    args: [{ request: testRequest(), settings: buildRunSettings(config) }],
  });
  return { workers, handle };
}

/** Requests the server served for one workflow, by the call id header every request carries. */
function requestsOf(workflowId: string): (request: RecordedRequest) => boolean {
  return (request) => (request.headers['x-tokenflow-call-id'] ?? '').startsWith(`${workflowId}/`);
}

/** Everything the ledger holds for a workflow: each record's own tokens plus those of its earlier attempts. */
function ledgerTotal(records: readonly UsageRecord[]): number {
  return records.reduce(
    (sum, record) => sum + record.promptTokens + record.completionTokens + record.lostTokens,
    0,
  );
}

/** Within `tolerance` (a fraction) of the server's count; the ledger errs toward the bill, never far below it. */
function assertNearServer(ledger: number, server: number, tolerance: number, what: string): void {
  const gap = (ledger - server) / server;
  assert.ok(
    Math.abs(gap) <= tolerance,
    `${what}: ledger ${ledger} vs server ${server} (${(gap * 100).toFixed(2)}%)`,
  );
}

async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('the ledger against the server’s own count, through faults', () => {
  test('a server that tokenizes differently: the ledger stays within 2% of its count and a 6,000-token budget holds against it', async (context) => {
    // 30% more prompt tokens and 20% more completion tokens than tokenflow's tokenizer (further than the default
    // an unlearned estimate assumes), three tokens per chunk, at 600 tokens a second: a server bills what it
    // generated before it saw the client leave, so one that writes a whole answer in a microsecond would bill
    // tokens no client could have read.
    harness.server.setBehaviour({
      promptTokenFactor: 1.3,
      completionTokenFactor: 1.2,
      tokensPerChunk: 3,
      chunkDelayMs: 5,
    });
    try {
      const config = testConfig(harness);
      const workflowId = 'test-drift';
      const { workers, handle } = await startRun(config, workflowId);
      const result = await workers.runUntil(async () => {
        // Once the analysts have answered (the run has learned the drift), one answer loops: the stream monitor
        // stops it before the server's usage arrives, so its tokens are an estimate.
        await until(() => harness.server.requests.filter(requestsOf(workflowId)).length >= 5, 'the debate');
        harness.server.enqueueFault({ kind: 'loop' });
        return handle.result();
      });
      const estimated = result.calls.filter((call) => call.usageSource === 'estimated');
      assert.ok(estimated.length >= 1, 'one call was stopped by tokenflow and estimated');
      for (const call of estimated) {
        // The estimate of a stream tokenflow stopped itself, scaled by the drift the run learned.
        const billed = harness.server.billedTotals(
          (request) => request.headers['x-tokenflow-call-id'] === call.callId,
        );
        assertNearServer(
          call.promptTokens + call.completionTokens,
          billed.totalTokens,
          0.03,
          `${call.agent}'s estimate`,
        );
      }
      assert.ok(
        result.tokenizerDrift && result.tokenizerDrift.prompt.samples >= 4,
        'the run learned the drift',
      );
      const server = harness.server.billedTotals(requestsOf(workflowId)).totalTokens;
      const records = await harness.store.listUsage({ workflowId });
      assert.equal(ledgerTotal(records), result.totals.totalTokens, 'the store holds what the run counted');
      assertNearServer(result.totals.totalTokens, server, 0.02, 'drifting tokenizer');
      context.diagnostic(`drifting tokenizer: ledger ${result.totals.totalTokens}, server ${server}`);

      const tight = await runAnalysis(harness, {
        config: testConfig(harness),
        runOverrides: { budget: 6000 },
        workflowId: 'test-drift-6000',
      });
      assert.ok(tight.ok, tight.ok ? '' : failureMessage(tight.error));
      const billed = harness.server.billedTotals(requestsOf('test-drift-6000')).totalTokens;
      assert.ok(billed <= 6000, `the server counted ${billed} tokens for a 6,000-token run`);
      assert.ok(tight.result.totals.totalTokens <= 6000);
      assert.deepEqual(tight.result.budget.overruns, []);
      assertNearServer(tight.result.totals.totalTokens, billed, 0.02, '6,000-token run');
      context.diagnostic(`6,000-token run: ledger ${tight.result.totals.totalTokens}, server ${billed}`);
    } finally {
      harness.server.setBehaviour({
        promptTokenFactor: 1,
        completionTokenFactor: 1,
        tokensPerChunk: undefined,
      });
    }
  });

  test('cancelRun while calls stream ends the run as cancelled, streams closed, every token recorded, summary written', async (context) => {
    harness.server.setBehaviour({ chunkDelayMs: 40 });
    try {
      const config = testConfig(harness);
      const workflowId = 'test-cancel';
      const { workers, handle } = await startRun(config, workflowId);
      const result: AnalysisResult = await workers.runUntil(async () => {
        // Cancel while the bull researcher streams: the analysts before it taught the run the server's drift.
        await until(
          () =>
            harness.server.requests.some(
              (request) =>
                request.headers['x-tokenflow-call-id'] === `${workflowId}/bull_researcher/1` &&
                (request.billed?.completionTokens ?? 0) > 30,
            ),
          'the bull researcher streaming',
        );
        await handle.executeUpdate(cancelRunUpdate, { args: [{ reason: 'test cancel' }] });
        return handle.result();
      });
      assert.equal(result.status, 'cancelled');
      assert.equal(result.cancelReason, 'test cancel');
      await until(() => harness.server.openStreamCount() === 0, 'the streams to close', 10_000);

      const cancelled = result.calls.filter((call) => call.finishReason === 'cancelled');
      assert.deepEqual(
        cancelled.map((call) => call.agent),
        ['bull_researcher'],
        'the call that streamed when the run was cancelled',
      );
      for (const call of cancelled) {
        assert.equal(call.attemptRecords.at(-1)?.outcome, 'cancelled');
        assert.ok(call.lostTokens > 0, `${call.agent}: what the cancelled stream spent is counted`);
      }
      const records = await harness.store.listUsage({ workflowId });
      assert.equal(records.length, result.calls.length, 'every call that spent tokens has its record');
      const server = harness.server.billedTotals(requestsOf(workflowId)).totalTokens;
      assertNearServer(ledgerTotal(records), server, 0.02, 'cancelled run');
      context.diagnostic(`cancelled run: ledger ${ledgerTotal(records)}, server ${server}`);
      assert.equal(result.totals.totalTokens, ledgerTotal(records));
      const summary = await harness.store.getRun(workflowId);
      assert.equal(summary?.budgetStatus, 'cancelled');
      if (process.env.TOKENFLOW_RECORD_HISTORY === '1') {
        // The cancelled path's commands (streams closed, calls recorded, summary), replayed by replay.test.ts.
        const file = path.join(__dirname, 'histories', 'analysis-cancelled.json');
        writeFileSync(file, `${historyToJSON(await handle.fetchHistory())}\n`);
      }
      assert.equal(summary?.totalTokens, result.totals.totalTokens);
    } finally {
      harness.server.setBehaviour({ chunkDelayMs: 0 });
    }
  });

  test('a 401 in the middle of a run fails it with every call that spent tokens recorded and a failed summary', async () => {
    const config = testConfig(harness);
    const workflowId = 'test-401-mid-run';
    const { workers, handle } = await startRun(config, workflowId);
    try {
      const outcome = await workers.runUntil(async () => {
        await until(() => harness.server.requests.filter(requestsOf(workflowId)).length >= 5, 'the debate');
        harness.server.setBehaviour({ requireApiKey: 'a-rotated-key' });
        return handle.result().then(
          () => undefined,
          (error: unknown) => error,
        );
      });
      assert.ok(outcome instanceof WorkflowFailedError, 'the run failed');
      assert.match(failureMessage(outcome), /401|API key/);
    } finally {
      harness.server.setBehaviour({ requireApiKey: undefined });
    }
    const records = await harness.store.listUsage({ workflowId });
    const failed = records.filter((record) => record.finishReason === 'failed');
    assert.equal(failed.length, 1, 'the call the 401 stopped is in the ledger');
    assert.equal(failed[0]?.attemptRecords?.[0]?.failureType, 'AuthenticationFailed');
    assert.ok(records.length >= 5, `${records.length} records: every call before it too`);
    const server = harness.server.billedTotals(requestsOf(workflowId)).totalTokens;
    assert.equal(
      ledgerTotal(records),
      server,
      'a refused request bills nothing, the rest came from the server',
    );
    const summary = await harness.store.getRun(workflowId);
    assert.equal(summary?.budgetStatus, 'failed');
    assert.equal(summary?.totalTokens, server);
  });

  test('a decision still unreadable after its repair ends the run with no decision and keeps every report', async () => {
    harness.server.setBehaviour({
      // The risk manager's answer and its structured repair both come back unreadable.
      answerOverride: (messages) =>
        detectRole(messages) === 'risk_manager' ||
        (messages[0]?.content ?? '').startsWith('You restate a trading decision')
          ? 'I would rather not commit to anything today.'
          : undefined,
    });
    try {
      const run = await runAnalysis(harness, { config: testConfig(harness), workflowId: 'test-no-decision' });
      assert.ok(run.ok, run.ok ? '' : failureMessage(run.error));
      assert.equal(run.result.status, 'completed');
      assert.equal(run.result.decision, undefined);
      assert.match(run.result.noDecisionReason ?? '', /did not give a valid decision even after one repair/);
      assert.ok(
        run.result.reports.trader && run.result.reports.research_manager,
        'the paid-for reports stay',
      );
      assert.equal(run.result.calls.length, 13, 'twelve agent calls and the repair');
      const summary = await harness.store.getRun('test-no-decision');
      assert.equal(summary?.decision, undefined);
      assert.equal(summary?.totalTokens, run.result.totals.totalTokens);
    } finally {
      harness.server.setBehaviour({ answerOverride: undefined });
    }
  });

  test('a usage store locked for a while delays the records, loses none and fails nothing', async () => {
    const config = testConfig(harness);
    const workflowId = 'test-store-locked';
    const { workers, handle } = await startRun(config, workflowId);
    const locker = new Database(path.join(harness.dataDir, 'tokenflow.db'));
    let lockedMs = 0;
    const result = await workers.runUntil(async () => {
      await until(() => harness.server.requests.some(requestsOf(workflowId)), 'the first call');
      // Another process holds the write lock for several seconds, past SQLite's busy timeout.
      locker.exec('BEGIN EXCLUSIVE');
      const lockedAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 6000));
      locker.exec('COMMIT');
      lockedMs = Date.now() - lockedAt;
      return handle.result();
    });
    locker.close();
    assert.ok(lockedMs >= 6000);
    assert.equal(result.status, 'completed');
    assert.ok(result.decision);
    assert.deepEqual(result.degradations, []);
    // A write waiting on the lock must not stall the worker: no model call missed its heartbeats meanwhile.
    assert.deepEqual(
      result.calls.filter((call) => call.attempts > 1).map((call) => call.callId),
      [],
    );
    assert.equal(
      (await harness.store.listUsage({ workflowId })).length,
      12,
      'every record written once the lock was gone',
    );
    assert.equal((await harness.store.getRun(workflowId))?.totalTokens, result.totals.totalTokens);
  });

  test('a usage write that fails for good costs the run a degradation, never the run', async () => {
    const config = testConfig(harness);
    const workflowId = 'test-store-refuses';
    // A store that refuses every usage record as invalid (a non-retryable failure), as a broken or full store
    // would after Temporal's retries.
    const refusing: UsageStore = {
      ...harness.store,
      recordUsage: async () => {
        throw new UsageStoreError('Usage record refused by a test store.');
      },
    };
    const { workers, handle } = await startRun(config, workflowId, refusing);
    const result = await workers.runUntil(handle.result());

    assert.equal(result.status, 'completed');
    assert.ok(result.decision, 'the run went on to its decision');
    assert.equal(result.calls.length, 12);
    assert.equal(
      result.degradations.filter((line) => /usage record could not be written/.test(line)).length,
      12,
      result.degradations.join('; '),
    );
  });

  test('changeBudget lowers a running run’s cap, which the run then keeps to, and refuses one below what is committed', async () => {
    harness.server.setBehaviour({ chunkDelayMs: 10 });
    try {
      const config = testConfig(harness);
      const workflowId = 'test-change-budget';
      const { workers, handle } = await startRun(config, workflowId);
      const result = await workers.runUntil(async () => {
        await until(() => harness.server.requests.filter(requestsOf(workflowId)).length >= 5, 'the debate');
        const budget = await handle.query(budgetQuery);
        const committed = budget.spent + budget.reserved;
        await assert.rejects(
          handle.executeUpdate(changeBudgetUpdate, { args: [{ hardCap: committed - 1 }] }),
          (error: unknown) => /below the \d+ tokens already spent or reserved/.test(failureMessage(error)),
        );
        const lowered = await handle.executeUpdate(changeBudgetUpdate, {
          args: [{ hardCap: committed + 3000 }],
        });
        assert.equal(lowered.hardCap, committed + 3000);
        return handle.result();
      });
      assert.ok(result.budget.hardCap < 40000, 'the lowered cap is the run’s cap');
      assert.ok(result.totals.totalTokens <= result.budget.hardCap, 'and the run kept to it');
      assert.ok(result.calls.length < 12 || result.degradations.length > 0, 'later agents had less room');
      const billed = harness.server.billedTotals(requestsOf(workflowId)).totalTokens;
      assert.ok(billed <= result.budget.hardCap, `the server counted ${billed}`);
    } finally {
      harness.server.setBehaviour({ chunkDelayMs: 0 });
    }
  });
});
