import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { agentLabel, isRepairCall, type AgentName } from '../src/core/agents';
import { stoppedLooping } from '../src/core/calibration';
import { loadConfig } from '../src/config/load-config';
import { buildRunSettings } from '../src/config/run-settings';
import {
  DEFAULT_TOKENS_PER_WORD,
  estimateResponseTokens,
  meanAbsolutePercentageError,
  medianAbsolutePercentageError,
  percentageErrorMedian,
  ranToCap,
} from '../src/core/predictor';
import type { AnalysisResult, CallSummary } from '../src/core/run-types';
import { disposeLocalModels } from '../src/llm/local-model';
import { openUsageStore } from '../src/storage/usage-store';
import { createTokenflowWorkers } from '../src/workers/worker';
import type { analysisWorkflow } from '../src/workflows/analysis-workflow';
import type { learningWorkflow } from '../src/workflows/learning-workflow';
import { projectDirectory, startTemporal, workflowBundle } from '../test/support/temporal-test-environment';
import { describeErrorSources } from './support/prediction-error';
import { fixed, markdownTable, printSection, progress } from './support/statistics';

/**
 * `npm run bench -- prediction`: the predictive limiter before and after learning, on the embedded local model
 * (or the GGUF file TOKENFLOW_LOCAL_MODEL_PATH names).
 * Full analyses on the bundled sample record at least 100 calls with no calibration; the learning workflow
 * then writes a calibration; further analyses on other tickers and dates record at least 50 calls with it.
 * On those held-out calls, the calibrated prediction and the uncalibrated estimate (word limit x 1.35 tokens
 * per word) are both compared with the completion tokens the model really produced.
 * With TOKENFLOW_BENCH_PREDICTION_DUMP=<file>, every run's full result is also written there as JSON.
 */
