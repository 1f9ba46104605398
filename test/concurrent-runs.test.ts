import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { failureMessage } from '../src/cli/failure-message';
import { buildRunSettings } from '../src/config/run-settings';
import { ATTEMPT_OUTCOME, USAGE_SOURCE } from '../src/core/ledger';
import type { AnalysisResult } from '../src/core/run-types';
import { CALL_ID_HEADER } from '../src/llm/openai-provider';
import type { analysisWorkflow } from '../src/workflows/analysis-workflow';
import type { RecordedRequest } from './support/fake-openai-server';
import {
  createWorkers,
  startHarness,
  testConfig,
  testRequest,
  type Harness,
} from './support/workflow-harness';

/**
 * 50 analyses started at once, as the issue has it, on one worker process, each with one research and one risk
 * round (12 calls a run, about 500 in all once the tightest caps have skipped some). Measured here: about 50 s
 * for the test on this 2-core machine, where the Temporal server, the worker and the model server share the
 * CPU, so the full rounds fit the 3-minute bound and the debates' later calls meet 429s too. The bench
 * (`bench/concurrent-runs.bench.ts`) measures the same load's throughput and wall times.
 */
const RUNS = 50;
const ROUNDS = 1;
/** One 429 every this many chat requests, so they land on many runs and every phase, not on the first few calls. */
const REQUESTS_PER_429 = 15;
const RATE_LIMITED_REQUESTS = 20;

let harness: Harness;

before(async () => {
  harness = await startHarness();
});

after(async () => {
  await harness?.close();
});

/** Each run's own hard cap: from tight (some calls are skipped to keep it) to roomy. */
function hardCapOf(index: number): number {
  return 8_000 + (index % 8) * 4_000;
}

function callIdOf(request: RecordedRequest): string {
  return request.headers[CALL_ID_HEADER] ?? '';
}

function isChat(request: RecordedRequest): boolean {
  return request.path === '/v1/chat/completions';
}

/**
 * Injects a 429 (retry after 1 s) every {@link REQUESTS_PER_429} chat requests until `total` are queued. The
 * fake server hands a fault to the next chat request, so spreading them spreads them over the runs.
 */
function spreadRateLimits(total: number): () => void {
  let injected = 0;
  const timer = setInterval(() => {
    const chats = harness.server.requests.filter(isChat).length;
    while (injected < total && chats >= injected * REQUESTS_PER_429) {
      harness.server.enqueueFault({ kind: 'status', status: 429, retryAfterSeconds: 1 });
      injected += 1;
    }
    if (injected >= total) clearInterval(timer);
  }, 10);
  return () => clearInterval(timer);
}

