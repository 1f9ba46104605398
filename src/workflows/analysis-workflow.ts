import {
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  proxyActivities,
} from '@temporalio/workflow';
import type { CalibrationActivities } from '../activities/calibration-activities';
import type { DataActivities } from '../activities/data-activities';
import { agentsOfStage } from '../core/agents';
import { closeLine, totalSpent } from '../core/budget';
import type { AnalysisInput, AnalysisResult } from '../core/run-types';
import type { AnalysisInputs } from '../core/types';
import { runAgentCall } from './agent-call';
import { ANALYSIS_STAGES, plannedCallCount, type CallAgent, type StageRun } from './analysis-stages';
import { LEDGER_RECORDS_FAILURES } from './patches';
import {
  createAnalysisRun,
  registerRunHandlers,
  upsertRunTotals,
  upsertStartingAttributes,
  type AnalysisRun,
} from './run-state';
import { finishRun, recordSummary } from './run-summary';
import { acquirePoolTokens, releasePoolTokens } from './pool-steps';

/**
 * One trading analysis: analysts (concurrently) -> bull/bear debate -> research manager -> trader ->
 * risk debate -> risk manager -> structured decision (the stages in `analysis-stages.ts`). Every agent call
 * runs the token pipeline, and the run's budget lives here, so it replays deterministically and the hard cap
 * holds.
 */
export async function analysisWorkflow(input: AnalysisInput): Promise<AnalysisResult> {
  const { request, settings } = input;
  const startedAt = Date.now();
  const { loadAnalysisInputs } = proxyActivities<DataActivities>({
    startToCloseTimeout: '60s',
    retry: { maximumAttempts: 3 },
  });
  const { loadCalibration } = proxyActivities<CalibrationActivities>({
    startToCloseTimeout: '30s',
    retry: { maximumAttempts: 3 },
  });
  const calibration = settings.useCalibration ? await loadCalibration() : undefined;
  const run = createAnalysisRun(input, calibration, plannedCallCount(request), startedAt);
  registerRunHandlers(run);
  upsertStartingAttributes(run);

  try {
    await run.scope.run(async () => {
      // A run on a pool holds its hard cap of the pool's tokens before its first call.
      if (!(await acquirePoolTokens(run))) return;
      const inputs = await loadAnalysisInputs({
        ticker: request.ticker,
        date: request.date,
        lookbackDays: settings.lookbackDays,
      });
      run.outputs.dataSource = inputs.sourceLabel;
      await runStages(run, inputs);
    });
    run.phase = 'completed';
  } catch (error) {
    if (!isCancellation(error) || run.cancelReason === undefined) {
      // Failed, or cancelled from outside (the Temporal UI or CLI) rather than by the cancelRun update.
      const ending = isCancellation(error) ? 'cancelled' : 'failed';
      run.phase = ending;
      upsertRunTotals(run, ending);
      await releasePool(run);
      // Such a run spent tokens too: its summary joins the ledger before the run ends.
      if (patched(LEDGER_RECORDS_FAILURES)) await recordSummary(run, ending);
      throw error;
    }
    run.phase = 'cancelled';
  }
  await releasePool(run);
  return finishRun(run);
}

/** Gives a pooled run's grant back, charging its spend, once no raise of its budget is still drawing on it. */
async function releasePool(run: AnalysisRun): Promise<void> {
  if (run.input.settings.pool === undefined) return;
  // Also when the run was cancelled from outside: its scope is cancelled, the release must still happen.
  await CancellationScope.nonCancellable(async () => {
    await condition(allHandlersFinished);
    await releasePoolTokens(run, totalSpent(run.pipeline.budget));
  });
}

/** The stages in order; each closes its agents' budget lines when it ends. */
async function runStages(run: AnalysisRun, inputs: AnalysisInputs): Promise<void> {
  const stage: StageRun = {
    run,
    outputs: run.outputs,
    inputs,
    base: { ticker: run.input.request.ticker, date: inputs.date },
    call: callAgent(run),
  };
  for (const { id, prerequisite, run: runStage, skipped } of ANALYSIS_STAGES) {
    run.phase = id;
    const agents = agentsOfStage(id);
    if (!prerequisite || prerequisite.holds(run.outputs)) {
      await runStage(stage);
    } else {
      run.pipeline.degradations.push(
        `${agents[0]}: skipped, ${prerequisite.what} is missing because an earlier agent was skipped`,
      );
      skipped?.(run);
    }
    for (const agent of agents) closeLine(run.pipeline.budget, agent);
  }
}

/** Calls an agent through the pipeline, keeping it among the run's current agents while it runs. */
function callAgent(run: AnalysisRun): CallAgent {
  return async (agent, round, totalRounds, context, extra = {}) => {
    run.currentAgents.add(agent);
    try {
      return await runAgentCall(run.pipeline, run.proxies, {
        agent,
        round,
        totalRounds,
        roundsLeft: totalRounds - round + 1,
        context,
        ...extra,
      });
    } finally {
      run.currentAgents.delete(agent);
    }
  };
}
