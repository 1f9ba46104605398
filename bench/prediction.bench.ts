import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { agentLabel, type AgentName } from '../src/core/agents';
import { loadConfig } from '../src/config/load-config';
import { buildRunSettings } from '../src/config/run-settings';
import {
  DEFAULT_TOKENS_PER_WORD,
  estimateResponseTokens,
  meanAbsolutePercentageError,
} from '../src/core/predictor';
import type { AnalysisResult, CallSummary } from '../src/core/run-types';
import { disposeLocalModels } from '../src/llm/local-model';
import { openUsageStore } from '../src/storage/usage-store';
import { createTokenflowWorkers } from '../src/workers/worker';
import type { analysisWorkflow } from '../src/workflows/analysis-workflow';
import type { learningWorkflow } from '../src/workflows/learning-workflow';
import { projectDirectory, startTemporal, workflowBundle } from '../test/support/temporal-test-environment';
import { fixed, markdownTable, printSection, progress } from './support/statistics';

/**
 * `npm run bench -- prediction`: the predictive limiter before and after learning, on the embedded local model.
 * Full analyses on the bundled sample record at least 100 calls with no calibration; the learning workflow
 * then writes a calibration; further analyses on other tickers and dates record at least 50 calls with it.
 * On those held-out calls, the calibrated prediction and the uncalibrated estimate (word limit x 1.35 tokens
 * per word) are both compared with the completion tokens the model really produced.
 */
const LOCAL_MODEL = path.join(projectDirectory, 'models', 'SmolLM2-135M-Instruct.Q4_1.gguf');
const TRAINING: Array<[string, string]> = [
  ['SPX', '2020-04-17'],
  ['AAPL', '2008-06-02'],
  ['SPX', '2018-12-24'],
  ['MSFT', '2009-03-02'],
  ['SPX', '2008-10-10'],
  ['GOOG', '2008-10-01'],
  ['SPX', '2019-06-03'],
  ['AMZN', '2007-11-01'],
  ['SPX', '2016-06-24'],
];
const HELD_OUT: Array<[string, string]> = [
  ['IBM', '2005-06-01'],
  ['SPX', '2015-08-24'],
  ['AAPL', '2009-01-02'],
  ['MSFT', '2007-07-02'],
  ['SPX', '2011-08-08'],
];
const MINIMUM_TRAINING_CALLS = 100;
const MINIMUM_HELD_OUT_CALLS = 50;

