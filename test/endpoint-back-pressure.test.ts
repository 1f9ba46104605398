import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { failureMessage } from '../src/cli/failure-message';
import { runAnalysis, startHarness, testConfig, type Harness } from './support/workflow-harness';

let harness: Harness;

before(async () => {
  // Slow chunks keep each stream open long enough that two concurrent calls would overlap visibly.
  harness = await startHarness({ chunkDelayMs: 3 });
});

after(async () => {
  await harness?.close();
});

describe('back-pressure toward an OpenAI-compatible endpoint, on a real Temporal dev server', () => {
  test('with openai.maxConcurrentCalls 1 the four analysts reach the endpoint one at a time and the run completes', async () => {
    const config = testConfig(harness, {
      openai: {
        baseUrl: harness.server.url,
        apiKey: 'test-key',
        maxConcurrentCalls: 1,
        // Generous enough not to slow the run; set so the rate option reaches the worker too.
        requestsPerSecond: 50,
      },
    });
    let mostOpenStreams = 0;
    let samples = 0;
    const sampler = setInterval(() => {
      samples += 1;
      mostOpenStreams = Math.max(mostOpenStreams, harness.server.openStreamCount());
    }, 2);
    let run;
    try {
      run = await runAnalysis(harness, {
        config,
        request: { researchRounds: 0, riskRounds: 0 },
        workflowId: 'test-endpoint-back-pressure',
      });
    } finally {
      clearInterval(sampler);
    }
    assert.ok(run.ok, run.ok ? '' : failureMessage(run.error));
    assert.ok(run.result.calls.length >= 7, `${run.result.calls.length} calls`);
    assert.ok(samples > 100, `${samples} samples of the open streams`);
    assert.equal(mostOpenStreams, 1, 'never two chat streams open at once');

    const history = await run.handle.fetchHistory();
    const invokeQueues = (history.events ?? [])
      .map((event) => event.activityTaskScheduledEventAttributes)
      .filter((attributes) => attributes?.activityType?.name === 'invokeModel')
      .map((attributes) => attributes?.taskQueue?.name);
    assert.equal(invokeQueues.length, run.result.calls.length);
    assert.ok(invokeQueues.every((queue) => queue === `${config.temporal.taskQueue}-llm`));
  });
});