const DEFAULT_LOCAL_MODEL = path.join(projectDirectory, 'models', 'SmolLM2-135M-Instruct.Q4_1.gguf');
/** The GGUF file to measure: TOKENFLOW_LOCAL_MODEL_PATH when set (another model), else the embedded one. */
const LOCAL_MODEL = process.env.TOKENFLOW_LOCAL_MODEL_PATH || DEFAULT_LOCAL_MODEL;
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
    throw new Error(
      LOCAL_MODEL === DEFAULT_LOCAL_MODEL
        ? `The model file is absent (${LOCAL_MODEL}); run bash scripts/fetch-model.sh.`
        : `TOKENFLOW_LOCAL_MODEL_PATH names no file (${LOCAL_MODEL}).`,
    );
  }
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const env = await startTemporal();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tokenflow-bench-prediction-'));
  const store = await openUsageStore(path.join(dataDir, 'tokenflow.db'));
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
        const results: AnalysisResult[] = [];
        const used: string[] = [];
        let callCount = 0;
        for (const [index, [ticker, date]] of runs.entries()) {
          if (callCount >= minimumCalls) break;
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
          results.push(result);
          used.push(`${ticker} ${date}`);
          callCount += result.calls.length;
          progress(`prediction: ${phase} run ${index + 1} (${ticker} ${date}): ${callCount} calls so far`);
        }
        if (callCount < minimumCalls)
          throw new Error(`${phase}: only ${callCount} calls, fewer than ${minimumCalls}.`);
        // Every call, and the run (ticker and date) each one belongs to, from the runs' results.
        return {
          results,
          used,
          calls: results.flatMap((result) => result.calls),
          runOfCall: results.flatMap((result, run) => result.calls.map(() => used[run] ?? '')),
          calibrationVersion: results.at(-1)?.calibrationVersion,
        };
      };

      const training = await analyse('training', TRAINING, MINIMUM_TRAINING_CALLS);
      const learned = await env.client.workflow.execute<typeof learningWorkflow>('learningWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId: 'bench-prediction-learning',
        args: [{ model: config.model }],
      });
      progress(`prediction: calibration ${learned.version} (${learned.agentsCalibrated} agents)`);
      const heldOut = await analyse('held-out', HELD_OUT, MINIMUM_HELD_OUT_CALLS);
      const dumpFile = process.env.TOKENFLOW_BENCH_PREDICTION_DUMP;
      if (dumpFile) {
        // Every run's full result (calls, reports, plans), for studying predictors offline.
        writeFileSync(
          dumpFile,
          JSON.stringify({ training: training.results, learned, heldOut: heldOut.results }),
        );
      }
      if (heldOut.calibrationVersion !== learned.version) {
        throw new Error(
          `held-out runs used calibration ${heldOut.calibrationVersion}, not ${learned.version}`,
        );
      }

      // Like every prediction, the uncalibrated estimate cannot pass the call's max_tokens.
      const uncalibratedEstimate = (call: CallSummary) =>
        Math.min(
          call.maxTokens,
          estimateResponseTokens({
            wordLimit: config.agents[call.agent].wordLimit,
            tokensPerWord: DEFAULT_TOKENS_PER_WORD,
            minimumSamples: 1,
            maxResponseTokens: config.tokens.maxResponseTokens,
          }).estimate,
        );
      const evaluate = (calls: CallSummary[]) => {
        const scored = calls.filter(
          (call) => call.predictedTokens !== undefined && call.completionTokens > 0,
        );
        const calibratedPairs = scored.map((call) => ({
          predicted: call.predictedTokens as number,
          actual: call.completionTokens,
        }));
        const uncalibratedPairs = scored.map((call) => ({
          predicted: uncalibratedEstimate(call),
          actual: call.completionTokens,
        }));
        return {
          calls: scored.length,
          ranOn: scored.filter(ranToCap).length,
          loopStopped: scored.filter(stoppedLooping).length,
          calibrated: meanAbsolutePercentageError(calibratedPairs),
          uncalibrated: meanAbsolutePercentageError(uncalibratedPairs),
          calibratedMedian: medianAbsolutePercentageError(calibratedPairs),
          uncalibratedMedian: medianAbsolutePercentageError(uncalibratedPairs),
        };
      };
      const overall = evaluate(heldOut.calls);
      const trainingError = evaluate(training.calls);
      // A bound for any predictor that gives each agent one fraction of its max_tokens: the best such fraction
      // per agent, chosen with the held-out answers already known (the 1/value-weighted median).
      const groupKey = (call: CallSummary) => `${call.agent}${isRepairCall(call.callId) ? '/repair' : ''}`;
      const scoredHeldOut = heldOut.calls.filter((call) => call.completionTokens > 0 && call.maxTokens > 0);
      const bestFraction = new Map<string, number>();
      for (const key of new Set(scoredHeldOut.map(groupKey))) {
        const fractions = scoredHeldOut
          .filter((call) => groupKey(call) === key)
          .map((call) => call.completionTokens / call.maxTokens);
        bestFraction.set(key, percentageErrorMedian(fractions) ?? 1);
      }
      const hindsight = meanAbsolutePercentageError(
        scoredHeldOut.map((call) => ({
          predicted: (bestFraction.get(groupKey(call)) ?? 1) * call.maxTokens,
          actual: call.completionTokens,
        })),
      );
      const endedEarly = scoredHeldOut.filter((call) => !ranToCap(call));
      const endedEarlyLooping = endedEarly.filter(stoppedLooping).length;
      const endedEarlyFraction =
        endedEarly.length === 0
          ? Number.NaN
          : ([...endedEarly.map((call) => call.completionTokens / call.maxTokens)].sort((a, b) => a - b)[
              Math.floor(endedEarly.length / 2)
            ] ?? Number.NaN);
      const callRows = heldOut.calls.map((call, index) => [
        heldOut.runOfCall[index] ?? '',
        isRepairCall(call.callId) ? `${agentLabel(call.agent)} (decision repair)` : agentLabel(call.agent),
        String(call.maxTokens),
        call.predictedTokens === undefined ? 'n/a' : String(call.predictedTokens),
        String(uncalibratedEstimate(call)),
        String(call.completionTokens),
        ranToCap(call) ? 'ran on' : stoppedLooping(call) ? 'stopped looping' : 'ended',
      ]);
      const agents = [...new Set(heldOut.calls.map((call) => call.agent))] as AgentName[];
      const percent = (fraction: number) => `${fixed(fraction * 100)}%`;
      const activeCalibration = await store.activeCalibration();
      const rows = agents.flatMap((agent) =>
        [false, true].flatMap((repair) => {
          const calls = heldOut.calls.filter(
            (call) => call.agent === agent && isRepairCall(call.callId) === repair,
          );
          if (calls.length === 0) return [];
          const entry = evaluate(calls);
          const calibration = activeCalibration?.agents[agent];
          const learned = repair
            ? calibration?.repairCompletionTokens
            : calibration?.expectedCompletionTokens;
          return [
            [
              repair ? `${agentLabel(agent)} (decision repair)` : agentLabel(agent),
              String(entry.calls),
              String(entry.ranOn),
              String(entry.loopStopped),
              learned === undefined ? 'n/a' : String(learned),
              repair || calibration?.capFraction === undefined ? 'n/a' : fixed(calibration.capFraction, 3),
              calibration ? fixed(calibration.tokensPerWord, 3) : 'n/a',
              calibration ? `${config.agents[agent].wordLimit} -> ${calibration.wordLimit}` : 'n/a',
              percent(entry.uncalibrated),
              percent(entry.calibrated),
              percent(entry.calibratedMedian),
            ],
          ];
        }),
      );
      const minutes = (performance.now() - started) / 60000;
      return [
        '<!-- bench:prediction:start -->',
        '## Prediction after learning',
        '',
        `Bench: \`bench/prediction.bench.ts\` on the local model \`${path.basename(LOCAL_MODEL)}\` through Temporal, ${fixed(minutes)} minutes in all. ${training.calls.length} calls recorded by full optimized analyses with no calibration (${training.used.join(', ')}), then \`learningWorkflow\` wrote calibration \`${learned.version}\`, then ${heldOut.calls.length} held-out calls from analyses of other tickers and dates that loaded it (${heldOut.used.join(', ')}). On the held-out calls, the calibrated prediction each call carried (\`predictedTokens\`) and the uncalibrated estimate for the same call (configured word limit x ${DEFAULT_TOKENS_PER_WORD} tokens per word) are compared with the completion tokens the model produced. Completion tokens are capped by \`max_tokens\` (the limiter's ceiling), so a model that runs on is measured at its cap.`,
        '',
        `**Held-out MAPE: calibrated ${percent(overall.calibrated)}, uncalibrated ${percent(overall.uncalibrated)} (${overall.calls} calls).** Median absolute percentage error (MdAPE, the typical call, which a few very short answers cannot dominate): calibrated ${percent(overall.calibratedMedian)}, uncalibrated ${percent(overall.uncalibratedMedian)}. Of the ${overall.calls} held-out answers, ${overall.ranOn} ran on until \`max_tokens\` stopped them and ${overall.loopStopped} were stopped by the stream monitor when they started repeating themselves (training: ${trainingError.ranOn} and ${trainingError.loopStopped} of ${trainingError.calls}); the others ended by themselves. On the training calls (before learning, every call predicted uncalibrated): MAPE ${percent(trainingError.uncalibrated)}.`,
        '',
        "How the predictor works (`src/core/predictor.ts`, `src/core/calibration.ts`): `max_tokens` never exceeds the word-limit ceiling, word limit x tokens per word x 1.1, since the limiter cuts every word past the limit anyway. Learning counts an answer that ran on to `max_tokens` as reaching the ceiling, scales one that ended by itself, or that the stream monitor stopped looping, to the new word limit, and predicts the value with the least mean absolute percentage error over those (the median weighted by 1/value), stored as a fraction of the ceiling; a call is predicted under the `max_tokens` it really gets (recorded answers that ran on stop at it too); decision repairs (structured output) are predicted from past repairs. The uncalibrated estimate is word limit x 1.35 tokens per word, capped at the call's `max_tokens`.",
        '',
        markdownTable(
          [
            'agent',
            'held-out calls',
            'ran to max_tokens',
            'stopped looping',
            'learned completion tokens',
            'learned fraction of ceiling',
            'learned tokens/word',
            'word limit',
            'MAPE uncalibrated',
            'MAPE calibrated',
            'MdAPE calibrated',
          ],
          rows,
        ),
        '',
        `How far a per-agent predictor can go here: ${endedEarly.length} held-out answers ended before \`max_tokens\` (${endedEarlyLooping} of them stopped looping), at a median ${fixed(endedEarlyFraction * 100)}% of it. No predictor that gives each agent one fraction of its \`max_tokens\` can do better than **${percent(hindsight)} MAPE** on these calls: that is the best fraction per agent chosen with the held-out answers already known.`,
        '',
        describeErrorSources(heldOut.results, heldOut.used),
        '',
        '<details><summary>Every held-out call</summary>',
        '',
        markdownTable(
          [
            'run',
            'agent',
            'max_tokens',
            'predicted (calibrated)',
            'uncalibrated estimate',
            'completion tokens',
            'ended',
          ],
          callRows,
        ),
        '',
        '</details>',
        '',
        'Reasons the learning workflow recorded:',
        ...learned.reasons.map((reason) => `- ${reason}`),
        '<!-- bench:prediction:end -->',
      ].join('\n');
    });
  } finally {
    await store.close();
    await env.teardown();
    await disposeLocalModels();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

printSection(main);
