import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { failureMessage } from '../src/cli/failure-message';
import { disposeLocalModels } from '../src/llm/local-model';
import { projectDirectory } from './support/temporal-test-environment';
import { runAnalysis, startHarness, testConfig, type Harness } from './support/workflow-harness';

const modelPath = path.join(projectDirectory, 'models', 'SmolLM2-135M-Instruct.Q4_1.gguf');
const skip = existsSync(modelPath)
  ? false
  : `model file absent at ${modelPath}: run bash scripts/fetch-model.sh`;

let harness: Harness;

before(async () => {
  if (!skip) harness = await startHarness();
});

after(async () => {
  await harness?.close();
  await disposeLocalModels();
});

describe(
  'the embedded local model behind the invoke activity, on a real Temporal dev server',
  { skip },
  () => {
    test('agent calls run end to end on the local model, one at a time on its own task queue, counted by its tokenizer', async () => {
      const config = testConfig(harness, {
        provider: 'local',
        model: 'smollm2-135m-instruct',
        local: { modelPath, threads: 0, contextSize: 8192 },
        invoke: { startToCloseSeconds: 600, heartbeatTimeoutSeconds: 30, maximumAttempts: 2 },
      });
      const run = await runAnalysis(harness, {
        config,
        request: { researchRounds: 0, riskRounds: 0 },
        workflowId: 'test-local-model',
      });
      assert.ok(run.ok, run.ok ? '' : failureMessage(run.error));
      const result = run.result;
      assert.equal(result.provider, 'local');
      assert.equal(result.model, 'smollm2-135m-instruct');
      assert.ok(
        result.calls.length >= 7,
        `${result.calls.length} calls: four analysts, research manager, trader, risk manager`,
      );
      for (const call of result.calls) {
        // The provider reports what the model's tokenizer counted; when the stream monitor stopped the answer
        // (a loop), the activity counts what streamed with that same tokenizer: an estimate, but an exact one.
        const stoppedByMonitor = call.finishReason === 'repetition' || call.finishReason === 'limit';
        assert.equal(call.usageSource, stoppedByMonitor ? 'estimated' : 'server', call.finishReason);
        assert.ok(
          call.promptTokens > 0 && call.completionTokens > 0 && call.completionTokens <= call.maxTokens,
        );
        assert.ok(call.words <= (call.wordLimit ?? Infinity) || call.agent === 'risk_manager');
      }
      assert.ok(result.totals.totalTokens <= result.budget.hardCap);
      assert.equal(result.totals.costUsd, 0);

      const history = await run.handle.fetchHistory();
      const invokeQueues = (history.events ?? [])
        .map((event) => event.activityTaskScheduledEventAttributes)
        .filter((attributes) => attributes?.activityType?.name === 'invokeModel')
        .map((attributes) => attributes?.taskQueue?.name);
      assert.equal(invokeQueues.length, result.calls.length);
      assert.ok(invokeQueues.every((queue) => queue === config.temporal.localModelTaskQueue));

      // One generation at a time: no two invoke activities of the run overlap.
      const invokeIds = new Set(
        (history.events ?? [])
          .filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'invokeModel')
          .map((event) => String(event.eventId)),
      );
      const started = new Map<string, number>();
      const intervals: Array<[number, number]> = [];
      for (const event of history.events ?? []) {
        const time =
          Number(event.eventTime?.seconds ?? 0) * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6);
        const start = event.activityTaskStartedEventAttributes;
        if (start && invokeIds.has(String(start.scheduledEventId)))
          started.set(String(start.scheduledEventId), time);
        const completed = event.activityTaskCompletedEventAttributes;
        const begin = completed ? started.get(String(completed.scheduledEventId)) : undefined;
        if (begin !== undefined) intervals.push([begin, time]);
      }
      assert.equal(intervals.length, invokeIds.size);
      intervals.sort((left, right) => left[0] - right[0]);
      for (let index = 1; index < intervals.length; index += 1) {
        const previous = intervals[index - 1] as [number, number];
        const current = intervals[index] as [number, number];
        assert.ok(current[0] >= previous[1] - 5, 'invokes on the local-model queue did not overlap');
      }
    });
  },
);
