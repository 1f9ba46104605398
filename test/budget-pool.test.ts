// Token pools and pausing on a real Temporal dev server with the scripted OpenAI-compatible server: 50 runs draw
// on one pool that cannot fit them all, and a paused run goes on after its budget is raised.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { buildRunSettings } from '../src/config/run-settings';
import type { AppConfig } from '../src/config/schema';
import { budgetStatusKey } from '../src/config/search-attributes';
import { poolWorkflowId, type PoolSummary } from '../src/core/pool';
import type { RunSettings } from '../src/core/run-types';
import type { analysisWorkflow } from '../src/workflows/analysis-workflow';
import { budgetQuery, progressQuery, raiseBudgetUpdate, usageQuery } from '../src/workflows/definitions';
import { poolStatusQuery, raisePoolUpdate } from '../src/workflows/pool-definitions';
import {
  createWorkers,
  startHarness,
  testConfig,
  testRequest,
  type Harness,
} from './support/workflow-harness';
import { waitFor } from './support/wait-for';

let harness: Harness;

before(async () => {
  harness = await startHarness();
});

after(async () => {
  await harness?.close();
});

function startRun(config: AppConfig, workflowId: string, settings: RunSettings, rounds = 0) {
  return harness.env.client.workflow.start<typeof analysisWorkflow>('analysisWorkflow', {
    taskQueue: config.temporal.taskQueue,
    workflowId,
    args: [{ request: testRequest({ researchRounds: rounds, riskRounds: rounds }), settings }],
  });
}

/** The pool's books hold: what it charged and what it holds never pass its budget. */
function assertWithinPool(pool: PoolSummary): void {
  assert.ok(
    pool.spent + pool.reserved <= pool.budget,
    `pool passed: ${pool.spent} spent + ${pool.reserved} reserved of ${pool.budget}`,
  );
}

