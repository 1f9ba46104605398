import { CancellationScope, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { summarizeBudget, totalSpent } from '../core/budget';
import type { AnalysisResult } from '../core/run-types';
import { raiseRunAlerts } from './alert-steps';
import { usageProxies } from './pipeline-proxies';
import { currentBudgetStatus, roundCost, runCost, type AnalysisRun } from './run-state';
import { budgetStatusKey, costKey, decisionKey, totalTokensKey } from '../config/search-attributes';

/** Prompt, completion and lost tokens over the run's calls. */
function totalsOfCalls(run: AnalysisRun) {
  return run.pipeline.calls.reduce(
    (sum, call) => ({
      promptTokens: sum.promptTokens + call.promptTokens,
      completionTokens: sum.completionTokens + call.completionTokens,
      lostTokens: sum.lostTokens + call.lostTokens,
    }),
    { promptTokens: 0, completionTokens: 0, lostTokens: 0 },
  );
}

/**
 * The run's line in the ledger, then its alerts; a store that stays down costs the summary, never the run's result.
 */
export async function recordSummary(run: AnalysisRun, status: string): Promise<void> {
  const { request } = run.input;
  const { budget, calls, calibration } = run.pipeline;
  const totals = totalsOfCalls(run);
  const { recordRunSummary } = usageProxies();
  try {
    await CancellationScope.nonCancellable(() =>
      recordRunSummary({
        workflowId: workflowInfo().workflowId,
        runId: workflowInfo().runId,
        ticker: request.ticker.toUpperCase(),
        date: request.date,
        mode: request.mode,
        decision: run.outputs.decision?.action,
        totalTokens: totalSpent(budget),
        promptTokens: totals.promptTokens,
        completionTokens: totals.completionTokens,
        originalPromptTokens: calls.reduce((sum, call) => sum + call.originalPromptTokens, 0),
        budgetTokens: budget.hardCap,
        costUsd: runCost(run),
        budgetStatus: status,
        calibrationVersion: calibration?.version,
        startedAt: new Date(run.startedAt).toISOString(),
      }),
    );
  } catch (error) {
    run.pipeline.degradations.push(
      `the run summary could not be written (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  await raiseRunAlerts(run, status);
}

/**
 * The end of a run that completed or was cancelled by the cancelRun update: its search attributes and ledger
 * line, then its result with everything finished so far.
 */
export async function finishRun(run: AnalysisRun): Promise<AnalysisResult> {
  const { request, settings } = run.input;
  const { budget, calls, degradations } = run.pipeline;
  const { decision, noDecisionReason } = run.outputs;
  const cancelled = run.phase === 'cancelled';
  const budgetStatus = currentBudgetStatus(run);
  upsertSearchAttributes([
    { key: totalTokensKey, value: totalSpent(budget) },
    { key: costKey, value: roundCost(runCost(run)) },
    { key: budgetStatusKey, value: cancelled ? 'cancelled' : budgetStatus },
    ...(decision ? [{ key: decisionKey, value: decision.action }] : []),
  ]);
  await recordSummary(run, cancelled ? 'cancelled' : budgetStatus);
  return {
    workflowId: workflowInfo().workflowId,
    request,
    status: cancelled ? 'cancelled' : 'completed',
    decision,
    ...(decision === undefined && noDecisionReason !== undefined ? { noDecisionReason } : {}),
    tokenizerDrift: run.pipeline.drift,
    provider: settings.provider,
    model: settings.model,
    calibrationVersion: run.pipeline.calibration?.version,
    reports: run.outputs.reports,
    investmentPlan: run.outputs.investmentPlan,
    traderPlan: run.outputs.traderPlan,
    calls,
    totals: {
      ...totalsOfCalls(run),
      totalTokens: totalSpent(budget),
      costUsd: runCost(run),
      wallTimeMs: Date.now() - run.startedAt,
    },
    budget: summarizeBudget(budget),
    budgetStatus,
    degradations,
    cancelReason: run.cancelReason,
    dataSource: run.outputs.dataSource,
  };
}
