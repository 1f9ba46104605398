// Two worker processes share one PostgreSQL ledger while runs go on, and the CLI reads it from a third process:
// every call of every run is in the ledger once, whichever worker ran it, and what the CLI reports adds up.
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import { buildRunSettings } from '../src/config/run-settings';
import type { AppConfig } from '../src/config/schema';
import type { AnalysisResult } from '../src/core/run-types';
import { createTestDatabase, ledgerEngines } from '../src/storage/test-ledgers';
import { openUsageStore, type UsageStore } from '../src/storage/usage-store';
import type { analysisWorkflow } from '../src/workflows/analysis-workflow';
import { projectDirectory } from './support/temporal-test-environment';
import { killAllWorkerProcesses, startWorkerProcess, type WorkerProcess } from './support/worker-process';
import { startHarness, testConfig, testRequest, type Harness } from './support/workflow-harness';

const run = promisify(execFile);
const postgres = ledgerEngines().find((entry) => entry.engine === 'postgres');
const RUNS = 4;

let harness: Harness;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let ledger: UsageStore;

before(async () => {
  if (postgres?.skip) return;
  // A few milliseconds per chunk keeps the runs going long enough to be read while they write.
  harness = await startHarness({ chunkDelayMs: 4 });
  database = await createTestDatabase();
  ledger = await openUsageStore(database.url);
});

after(async () => {
  await killAllWorkerProcesses();
  await ledger?.close();
  await database?.drop();
  await harness?.close();
});

/** The CLI in a process of its own, reading the ledger named by TOKENFLOW_DATABASE_URL. */
async function cli(config: AppConfig, ...args: string[]): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', path.join(projectDirectory, 'src', 'cli', 'main.ts'), ...args],
    {
      cwd: projectDirectory,
      env: {
        PATH: process.env.PATH ?? '',
        TOKENFLOW_DATABASE_URL: database.url,
        TEMPORAL_ADDRESS: harness.env.address,
        TOKENFLOW_TASK_QUEUE: config.temporal.taskQueue,
      },
      timeout: 60_000,
    },
  );
  return stdout;
}

/** The process ids of the workers that ran a workflow's activities, from its history. */
async function activityWorkerPids(workflowId: string): Promise<Set<number>> {
  const history = await harness.env.client.workflow.getHandle(workflowId).fetchHistory();
  const pids = new Set<number>();
  for (const event of history.events ?? []) {
    const identity = event.activityTaskStartedEventAttributes?.identity;
    const pid = identity ? Number.parseInt(identity, 10) : Number.NaN;
    if (!Number.isNaN(pid)) pids.add(pid);
  }
  return pids;
}

describe('two workers, one PostgreSQL ledger', { skip: postgres?.skip ?? false }, () => {
  test('every call once in the ledger, from both workers; the CLI reads it while runs go on and after', async () => {
    const config = testConfig(harness, { database: { url: database.url } });
    const workers: WorkerProcess[] = await Promise.all([
      startWorkerProcess({ harness, config }),
      startWorkerProcess({ harness, config }),
    ]);
    const settings = buildRunSettings(config);
    const handles = await Promise.all(
      Array.from({ length: RUNS }, (_, index) =>
        harness.env.client.workflow.start<typeof analysisWorkflow>('analysisWorkflow', {
          taskQueue: config.temporal.taskQueue,
          workflowId: `two-workers-${process.pid}-${index}`,
          args: [{ request: testRequest(), settings }],
        }),
      ),
    );
    const results = Promise.all(handles.map((handle) => handle.result() as Promise<AnalysisResult>));

    // While the runs write, a third process reads the ledger.
    const deadline = Date.now() + 120_000;
    while ((await ledger.listUsage({ limit: 1 })).length === 0) {
      assert.ok(Date.now() < deadline, 'no usage record within 120 s');
      await delay(50);
    }
    const day = new Date().toISOString().slice(0, 10);
    const midway = JSON.parse(await cli(config, 'report', '--day', day, '--json')) as { calls: number };
    assert.ok(midway.calls >= 1, `the CLI saw ${midway.calls} calls while the runs went on`);

    const finished = await results;
    const expectedCalls = finished.flatMap((result) =>
      result.calls.map((call) => `${result.workflowId} ${call.callId}`),
    );
    const recorded = (
      await Promise.all(finished.map((result) => ledger.listUsage({ workflowId: result.workflowId })))
    )
      .flat()
      .map((record) => `${record.workflowId} ${record.callId}`);
    assert.deepEqual(
      [...recorded].sort(),
      [...expectedCalls].sort(),
      'each call of each run once, none lost',
    );
    assert.ok(midway.calls < recorded.length, 'the midway read happened while calls were still to come');

    for (const result of finished) {
      const records = await ledger.listUsage({ workflowId: result.workflowId });
      assert.equal(
        records.reduce(
          (sum, record) => sum + record.promptTokens + record.completionTokens + record.lostTokens,
          0,
        ),
        result.calls.reduce(
          (sum, call) => sum + call.promptTokens + call.completionTokens + call.lostTokens,
          0,
        ),
        `${result.workflowId}: the ledger's tokens are the run's`,
      );
    }

    const pids = new Set<number>();
    for (const result of finished)
      for (const pid of await activityWorkerPids(result.workflowId)) pids.add(pid);
    assert.deepEqual(
      [...pids].sort(),
      workers.map((worker) => worker.pid).sort(),
      'both workers ran activities (and so wrote to the ledger)',
    );

    // After the runs, the CLI in its own process reports what the ledger holds, and one run's calls.
    const report = JSON.parse(await cli(config, 'report', '--day', day, '--json')) as {
      calls: number;
      runs: number;
    };
    const today = (await ledger.listUsage()).filter((record) => record.recordedAt?.startsWith(day));
    assert.equal(report.calls, today.length);
    const first = finished[0]!;
    const usage = JSON.parse(await cli(config, 'usage', first.workflowId, '--json')) as Array<{
      callId: string;
    }>;
    assert.deepEqual(usage.map((call) => call.callId).sort(), first.calls.map((call) => call.callId).sort());
  });
});
