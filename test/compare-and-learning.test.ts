import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { buildComparisonSettings } from '../src/config/run-settings';
import { ensureLearningSchedule, LEARNING_SCHEDULE_ID } from '../src/cli/learning-schedule';
import type { ComparisonReport } from '../src/core/comparison-report';
import type { compareWorkflow } from '../src/workflows/compare-workflow';
import type { learningWorkflow } from '../src/workflows/learning-workflow';
import { calibrationKey } from '../src/config/search-attributes';
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

describe('A/B comparison and learning on a real Temporal dev server', () => {
  test('compare runs baseline and optimized as child workflows and writes a side-by-side report', async () => {
    const config = testConfig(harness);
    const { optimized, baseline } = buildComparisonSettings(config);
    const { mode: _mode, ...request } = testRequest();
    const workers = await createWorkers(harness, config);
    const result = await workers.runUntil(
      harness.env.client.workflow.execute<typeof compareWorkflow>('compareWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId: 'test-compare',
        args: [{ request, optimized, baseline }],
      }),
    );
    assert.ok(existsSync(result.reportMarkdownPath) && existsSync(result.reportJsonPath));
    const report = JSON.parse(readFileSync(result.reportJsonPath, 'utf8')) as ComparisonReport;
    assert.equal(report.baseline.calls, 12);
    assert.equal(report.optimized.calls, 12);
    // The baseline sends every report and the whole debate downstream: its prompts dominate, as measured upstream.
    assert.ok(report.baseline.promptTokens / report.baseline.totalTokens > 0.75);
    assert.ok(report.ratios.totalTokens <= 0.5, `optimized/baseline tokens ${report.ratios.totalTokens}`);
    assert.ok(
      report.ratios.cost !== undefined && report.ratios.cost <= 0.5,
      `cost ratio ${report.ratios.cost}`,
    );
    assert.ok(report.optimized.meanFactRecall >= 0.95, `fact recall ${report.optimized.meanFactRecall}`);
    assert.equal(report.baseline.meanFactRecall, 1, 'the baseline sends every report whole');
    assert.ok((report.optimized.rawCompliance ?? 0) >= 0.8);
    assert.equal(report.optimized.enforcedCompliance, 1);
    assert.match(
      readFileSync(result.reportMarkdownPath, 'utf8'),
      /\| total tokens \| \d+ \| \d+ \| 0\.\d{3} \|/,
    );
    assert.equal(result.summary.tokenRatio, report.ratios.totalTokens);
  });

  test('a manual learning run writes a calibration version that the next analysis uses and names', async () => {
    const config = testConfig(harness, {
      learning: { every: '1h', minimumSamples: 1, maximumAdjustment: 0.5 },
    });
    const first = await runAnalysis(harness, { config, workflowId: 'test-before-learning' });
    assert.ok(first.ok);
    assert.equal(first.result.calibrationVersion, undefined);

    const workers = await createWorkers(harness, config);
    const learned = await workers.runUntil(
      harness.env.client.workflow.execute<typeof learningWorkflow>('learningWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId: 'test-learning',
        args: [{ model: config.model }],
      }),
    );
    assert.ok(learned.agentsCalibrated >= 12, `calibrated ${learned.agentsCalibrated}`);
    const active = await harness.store.activeCalibration();
    assert.equal(active?.version, learned.version);
    const trader = active?.agents.trader;
    assert.ok(trader && trader.expectedCompletionTokens !== undefined && trader.tokensPerWord > 0.5);
    // The endpoint's tokenizer drift is kept with the calibration, and the next run starts from it.
    const drift = active?.tokenizerDrift?.[config.model];
    assert.ok(
      drift && drift.prompt.samples >= 12,
      `drift learned from the recorded calls: ${JSON.stringify(drift)}`,
    );

    const second = await runAnalysis(harness, { config, workflowId: 'test-after-learning' });
    assert.ok(second.ok);
    assert.equal(second.result.calibrationVersion, learned.version);
    assert.ok(
      (second.result.tokenizerDrift?.prompt.samples ?? 0) > drift.prompt.samples,
      'the run went on learning from where the calibration stood',
    );
    const traderCall = second.result.calls.find((call) => call.agent === 'trader');
    assert.equal(traderCall?.predictionBasis, 'history', 'the prediction comes from the calibration');
    const description = await second.handle.describe();
    assert.equal(description.typedSearchAttributes.get(calibrationKey), learned.version);
  });

  test('set-up creates the learning Schedule, and running it again only updates it', async () => {
    const config = testConfig(harness);
    assert.equal(await ensureLearningSchedule(harness.env.client, config), 'created');
    assert.equal(await ensureLearningSchedule(harness.env.client, config), 'updated');
    const description = await harness.env.client.schedule.getHandle(LEARNING_SCHEDULE_ID).describe();
    assert.equal(description.action.type, 'startWorkflow');
    assert.equal(description.action.workflowType, 'learningWorkflow');
    assert.equal(description.spec.intervals?.[0]?.every, 3_600_000);
  });
});