describe('many analyses at once against an endpoint that rate limits, on a real Temporal dev server', () => {
  test(`${RUNS} runs complete within their caps, and each run's ledger matches what the server billed it`, async (t) => {
    const config = testConfig(harness, {
      // Enough attempts that a call unlucky enough to meet several 429s still completes.
      invoke: { startToCloseSeconds: 120, heartbeatTimeoutSeconds: 10, maximumAttempts: 5 },
    });
    const workers = await createWorkers(harness, config);
    const base = buildRunSettings(config);
    const handles = await Promise.all(
      Array.from({ length: RUNS }, (_, index) =>
        harness.env.client.workflow.start<typeof analysisWorkflow>('analysisWorkflow', {
          taskQueue: config.temporal.taskQueue,
          workflowId: `test-concurrent-${index}`,
          args: [
            {
              request: testRequest({ researchRounds: ROUNDS, riskRounds: ROUNDS }),
              settings: { ...base, hardCap: hardCapOf(index) },
            },
          ],
        }),
      ),
    );
    const stopInjecting = spreadRateLimits(RATE_LIMITED_REQUESTS);
    let outcomes;
    try {
      outcomes = await workers.runUntil(
        Promise.all(
          handles.map((handle) =>
            handle.result().then(
              (result: AnalysisResult) => ({ ok: true as const, result }),
              (error: unknown) => ({ ok: false as const, error, workflowId: handle.workflowId }),
            ),
          ),
        ),
      );
    } finally {
      stopInjecting();
    }

    // None lost: every run ended, completed.
    const failed = outcomes.flatMap((outcome) =>
      outcome.ok ? [] : [`${outcome.workflowId}: ${failureMessage(outcome.error)}`],
    );
    assert.deepEqual(failed, [], 'every run completes');
    const results = outcomes.flatMap((outcome) => (outcome.ok ? [outcome.result] : []));
    assert.equal(results.length, RUNS);

    const chats = harness.server.requests.filter(isChat);
    const rateLimited = chats.filter((request) => request.fault?.kind === 'status');
    assert.equal(rateLimited.length, RATE_LIMITED_REQUESTS, 'every injected 429 reached a call');
    assert.ok(
      new Set(rateLimited.map((request) => callIdOf(request).split('/')[0])).size >= 10,
      'the 429s are spread over many runs',
    );

    for (const [index, result] of results.entries()) {
      const { workflowId } = result;
      assert.equal(result.status, 'completed', workflowId);
      // Within its own cap.
      assert.equal(result.budget.hardCap, hardCapOf(index), workflowId);
      assert.ok(
        result.totals.totalTokens <= result.budget.hardCap,
        `${workflowId}: ${result.totals.totalTokens} tokens, cap ${result.budget.hardCap}`,
      );
      assert.deepEqual(result.budget.overruns, [], `${workflowId}: no call passed its reservation`);
      assert.equal(result.budget.overCap, 0, workflowId);

      // Its ledger against the server's bill for the requests it sent, call by call and in total.
      const records = await harness.store.listUsage({ workflowId });
      const ownRequests = chats.filter((request) => callIdOf(request).startsWith(`${workflowId}/`));
      assert.deepEqual(
        records.map((record) => record.callId).sort(),
        [...new Set(ownRequests.map(callIdOf))].sort(),
        `${workflowId}: one usage record per call the server saw`,
      );
      let ledgerTotal = 0;
      for (const record of records) {
        const ledger = record.promptTokens + record.completionTokens + record.lostTokens;
        ledgerTotal += ledger;
        const billed = harness.server.billedTotals((request) => callIdOf(request) === record.callId);
        const attempts = record.attemptRecords ?? [];
        const estimated = attempts
          .filter((attempt) => attempt.source !== USAGE_SOURCE.server)
          .reduce((sum, attempt) => sum + attempt.promptTokens + attempt.completionTokens, 0);
        if (estimated === 0) {
          assert.equal(
            ledger,
            billed.totalTokens,
            `${record.callId}: server-reported usage matches the bill`,
          );
        } else {
          // An estimate errs toward the bill, and is the only part that may differ from it.
          assert.ok(
            ledger >= billed.totalTokens && ledger - billed.totalTokens <= estimated,
            `${record.callId}: ledger ${ledger}, billed ${billed.totalTokens}, estimated ${estimated}`,
          );
        }
        // Attempts of the call: one chat request each, the 429'd ones failed, free and typed.
        const requests = ownRequests.filter((request) => callIdOf(request) === record.callId);
        assert.equal(attempts.length, requests.length, `${record.callId}: one attempt per request`);
        assert.equal(record.attempts, requests.length, record.callId);
        const limited = attempts.filter((attempt) => attempt.failureType === 'RateLimited');
        assert.equal(
          limited.length,
          requests.filter((request) => request.fault?.kind === 'status').length,
          `${record.callId}: every 429 is an attempt in the ledger`,
        );
        for (const attempt of limited) {
          assert.equal(attempt.outcome, ATTEMPT_OUTCOME.failed, record.callId);
          assert.equal(
            attempt.promptTokens + attempt.completionTokens,
            0,
            `${record.callId}: a 429 costs nothing`,
          );
        }
      }
      const billed = harness.server.billedTotals((request) => callIdOf(request).startsWith(`${workflowId}/`));
      const estimatedRun = records
        .flatMap((record) => record.attemptRecords ?? [])
        .filter((attempt) => attempt.source !== USAGE_SOURCE.server)
        .reduce((sum, attempt) => sum + attempt.promptTokens + attempt.completionTokens, 0);
      assert.ok(
        ledgerTotal - billed.totalTokens >= 0 && ledgerTotal - billed.totalTokens <= estimatedRun,
        `${workflowId}: ledger ${ledgerTotal}, billed ${billed.totalTokens}, estimated ${estimatedRun}`,
      );
      assert.equal(
        result.totals.totalTokens,
        ledgerTotal,
        `${workflowId}: the result's total is its ledger's`,
      );
    }

    const calls = results.reduce((sum, result) => sum + result.calls.length, 0);
    const skipped = results.filter((result) => result.degradations.length > 0).length;
    const fullest = Math.max(...results.map((result) => result.totals.totalTokens / result.budget.hardCap));
    t.diagnostic(
      `${calls} calls, ${chats.length} chat requests (${rateLimited.length} answered 429); ${skipped} runs degraded to keep their cap; fullest run at ${(fullest * 100).toFixed(1)}% of its cap`,
    );

    // The attempts ledger holds the 429s as failed, RateLimited, 0-token attempts, one per 429 served.
    const limitedInLedger = (
      await Promise.all(results.map((result) => harness.store.listAttempts(result.workflowId)))
    )
      .flat()
      .filter((entry) => entry.failureType === 'RateLimited')
      .map((entry) => ({ entry, callId: entry.callId }));
    assert.deepEqual(
      limitedInLedger.map(({ callId }) => callId).sort(),
      rateLimited.map(callIdOf).sort(),
      'the 429d requests, call by call',
    );
    assert.ok(
      limitedInLedger.every(
        ({ entry }) =>
          entry.outcome === ATTEMPT_OUTCOME.failed &&
          entry.promptTokens === 0 &&
          entry.completionTokens === 0,
      ),
    );
  });
});