describe('token pools and pausing', () => {
  test(
    '50 concurrent runs on one pool that cannot fit them: the pool is never passed, the runs that do not fit pause, and raising the pool lets them finish',
    { timeout: 600_000 },
    async (context) => {
      const runs = 50;
      const hardCap = 40_000;
      // Room for eight runs at a time; the runs spend about a quarter of their cap, so some 35 fit in the day.
      const config = testConfig(harness, {
        pools: { team: { tokensPerPeriod: 8 * hardCap, period: 'day' } },
        openai: { baseUrl: harness.server.url, apiKey: 'test-key', maxConcurrentCalls: 16 },
      });
      const settings = buildRunSettings(config, { budget: hardCap, pool: 'team', onExhausted: 'pause' });
      const workers = await createWorkers(harness, config);
      const poolHandle = harness.env.client.workflow.getHandle(poolWorkflowId('team'));
      const ids = Array.from(
        { length: runs },
        (_, index) => `pool-run-${index}-${config.temporal.taskQueue}`,
      );

      await workers.runUntil(async () => {
        const handles = await Promise.all(ids.map((id) => startRun(config, id, settings)));
        const snapshots: PoolSummary[] = [];
        // The pool fills: nobody holds tokens any more, and every run not finished waits in its line.
        const settled = await waitFor(
          'the pool to run dry',
          async () => {
            const pool = await poolHandle.query(poolStatusQuery);
            snapshots.push(pool);
            return pool.holders.length === 0 && pool.waiting.length > 0 ? pool : undefined;
          },
          240_000,
        );
        for (const snapshot of snapshots) assertWithinPool(snapshot);
        assert.ok(
          Math.max(...snapshots.map((snapshot) => snapshot.holders.length)) <= 8,
          'at most eight runs held a grant at once',
        );
        const waiting = settled.waiting.length;
        context.diagnostic(`pool dry: ${settled.spent} of ${settled.budget} spent, ${waiting} runs waiting`);
        assert.ok(waiting > 0 && waiting < runs);

        // A waiting run shows it is paused, and why, to `tokenflow status` and in the Temporal UI.
        const paused = harness.env.client.workflow.getHandle(settled.waiting[0]!.holder);
        const progress = await paused.query(progressQuery);
        assert.equal(progress.completedCalls, 0);
        assert.match(progress.paused?.[0] ?? '', /pool team has \d+ tokens left/);
        assert.equal((await paused.describe()).typedSearchAttributes.get(budgetStatusKey), 'paused');

        await poolHandle.executeUpdate(raisePoolUpdate, { args: [{ tokens: runs * hardCap }] });
        const results = await Promise.all(handles.map((handle) => handle.result()));
        const pool = await poolHandle.query(poolStatusQuery);
        assertWithinPool(pool);
        assert.equal(pool.holders.length, 0);
        assert.equal(pool.waiting.length, 0);
        for (const result of results) {
          assert.equal(result.status, 'completed');
          assert.ok(result.decision, `${result.workflowId} decided`);
          assert.ok(result.totals.totalTokens <= hardCap);
        }
        // The pool charged exactly what the runs spent, and the ledger holds each run once.
        const spent = results.reduce((sum, result) => sum + result.totals.totalTokens, 0);
        assert.equal(pool.spent, spent);
        const ledgerRuns = await harness.store.listRuns({ limit: 1000 });
        assert.equal(ledgerRuns.filter((run) => ids.includes(run.workflowId)).length, runs);

        // After the raise and the runs, the pool still has room: every run was charged what it spent, no more.
        assert.ok(pool.available > 0);
      });
    },
  );

  test(
    'a degrading run on a pool with too little left runs on what is left, or not at all when that is under a quarter of its cap',
    { timeout: 300_000 },
    async () => {
      const config = testConfig(harness, {
        pools: {
          small: { tokensPerPeriod: 20_000, period: 'day', onExhausted: 'degrade' },
          tiny: { tokensPerPeriod: 5_000, period: 'day' },
        },
      });
      const workers = await createWorkers(harness, config);
      await workers.runUntil(async () => {
        const cut = await startRun(
          config,
          `pool-cut-${config.temporal.taskQueue}`,
          buildRunSettings(config, { pool: 'small' }),
        );
        const cutResult = await cut.result();
        assert.equal(cutResult.budget.hardCap, 20_000);
        assert.ok(
          cutResult.degradations.includes(
            'budget cut from 40000 to 20000 tokens: pool small had only 20000 left this period',
          ),
        );
        assert.ok(cutResult.totals.totalTokens <= 20_000);
        const small = await harness.env.client.workflow
          .getHandle(poolWorkflowId('small'))
          .query(poolStatusQuery);
        assert.equal(small.spent, cutResult.totals.totalTokens);
        assertWithinPool(small);

        const none = await startRun(
          config,
          `pool-none-${config.temporal.taskQueue}`,
          buildRunSettings(config, { pool: 'tiny' }),
        );
        const noneResult = await none.result();
        assert.equal(noneResult.calls.length, 0);
        assert.equal(noneResult.decision, undefined);
        assert.match(
          noneResult.noDecisionReason ?? '',
          /^pool tiny had 5000 tokens left this period, less than the 10000 this run needs at least; no agent ran$/,
        );
        const tiny = await harness.env.client.workflow
          .getHandle(poolWorkflowId('tiny'))
          .query(poolStatusQuery);
        assert.equal(tiny.spent, 0);
        assert.equal(tiny.holders.length, 0);
        if (process.env.TOKENFLOW_RECORD_HISTORY === '1') {
          // The pool's commands (updates, the run's grant and release), replayed by replay.test.ts.
          const history = await harness.env.client.workflow.getHandle(poolWorkflowId('small')).fetchHistory();
          writeFileSync(path.join(__dirname, 'histories', 'budget-pool.json'), `${historyToJSON(history)}\n`);
        }
      });
    },
  );

  test(
    'a pooled run cancelled from outside still gives its grant back, charged with what it spent',
    { timeout: 300_000 },
    async () => {
      // Pools are named per namespace: this test's pool is not the one an earlier test's workers served.
      const config = testConfig(harness, { pools: { cancels: { tokensPerPeriod: 100_000, period: 'day' } } });
      const workers = await createWorkers(harness, config);
      const workflowId = `pool-cancelled-${config.temporal.taskQueue}`;
      harness.server.setBehaviour({ chunkDelayMs: 5 });
      try {
        await workers.runUntil(async () => {
          const handle = await startRun(config, workflowId, buildRunSettings(config, { pool: 'cancels' }), 1);
          await waitFor('a finished call', async () =>
            (await handle.query(progressQuery)).completedCalls > 0 ? true : undefined,
          );
          // A raise of a pooled run comes from the pool; one the pool cannot give fails and changes nothing.
          const raised = await handle.executeUpdate(raiseBudgetUpdate, { args: [{ tokens: 10_000 }] });
          assert.equal(raised.hardCap, 50_000);
          const holding = await harness.env.client.workflow
            .getHandle(poolWorkflowId('cancels'))
            .query(poolStatusQuery);
          assert.deepEqual(
            holding.holders.map((holder) => holder.tokens),
            [50_000],
          );
          await assert.rejects(
            handle.executeUpdate(raiseBudgetUpdate, { args: [{ tokens: 60_000 }] }),
            (error: unknown) =>
              error instanceof Error &&
              /pool cancels has only 50000 tokens left this period, not the 60000 asked for/.test(
                String((error as { cause?: Error }).cause?.message ?? error.message),
              ),
          );
          assert.equal((await handle.query(budgetQuery)).hardCap, 50_000);
          await handle.cancel();
          await assert.rejects(handle.result());
          const pool = await harness.env.client.workflow
            .getHandle(poolWorkflowId('cancels'))
            .query(poolStatusQuery);
          assert.equal(pool.holders.length, 0, 'the grant was released');
          const run = await harness.store.getRun(workflowId);
          assert.equal(run?.budgetStatus, 'cancelled');
          assert.ok(pool.spent > 0);
          assert.equal(pool.spent, run?.totalTokens);
        });
      } finally {
        harness.server.setBehaviour({ chunkDelayMs: 0 });
      }
    },
  );

  test(
    'a paused run goes on after its budget is raised, and its finished agents are not called again',
    { timeout: 300_000 },
    async () => {
      const config = testConfig(harness);
      // Too little for every agent's share: some analysts finish, and one pauses.
      const settings = buildRunSettings(config, { budget: 12_000, onExhausted: 'pause' });
      const workers = await createWorkers(harness, config);
      const workflowId = `paused-run-${config.temporal.taskQueue}`;
      await workers.runUntil(async () => {
        const handle = await startRun(config, workflowId, settings, 1);
        await waitFor('the run to pause', async () => {
          const current = await handle.query(progressQuery);
          // Settled: every agent still in flight is a paused one.
          const paused = (current.paused ?? []).length;
          return paused > 0 && current.completedCalls > 0 && paused === current.currentAgents.length
            ? current
            : undefined;
        });
        assert.equal((await handle.describe()).typedSearchAttributes.get(budgetStatusKey), 'paused');
        const before = await handle.query(usageQuery);
        // Paused: nothing moves while it waits.
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        assert.equal((await handle.query(usageQuery)).length, before.length);

        await handle.executeUpdate(raiseBudgetUpdate, { args: [{ tokens: 60_000 }] });
        const result = await handle.result();
        assert.ok(result.decision, 'the raised run decided');
        assert.equal(result.calls.length, 12, 'every agent ran once');
        assert.equal(new Set(result.calls.map((call) => call.callId)).size, 12);
        // The calls finished before the pause are the same calls, untouched.
        for (const call of before) {
          assert.deepEqual(
            result.calls.find((candidate) => candidate.callId === call.callId),
            call,
          );
        }
        // Their history shows one model call each, and the ledger one record each.
        const history = await handle.fetchHistory();
        const invokes = (history.events ?? []).filter(
          (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'invokeModel',
        );
        assert.equal(invokes.length, 12);
        const records = await harness.store.listUsage({ workflowId });
        assert.equal(records.length, 12);
        assert.equal(new Set(records.map((record) => record.callId)).size, 12);
        assert.ok(!result.degradations.some((line) => /skipped|trimmed/.test(line)), 'nothing degraded');
        assert.ok(result.totals.totalTokens <= result.budget.hardCap);
        if (process.env.TOKENFLOW_RECORD_HISTORY === '1') {
          // A run that paused and went on after a raise, replayed by replay.test.ts.
          writeFileSync(
            path.join(__dirname, 'histories', 'analysis-paused-raised.json'),
            `${historyToJSON(history)}\n`,
          );
        }
      });
    },
  );
});
