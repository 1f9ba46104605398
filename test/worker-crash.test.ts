import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { failureMessage } from '../src/cli/failure-message';
import { renderLedger } from '../src/cli/render-ledger';
import { buildRunSettings } from '../src/config/run-settings';
import type { AgentName } from '../src/core/agents';
import type { AnalysisResult } from '../src/core/run-types';
import type { analysisWorkflow } from '../src/workflows/analysis-workflow';
import type { RecordedRequest } from './support/fake-openai-server';
import { detectRole, type ScriptedRole } from './support/scripted-model';
import { killAllWorkerProcesses, startWorkerProcess } from './support/worker-process';
import { startHarness, testConfig, testRequest, type Harness } from './support/workflow-harness';

/** Slow enough that one answer streams for several seconds, so the kill lands mid-stream. */
const CHUNK_DELAY_MS = 40;
/** The call whose worker is killed: it runs alone, so the only open stream is its own. */
const VICTIM: AgentName = 'bull_researcher';
/** How long the victim streams before the kill: the answer has been under way, and is far from done. */
const STREAMED_BEFORE_KILL_MS = 2500;

let harness: Harness;

before(async () => {
  harness = await startHarness({ chunkDelayMs: CHUNK_DELAY_MS });
});

after(async () => {
  await killAllWorkerProcesses();
  await harness?.close();
});

function chatRequests(): RecordedRequest[] {
  return harness.server.requests.filter((request) => request.path.endsWith('/chat/completions'));
}

/** The agent a request was sent for, read from its prompt the way the scripted model reads it. */
function roleOf(request: RecordedRequest): ScriptedRole {
  return detectRole(request.body?.messages ?? []);
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await delay(25);
  }
}

function countBy<T>(items: readonly T[], key: (item: T) => string, weight: (item: T) => number = () => 1) {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + weight(item);
  return counts;
}

/**
 * Reconciles what the run recorded with what the model server saw: every attempt of a call sent exactly one
 * chat request, so per agent the server's requests equal the attempts in the result, and the store holds
 * one usage record per call agreeing with the result on attempts and lost tokens. Checks of the tokens the
 * killed attempt streamed against what the ledger charged for it belong here.
 */
async function assertLedgerMatchesServer(
  result: AnalysisResult,
  requests: readonly RecordedRequest[],
): Promise<{ ledger: number; billed: number; lost: string }> {
  assert.deepEqual(
    countBy(requests, roleOf),
    countBy(
      result.calls,
      (call) => call.agent,
      (call) => call.attempts,
    ),
    'chat requests per agent (server) = attempts per agent (result)',
  );
  const records = await harness.store.listUsage({ workflowId: result.workflowId });
  assert.deepEqual(
    records.map((record) => record.callId).sort(),
    result.calls.map((call) => call.callId).sort(),
    'one usage record per call',
  );
  for (const call of result.calls) {
    const record = records.find((candidate) => candidate.callId === call.callId);
    assert.equal(record?.attempts, call.attempts, `${call.callId}: attempts in the store`);
    assert.equal(record?.lostTokens, call.lostTokens, `${call.callId}: lost tokens in the store`);
    assert.equal(
      record?.attemptRecords?.length,
      call.attempts,
      `${call.callId}: every attempt in the ledger`,
    );
  }

  // The killed attempt is in the ledger as lost with its worker, charged what its last heartbeat said it had
  // put on the bill: the prompt and the answer streamed until then, at most a couple of seconds short.
  const victim = records.find((record) => record.agent === VICTIM);
  const lost = victim?.attemptRecords?.find((attempt) => attempt.outcome === 'lost');
  assert.ok(
    lost,
    `the ${VICTIM}'s killed attempt is recorded as lost: ${JSON.stringify(victim?.attemptRecords)}`,
  );
  const killedRequest = requests.find((request) => roleOf(request) === VICTIM);
  assert.ok(killedRequest?.billed, 'the server billed the killed attempt');
  // What `tokenflow usage <id>` prints for the run shows the lost attempt with its tokens.
  assert.match(
    renderLedger(result.workflowId, records),
    new RegExp(
      `attempt ${lost.attempt} {2}lost +${lost.promptTokens} prompt +${lost.completionTokens} completion {2}estimate`,
    ),
  );
  assert.ok(lost.promptTokens >= killedRequest.billed.promptTokens, 'its prompt is charged in full');
  assert.ok(
    lost.promptTokens + lost.completionTokens > killedRequest.billed.promptTokens,
    'and what it had streamed by its last heartbeat',
  );

  // The run's total is the server's count, within 2%, and under the cap by both counts.
  const ledger = records.reduce(
    (sum, record) => sum + record.promptTokens + record.completionTokens + record.lostTokens,
    0,
  );
  const billed = requests.reduce(
    (sum, request) =>
      sum + (request.billed ? request.billed.promptTokens + request.billed.completionTokens : 0),
    0,
  );
  assert.equal(ledger, result.totals.totalTokens, 'the store holds what the run counted');
  assert.ok(
    Math.abs(ledger - billed) / billed <= 0.02,
    `ledger ${ledger} within 2% of the server's ${billed} (${(((ledger - billed) / billed) * 100).toFixed(2)}%)`,
  );
  assert.ok(billed <= result.budget.hardCap && ledger <= result.budget.hardCap, 'under the cap');
  return {
    ledger,
    billed,
    lost: `${lost.promptTokens}+${lost.completionTokens} charged, ${killedRequest.billed.promptTokens}+${killedRequest.billed.completionTokens} billed`,
  };
}

