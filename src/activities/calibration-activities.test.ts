import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../config/load-config';
import type { UsageRecord } from '../core/types';
import { openUsageStore } from '../storage/usage-store';
import { createCalibrationActivities } from './calibration-activities';

let sequence = 0;
function record(overrides: Partial<UsageRecord>): UsageRecord {
  sequence += 1;
  return {
    callId: `wf/trader/${sequence}`,
    workflowId: 'wf',
    runId: `run-${sequence}`,
    ticker: 'SPX',
    agent: 'trader',
    round: 1,
    mode: 'optimized',
    provider: 'openai',
    model: 'gpt-4o-mini',
    promptTokens: 1150,
    completionTokens: 220,
    lostTokens: 0,
    usageSource: 'server',
    localPromptTokens: 1000,
    localCompletionTokens: 200,
    rawWords: 120,
    words: 120,
    wordLimit: 150,
    truncated: false,
    maxTokens: 300,
    latencyMs: 100,
    attempts: 1,
    finishReason: 'stop',
    recordedAt: `2026-12-01T10:00:0${sequence % 10}.000Z`,
    ...overrides,
  };
}

describe('collectLearningInputs', () => {
  test('learns each model’s tokenizer drift from calls the server counted, and no answer from a failed call', async () => {
    const store = await openUsageStore(':memory:');
    try {
      await store.recordUsage(record({}));
      await store.recordUsage(
        record({
          promptTokens: 2300,
          localPromptTokens: 2000,
          completionTokens: 440,
          localCompletionTokens: 400,
        }),
      );
      // An estimate says nothing about the server's tokenizer; a failed call is no answer.
      await store.recordUsage(
        record({ usageSource: 'estimated', promptTokens: 999, localPromptTokens: 100 }),
      );
      await store.recordUsage(
        record({ finishReason: 'failed', promptTokens: 0, completionTokens: 0, lostTokens: 900 }),
      );
      const config = loadConfig({ environment: {}, overrides: { provider: 'openai', model: 'gpt-4o-mini' } });
      const inputs = await createCalibrationActivities({ store, config }).collectLearningInputs();
      const drift = inputs.tokenizerDrift?.['gpt-4o-mini'];
      assert.ok(drift);
      assert.equal(drift.prompt.serverTokens / drift.prompt.localTokens, 1.15);
      assert.equal(drift.completion.serverTokens / drift.completion.localTokens, 1.1);
      assert.equal(drift.prompt.samples, 2);
      const trader = inputs.profiles.find((profile) => profile.agent === 'trader');
      assert.equal(trader?.calls, 3, 'the failed call is left out');
    } finally {
      await store.close();
    }
  });
});