async function main(): Promise<string> {
  if (!existsSync(LOCAL_MODEL)) {
    throw new Error(`The model file is absent (${LOCAL_MODEL}); run bash scripts/fetch-model.sh.`);
  }
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const env = await startTemporal();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tokenflow-bench-prediction-'));
  const store = openUsageStore(path.join(dataDir, 'tokenflow.db'));
  try {
    const config = loadConfig({
      environment: {},
      cwd: projectDirectory,
      overrides: {
        provider: 'local',
        local: { modelPath: LOCAL_MODEL, threads: 0, contextSize: 8192 },
        dataDir,
        temporal: { taskQueue: 'bench-prediction' },
      },
    });
    const workers = await createTokenflowWorkers({
      config,
      connection: env.nativeConnection,
      workflowBundle: await workflowBundle(),
      store,
    });
    const started = performance.now();
    return await workers.runUntil(async () => {
      const analyse = async (phase: string, runs: Array<[string, string]>, minimumCalls: number) => {
        const calls: CallSummary[] = [];
        const used: string[] = [];
        let calibrationVersion: string | undefined;
        for (const [index, [ticker, date]] of runs.entries()) {
          if (calls.length >= minimumCalls) break;
          const result: AnalysisResult = await env.client.workflow.execute<typeof analysisWorkflow>(
            'analysisWorkflow',
            {
              taskQueue: config.temporal.taskQueue,
              workflowId: `bench-prediction-${phase}-${index}`,
              args: [
                {
                  request: { ticker, date, mode: 'optimized', researchRounds: 1, riskRounds: 1 },
                  settings: buildRunSettings(config),
                },
              ],
            },
          );
          calls.push(...result.calls);
          used.push(`${ticker} ${date}`);
          calibrationVersion = result.calibrationVersion;
          progress(`prediction: ${phase} run ${index + 1} (${ticker} ${date}): ${calls.length} calls so far`);
        }
        if (calls.length < minimumCalls)
          throw new Error(`${phase}: only ${calls.length} calls, fewer than ${minimumCalls}.`);
        return { calls, used, calibrationVersion };
      };

      const training = await analyse('training', TRAINING, MINIMUM_TRAINING_CALLS);
      const learned = await env.client.workflow.execute<typeof learningWorkflow>('learningWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId: 'bench-prediction-learning',
        args: [{ model: config.model }],
      });
      progress(`prediction: calibration ${learned.version} (${learned.agentsCalibrated} agents)`);
      const heldOut = await analyse('held-out', HELD_OUT, MINIMUM_HELD_OUT_CALLS);
      if (heldOut.calibrationVersion !== learned.version) {
        throw new Error(
          `held-out runs used calibration ${heldOut.calibrationVersion}, not ${learned.version}`,
        );
      }

      const uncalibratedEstimate = (call: CallSummary) =>
        estimateResponseTokens({
          wordLimit: config.agents[call.agent].wordLimit,
          tokensPerWord: DEFAULT_TOKENS_PER_WORD,
          minimumSamples: 1,
          maxResponseTokens: config.tokens.maxResponseTokens,
        }).estimate;
      const evaluate = (calls: CallSummary[]) => {
        const scored = calls.filter(
          (call) => call.predictedTokens !== undefined && call.completionTokens > 0,
        );
        return {
          calls: scored.length,
          calibrated: meanAbsolutePercentageError(
            scored.map((call) => ({
              predicted: call.predictedTokens as number,
              actual: call.completionTokens,
            })),
          ),
          uncalibrated: meanAbsolutePercentageError(
            scored.map((call) => ({ predicted: uncalibratedEstimate(call), actual: call.completionTokens })),
          ),
        };
      };
      const overall = evaluate(heldOut.calls);
      const trainingError = evaluate(training.calls);
      const agents = [...new Set(heldOut.calls.map((call) => call.agent))] as AgentName[];
      const rows = agents.map((agent) => {
        const entry = evaluate(heldOut.calls.filter((call) => call.agent === agent));
        const calibration = store.activeCalibration()?.agents[agent];
        return [
          agentLabel(agent),
          String(entry.calls),
          calibration?.expectedCompletionTokens === undefined
            ? 'n/a'
            : String(calibration.expectedCompletionTokens),
          calibration ? fixed(calibration.tokensPerWord, 3) : 'n/a',
          calibration ? `${config.agents[agent].wordLimit} -> ${calibration.wordLimit}` : 'n/a',
          `${fixed(entry.uncalibrated * 100)}%`,
          `${fixed(entry.calibrated * 100)}%`,
        ];
      });
      const minutes = (performance.now() - started) / 60000;
      return [
        '<!-- bench:prediction:start -->',
        '## Prediction after learning',
        '',
        `Bench: \`bench/prediction.bench.ts\` on the embedded local model (SmolLM2-135M-Instruct) through Temporal, ${fixed(minutes)} minutes in all. ${training.calls.length} calls recorded by full optimized analyses with no calibration (${training.used.join(', ')}), then \`learningWorkflow\` wrote calibration \`${learned.version}\`, then ${heldOut.calls.length} held-out calls from analyses of other tickers and dates that loaded it (${heldOut.used.join(', ')}). On the held-out calls, the calibrated prediction each call carried (\`predictedTokens\`) and the uncalibrated estimate for the same call (configured word limit x ${DEFAULT_TOKENS_PER_WORD} tokens per word) are compared with the completion tokens the model produced. Completion tokens are capped by \`max_tokens\` (the limiter's ceiling), so a model that runs on is measured at its cap.`,
        '',
        `**Held-out MAPE: calibrated ${fixed(overall.calibrated * 100)}%, uncalibrated ${fixed(overall.uncalibrated * 100)}% (${overall.calls} calls).** On the training calls (before learning, every call predicted uncalibrated): ${fixed(trainingError.uncalibrated * 100)}%.`,
        '',
        markdownTable(
          [
            'agent',
            'held-out calls',
            'learned completion tokens',
            'learned tokens/word',
            'word limit',
            'MAPE uncalibrated',
            'MAPE calibrated',
          ],
          rows,
        ),
        '',
        'Reasons the learning workflow recorded:',
        ...learned.reasons.map((reason) => `- ${reason}`),
        '<!-- bench:prediction:end -->',
      ].join('\n');
    });
  } finally {
    store.close();
    await env.teardown();
    await disposeLocalModels();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

printSection(main);
