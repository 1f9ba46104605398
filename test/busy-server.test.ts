import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { failureMessage } from '../src/cli/failure-message';
import { buildComparisonSettings } from '../src/config/run-settings';
import type { AnalysisResult } from '../src/core/run-types';
import { CALL_ID_HEADER } from '../src/llm/openai-provider';
import type { compareWorkflow } from '../src/workflows/compare-workflow';
import { createWorkers, startHarness, testConfig, type Harness } from './support/workflow-harness';

/**
 * The reported failure: `tokenflow compare` against a llama.cpp server with one slot ended in "activity
 * Heartbeat timeout". The baseline's four analysts start together; three wait in the server's queue without a
 * byte, and an attempt that sends no heartbeat while it waits is timed out and retried, which queues yet another
 * request for the same call.
 */

/** Short, so a queued analyst waits several heartbeat timeouts for the one slot. */
const HEARTBEAT_TIMEOUT_SECONDS = 2;
/**
 * A baseline analyst answers 700-1,000 words in chunks of one to three words: at 5 ms a chunk it holds the slot
 * about 2.5 s, so the fourth analyst waits some 7 s (three and a half heartbeat timeouts) without a byte.
 */
const CHUNK_DELAY_MS = 5;

let harness: Harness;

before(async () => {
  harness = await startHarness({ slots: 1, chunkDelayMs: CHUNK_DELAY_MS });
});

after(async () => {
  await harness?.close();
});

describe('a busy one-slot server, on a real Temporal dev server', () => {
  test('compare completes with one attempt per call while queued requests wait several heartbeat timeouts', async () => {
    const config = testConfig(harness, {
      openai: {
        baseUrl: harness.server.url,
        apiKey: 'test-key',
        // Four calls at once, so the analysts queue in the server, not in Temporal's task queue.
        maxConcurrentCalls: 4,
      },
      invoke: {
        startToCloseSeconds: 120,
        heartbeatTimeoutSeconds: HEARTBEAT_TIMEOUT_SECONDS,
        maximumAttempts: 3,
      },
    });
    const { optimized, baseline } = buildComparisonSettings(config);
    const workflowId = 'test-busy-server-compare';
    const workers = await createWorkers(harness, config);

    let mostOpenStreams = 0;
    let mostQueued = 0;
    let samples = 0;
    const sampler = setInterval(() => {
      samples += 1;
      mostOpenStreams = Math.max(mostOpenStreams, harness.server.openStreamCount());
      mostQueued = Math.max(mostQueued, harness.server.queuedRequestCount());
    }, 2);
    let outcome;
    try {
      outcome = await workers.runUntil(
        harness.env.client.workflow
          .execute<typeof compareWorkflow>('compareWorkflow', {
            taskQueue: config.temporal.taskQueue,
            workflowId,
            // No debate rounds: the four analysts starting together are the point; this keeps the test short.
            args: [
              {
                request: { ticker: 'AAPL', date: '2010-02-01', researchRounds: 0, riskRounds: 0 },
                optimized,
                baseline,
              },
            ],
          })
          .then(
            (result) => ({ ok: true as const, result }),
            (error: unknown) => ({ ok: false as const, error }),
          ),
      );
    } finally {
      clearInterval(sampler);
    }
    assert.ok(outcome.ok, outcome.ok ? '' : failureMessage(outcome.error));

    const runs: AnalysisResult[] = await Promise.all(
      [outcome.result.baselineWorkflowId, outcome.result.optimizedWorkflowId].map((id) =>
        harness.env.client.workflow.getHandle<() => Promise<AnalysisResult>>(id).result(),
      ),
    );
    const calls = runs.flatMap((run) => run.calls);
    for (const run of runs) {
      assert.equal(run.status, 'completed');
      assert.equal(
        run.calls.length,
        7,
        `${run.workflowId}: 4 analysts, research manager, trader, risk manager`,
      );
    }
    const retried = calls
      .filter((call) => call.attempts > 1)
      .map((call) => `${call.callId} (${call.attempts})`);
    assert.deepEqual(retried, [], 'no call needed a second attempt');
    for (const run of runs) {
      const records = await harness.store.listUsage({ workflowId: run.workflowId });
      assert.equal(records.length, run.calls.length);
      assert.ok(
        records.every((record) => record.attempts === 1 && (record.attemptRecords ?? []).length === 1),
      );
    }

    const chatRequests = harness.server.requests.filter(
      (request) =>
        request.path === '/v1/chat/completions' &&
        (request.headers[CALL_ID_HEADER] ?? '').startsWith(`${workflowId}-`),
    );
    assert.equal(chatRequests.length, calls.length, 'one chat request per call: no attempt was repeated');
    assert.deepEqual(
      chatRequests.map((request) => request.headers[CALL_ID_HEADER]).sort(),
      calls.map((call) => call.callId).sort(),
    );

    assert.ok(samples > 1000, `${samples} samples of the open streams`);
    assert.equal(mostOpenStreams, 1, 'the server never served two streams at once');
    assert.ok(mostQueued >= 3, `the analysts queued in the server (at most ${mostQueued} waiting)`);
    // The baseline's four analysts were sent at once (above: three of them waited in the server's queue) and
    // the last one waited several heartbeat timeouts for its turn. How close together they arrive depends on
    // the machine's load, so the queue, not their arrival times, shows it.
    const baselineAnalysts = chatRequests.filter((request) =>
      /-baseline\/(market|news|social|fundamentals)_analyst\//.test(request.headers[CALL_ID_HEADER] ?? ''),
    );
    assert.equal(baselineAnalysts.length, 4);
    const longestWait = longestQueueWaitMs(runs[0] as AnalysisResult);
    assert.ok(
      longestWait > 2 * HEARTBEAT_TIMEOUT_SECONDS * 1000,
      `the last analyst waited ${longestWait} ms, at least two heartbeat timeouts`,
    );
  });
});

/** The longest an analyst call took end to end, minus the shortest: roughly how long the last one queued. */
function longestQueueWaitMs(run: AnalysisResult): number {
  const analysts = run.calls.filter((call) => call.agent.endsWith('_analyst')).map((call) => call.latencyMs);
  return Math.max(...analysts) - Math.min(...analysts);
}