describe('a worker process killed mid-stream', () => {
  test(
    'the call is retried on a new worker process and the run still ends in a decision',
    { timeout: 240_000 },
    async (context) => {
      const startedAt = Date.now();
      const mark = (what: string) => context.diagnostic(`${what} at ${Date.now() - startedAt} ms`);
      const config = testConfig(harness, {
        invoke: { startToCloseSeconds: 60, heartbeatTimeoutSeconds: 3, maximumAttempts: 3 },
      });
      const firstRequest = chatRequests().length;
      const first = await startWorkerProcess({ harness, config });
      mark('first worker process ready');
      const handle = await harness.env.client.workflow.start<typeof analysisWorkflow>('analysisWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId: `test-worker-crash-${config.temporal.taskQueue}`,
        args: [
          {
            request: testRequest({ researchRounds: 1, riskRounds: 1 }),
            settings: buildRunSettings(config),
          },
        ],
      });
      const outcome = handle.result().then(
        (result: AnalysisResult) => ({ ok: true as const, result }),
        (error: unknown) => ({ ok: false as const, error }),
      );

      await waitFor(
        `the ${VICTIM} to start streaming`,
        () =>
          chatRequests()
            .slice(firstRequest)
            .find((request) => roleOf(request) === VICTIM),
        120_000,
      );
      mark(`${VICTIM} streaming`);
      await delay(STREAMED_BEFORE_KILL_MS);
      assert.equal(
        harness.server.openStreamCount(),
        1,
        `the ${VICTIM}'s answer is still streaming, alone, when its worker is killed`,
      );
      first.kill('SIGKILL');
      mark('first worker process killed');
      assert.deepEqual(await first.exited, { code: null, signal: 'SIGKILL' });
      // Only the kill needed slow answers; the retry and the stages after it run at full speed.
      harness.server.setBehaviour({ chunkDelayMs: 0 });

      const second = await startWorkerProcess({ harness, config });
      mark('second worker process ready');
      // The workflow task after the retry first waits out the dead worker's sticky queue (the SDK's 10 s
      // schedule-to-start timeout), as it would after a real crash: about 10 s of this test.
      const run = await outcome;
      mark('run ended');
      second.kill('SIGTERM');
      const secondExit = await second.exited;
      assert.ok(run.ok, run.ok ? '' : failureMessage(run.error));
      assert.deepEqual(secondExit, { code: 0, signal: null }, `graceful shutdown:\n${second.output()}`);

      const { result } = run;
      assert.equal(result.status, 'completed');
      assert.ok(result.decision, 'a decision');
      const victimCalls = result.calls.filter((call) => call.agent === VICTIM);
      assert.equal(victimCalls.length, 1);
      assert.ok((victimCalls[0]?.attempts ?? 0) >= 2, `the ${VICTIM} call was retried after the kill`);
      const requests = chatRequests().slice(firstRequest);
      assert.equal(
        requests.filter((request) => roleOf(request) === VICTIM).length,
        victimCalls.length + 1,
        'the server saw the killed attempt and the retry',
      );
      const reconciled = await assertLedgerMatchesServer(result, requests);
      context.diagnostic(
        `ledger ${reconciled.ledger}, server ${reconciled.billed}; killed attempt: ${reconciled.lost}`,
      );
    },
  );
});
