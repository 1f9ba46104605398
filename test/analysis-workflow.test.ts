import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { ANALYST_AGENTS, type AnalystAgent } from '../src/core/agents';
import type { AnalysisResult } from '../src/core/run-types';
import { costKey, decisionKey, tickerKey, totalTokensKey } from '../src/config/search-attributes';
import { failureMessage } from '../src/cli/failure-message';
import { runAnalysis, startHarness, testConfig, type Harness } from './support/workflow-harness';

let harness: Harness;

before(async () => {
  harness = await startHarness();
});

after(async () => {
  await harness?.close();
});

function chatRequests() {
  return harness.server.requests.filter((request) => request.path.endsWith('/chat/completions'));
}

function assertWithinCap(result: AnalysisResult) {
  assert.ok(
    result.totals.totalTokens <= result.budget.hardCap,
    `${result.totals.totalTokens} > ${result.budget.hardCap}`,
  );
  assert.equal(result.budget.spent, result.totals.totalTokens);
  const fromCalls = result.calls.reduce(
    (sum, call) => sum + call.promptTokens + call.completionTokens + call.lostTokens,
    0,
  );
  assert.equal(result.totals.totalTokens, fromCalls, 'the budget charged exactly what the calls spent');
}

describe('analysis workflow on a real Temporal dev server', () => {
  test('a full run makes all 12 agent calls through the pipeline and ends in a decision within the cap', async () => {
    const config = testConfig(harness);
    const before = chatRequests().length;
    const run = await runAnalysis(harness, { config, workflowId: 'test-full-run' });
    assert.ok(run.ok, run.ok ? '' : failureMessage(run.error));
    const result = run.result;
    assert.equal(result.calls.length, 12);
    assert.equal(chatRequests().length - before, 12);
    assert.ok(result.decision, 'a decision');
    assert.match(result.decision.action, /^(BUY|HOLD|SELL)$/);
    assert.ok(result.decision.confidence >= 0 && result.decision.confidence <= 1);
    assertWithinCap(result);
    for (const call of result.calls) {
      assert.ok(
        call.wordLimit !== undefined && call.words <= call.wordLimit,
        `${call.agent} kept its word limit`,
      );
      assert.ok(call.maxTokens > 0 && call.completionTokens <= call.maxTokens);
    }
    assert.equal((await harness.store.listUsage({ workflowId: 'test-full-run' })).length, 12);

    const description = await run.handle.describe();
    assert.equal(description.typedSearchAttributes.get(tickerKey), 'SPX');
    assert.equal(description.typedSearchAttributes.get(decisionKey), result.decision.action);
    assert.equal(description.typedSearchAttributes.get(totalTokensKey), result.totals.totalTokens);
    assert.ok((description.typedSearchAttributes.get(costKey) ?? -1) > 0);

    const history = await run.handle.fetchHistory();
    const scheduled = (history.events ?? [])
      .map((event) => event.activityTaskScheduledEventAttributes?.activityType?.name)
      .filter((name): name is string => Boolean(name));
    assert.equal(scheduled.filter((name) => name === 'invokeModel').length, 12);
    assert.equal(scheduled.filter((name) => name === 'trackUsage').length, 12);
    const markers = (history.events ?? []).filter((event) => event.markerRecordedEventAttributes).length;
    assert.ok(markers >= 12 * 4, `local activity markers for enhance/optimize/predict/limit: ${markers}`);

    if (process.env.TOKENFLOW_RECORD_HISTORY === '1') {
      const file = path.join(__dirname, 'histories', 'analysis-optimized.json');
      writeFileSync(file, `${historyToJSON(history)}\n`);
    }
  });

  test('a tight budget gives agents a smaller max_tokens, later ones too, and never passes the cap', async () => {
    const generous = await runAnalysis(harness, { config: testConfig(harness), workflowId: 'test-generous' });
    assert.ok(generous.ok);
    const tight = await runAnalysis(harness, {
      config: testConfig(harness),
      runOverrides: { budget: 17000 },
      workflowId: 'test-tight',
    });
    assert.ok(tight.ok, tight.ok ? '' : failureMessage(tight.error));
    assertWithinCap(tight.result);
    assert.equal(tight.result.budget.hardCap, 17000);
    assert.equal(
      tight.result.calls.length,
      12,
      `every agent still ran, with less room: ${tight.result.degradations.join('; ')}`,
    );
    const maxTokens = (result: AnalysisResult, agent: string) =>
      result.calls.find((call) => call.agent === agent)?.maxTokens ?? 0;
    // Every answer's max_tokens is bounded by its word-limit ceiling; the tight budget lowers it further
    // for the agents whose share of what is left no longer covers that ceiling, never raises it.
    for (const call of tight.result.calls) {
      assert.ok(
        call.maxTokens <= maxTokens(generous.result, call.agent),
        `${call.agent}: ${call.maxTokens} <= ${maxTokens(generous.result, call.agent)}`,
      );
    }
    const squeezed = tight.result.calls.filter(
      (call) => call.maxTokens < maxTokens(generous.result, call.agent),
    );
    assert.ok(
      squeezed.some((call) => !ANALYST_AGENTS.includes(call.agent as AnalystAgent)),
      `a later agent got less room: ${squeezed.map((call) => call.agent).join(', ')}`,
    );
  });

  test('a 429 with retry-after is retried after that delay', async () => {
    const config = testConfig(harness);
    const before = chatRequests().length;
    harness.server.enqueueFault({ kind: 'status', status: 429, retryAfterSeconds: 3 });
    const run = await runAnalysis(harness, { config, workflowId: 'test-429' });
    assert.ok(run.ok, run.ok ? '' : failureMessage(run.error));
    const requests = chatRequests().slice(before);
    assert.equal(requests.length, 13);
    const limited = requests.find((request) => request.fault?.kind === 'status');
    assert.ok(limited?.body?.messages);
    const retry = requests.find(
      (request) =>
        request !== limited &&
        JSON.stringify(request.body?.messages) === JSON.stringify(limited.body?.messages),
    );
    assert.ok(retry, 'the same call was sent again');
    const waited = retry.receivedAt - limited.receivedAt;
    assert.ok(waited >= 2900, `retried after ${waited} ms, asked for 3000`);
    assert.ok(run.result.calls.some((call) => call.attempts === 2));
  });

  test('a retried call is recorded once while the tokens its lost attempt spent still count', async () => {
    const config = testConfig(harness);
    harness.server.enqueueFault({ kind: 'drop', afterChunks: 5 });
    const run = await runAnalysis(harness, { config, workflowId: 'test-drop' });
    assert.ok(run.ok, run.ok ? '' : failureMessage(run.error));
    const retried = run.result.calls.filter((call) => call.attempts > 1);
    assert.equal(retried.length, 1);
    const [call] = retried;
    assert.ok(call && call.lostTokens > 0, 'the lost attempt’s tokens are reported');
    const records = (await harness.store.listUsage({ workflowId: 'test-drop' })).filter(
      (record) => record.callId === call.callId,
    );
    assert.equal(records.length, 1, 'one usage record for the retried call');
    assert.equal(records[0]?.lostTokens, call.lostTokens);
    assertWithinCap(run.result);
  });

  test('an answer that loops is stopped by the stream monitor in optimized mode, left alone in the baseline', async () => {
    const config = testConfig(harness);
    harness.server.enqueueFault({ kind: 'loop' });
    const run = await runAnalysis(harness, { config, workflowId: 'test-loop' });
    assert.ok(run.ok, run.ok ? '' : failureMessage(run.error));
    const looped = run.result.calls.filter((call) => call.finishReason === 'repetition');
    assert.equal(looped.length, 1, 'the one looping answer, and no other');
    const [call] = looped;
    assert.ok(call);
    assert.ok(call.completionTokens < call.maxTokens, `${call.completionTokens} of ${call.maxTokens} tokens`);
    assert.equal(call.rawCompliant, false, 'stopped, not ended within its limit by the model');
    const [record] = (await harness.store.listUsage({ workflowId: 'test-loop' })).filter(
      (entry) => entry.callId === call.callId,
    );
    assert.equal(record?.finishReason, 'repetition');
    assert.equal(record?.completionTokens, call.completionTokens);
    assertWithinCap(run.result);

    harness.server.enqueueFault({ kind: 'loop' });
    const baseline = await runAnalysis(harness, {
      config,
      request: { mode: 'baseline' },
      workflowId: 'test-loop-baseline',
    });
    assert.ok(baseline.ok, baseline.ok ? '' : failureMessage(baseline.error));
    assert.ok(!baseline.result.calls.some((entry) => entry.finishReason === 'repetition'));
    assert.ok(
      baseline.result.calls.some((entry) => entry.finishReason === 'length'),
      'the looping baseline answer ran to its max_tokens',
    );
  });

  test('a 401 fails the run at once with a clear message', async () => {
    const config = testConfig(harness);
    const before = chatRequests().length;
    harness.server.setBehaviour({ requireApiKey: 'the-right-key' });
    try {
      const run = await runAnalysis(harness, { config, workflowId: 'test-401' });
      assert.equal(run.ok, false);
      assert.ok(!run.ok && run.error instanceof WorkflowFailedError);
      assert.match(failureMessage(run.error), /401|API key/i);
      assert.ok(chatRequests().length - before <= 4, 'no call was retried');
    } finally {
      harness.server.setBehaviour({ requireApiKey: undefined });
    }
  });

  test('a hung stream is caught by the heartbeat timeout and retried', async () => {
    const config = testConfig(harness, {
      invoke: { startToCloseSeconds: 120, heartbeatTimeoutSeconds: 2, maximumAttempts: 3 },
    });
    const before = chatRequests().length;
    harness.server.enqueueFault({ kind: 'hang', afterChunks: 3 });
    const run = await runAnalysis(harness, { config, workflowId: 'test-hang' });
    assert.ok(run.ok, run.ok ? '' : failureMessage(run.error));
    assert.equal(chatRequests().length - before, 13);
    const retried = run.result.calls.filter((call) => call.attempts > 1);
    assert.equal(retried.length, 1);
    assert.ok((retried[0]?.lostTokens ?? 0) > 0, 'tokens of the hung attempt count');
    assertWithinCap(run.result);
  });
});
