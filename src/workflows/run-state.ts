import { CancellationScope, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { AgentName } from '../core/agents';
import { calibratedAgentSettings } from '../core/agent-settings';
import {
  changeHardCap,
  createBudget,
  summarizeBudget,
  totalSpent,
  validateHardCapChange,
} from '../core/budget';
import type {
  AnalysisInput,
  BudgetStatus,
  Calibration,
  CallSummary,
  DecisionSummary,
  RunPhase,
  RunProgress,
} from '../core/run-types';
import { emptyDrift } from '../core/tokenizer-drift';
import type { DebateTurn } from '../core/types';
import type { PipelineRunState } from './agent-call';
import {
  budgetQuery,
  cancelRunUpdate,
  changeBudgetUpdate,
  progressQuery,
  raiseBudgetUpdate,
  usageQuery,
} from './definitions';
import { poolGrantSignal } from './pool-definitions';
import { drawMoreFromPool } from './pool-steps';
import { budgetPauseOf } from './budget-pause';
import { createPipelineProxies, type PipelineProxies } from './pipeline-proxies';
import {
  budgetStatusKey,
  calibrationKey,
  costKey,
  dateKey,
  modeKey,
  tickerKey,
  totalTokensKey,
} from '../config/search-attributes';

/** What the stages of a run have produced so far. */
export interface StageOutputs {
  reports: Partial<Record<AgentName, string>>;
  researchDebate: DebateTurn[];
  riskDebate: DebateTurn[];
  investmentPlan?: string;
  traderPlan?: string;
  decision?: DecisionSummary;
  noDecisionReason?: string;
  dataSource: string;
}

/** One analysis run's state: the pipeline's (budget, calls, drift), its phase and what its stages produced. */
export interface AnalysisRun {
  input: AnalysisInput;
  startedAt: number;
  proxies: PipelineProxies;
  pipeline: PipelineRunState;
  phase: RunPhase;
  currentAgents: Set<AgentName>;
  plannedCalls: number;
  /** Set by the cancelRun update, whose cancellation ends the run as `cancelled` rather than failed. */
  cancelReason?: string;
  scope: CancellationScope;
  outputs: StageOutputs;
  /** Why the run is paused, by what waits (a call's label, or `pool`); empty when it is not paused. */
  pauses: Map<string, string>;
  /** Requests made of the run's pool so far (each gets its own id); 0 when it has drawn on none. */
  poolRequests: number;
  /** Tokens its pool granted to requests that had to wait, by request id (the pool's signal). */
  poolGrants: Record<string, number>;
}

/**
 * A run's state from its input and the active calibration; its budget takes the calibrated allocations, scaled
 * back to the hard cap, so calibration moves tokens between agents only.
 */
export function createAnalysisRun(
  input: AnalysisInput,
  calibration: Calibration | undefined,
  plannedCalls: number,
  startedAt: number,
): AnalysisRun {
  const { request, settings } = input;
  const budget = createBudget({
    hardCap: settings.hardCap,
    agents: calibratedAgentSettings(settings, calibration),
    sharedLines: settings.sharedLines,
  });
  const run: AnalysisRun = {
    input,
    startedAt,
    proxies: createPipelineProxies(settings),
    phase: 'starting',
    currentAgents: new Set<AgentName>(),
    plannedCalls,
    scope: new CancellationScope(),
    outputs: { reports: {}, researchDebate: [], riskDebate: [], dataSource: '' },
    pauses: new Map<string, string>(),
    poolRequests: 0,
    poolGrants: {},
    pipeline: {
      request,
      settings,
      budget,
      calibration,
      calls: [],
      degradations: [],
      drift: calibration?.tokenizerDrift?.[settings.model] ?? emptyDrift(),
      onCallFinished: (summary: CallSummary) => {
        run.currentAgents.delete(summary.agent);
        upsertRunTotals(run);
      },
    },
  };
  const pause = budgetPauseOf(run);
  if (pause) run.pipeline.pauseForBudget = pause;
  return run;
}

/** USD the run's calls have cost so far. */
export function runCost(run: AnalysisRun): number {
  return run.pipeline.calls.reduce((sum, call) => sum + (call.costUsd ?? 0), 0);
}

/** Within its budget, degraded (calls trimmed or skipped), exhausted, or overrun by a server's count. */
export function currentBudgetStatus(run: AnalysisRun): BudgetStatus {
  const { budget, degradations } = run.pipeline;
  if ((budget.overruns ?? []).length > 0) return 'overrun';
  if (degradations.length === 0) return 'within';
  return totalSpent(budget) >= budget.hardCap ? 'exhausted' : 'degraded';
}

function progressOf(run: AnalysisRun): RunProgress {
  const { budget } = run.pipeline;
  return {
    phase: run.phase,
    currentAgents: [...run.currentAgents],
    completedCalls: run.pipeline.calls.length,
    plannedCalls: run.plannedCalls,
    tokensSpent: totalSpent(budget),
    hardCap: budget.hardCap,
    costUsd: runCost(run),
    degradations: [...run.pipeline.degradations],
    budgetStatus: currentBudgetStatus(run),
    paused: [...run.pauses.values()],
  };
}

/** The run's queries (progress, budget, usage), updates (changeBudget, raiseBudget, cancelRun) and pool signal. */
export function registerRunHandlers(run: AnalysisRun): void {
  const { budget } = run.pipeline;
  const pool = run.input.settings.pool;
  setHandler(progressQuery, () => progressOf(run));
  setHandler(budgetQuery, () => summarizeBudget(budget));
  setHandler(usageQuery, () => [...run.pipeline.calls]);
  setHandler(
    changeBudgetUpdate,
    ({ hardCap }) => {
      changeHardCap(budget, hardCap);
      return summarizeBudget(budget);
    },
    {
      validator: ({ hardCap }) => {
        if (pool !== undefined && hardCap > budget.hardCap)
          throw new Error(
            `This run draws on pool ${pool}: raise it with raiseBudget (tokenflow budget <workflowId> --raise N), which takes the tokens from the pool.`,
          );
        const problem = validateHardCapChange(budget, hardCap);
        if (problem) throw new Error(problem);
      },
    },
  );
  setHandler(
    raiseBudgetUpdate,
    async ({ tokens }) => {
      await drawMoreFromPool(run, tokens);
      changeHardCap(budget, budget.hardCap + tokens);
      return summarizeBudget(budget);
    },
    {
      validator: ({ tokens }) => {
        if (!Number.isInteger(tokens) || tokens <= 0)
          throw new Error(`Raise a budget by a positive whole number of tokens (got ${tokens}).`);
      },
    },
  );
  setHandler(poolGrantSignal, ({ requestId, tokens }) => {
    run.poolGrants[requestId] = tokens;
  });
  setHandler(cancelRunUpdate, ({ reason }) => {
    run.cancelReason = reason ?? 'cancelled by request';
    run.scope.cancel();
    return { cancelled: true };
  });
}

/** Cost as search attributes hold it: to the millionth of a dollar. */
export function roundCost(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** The run's search attributes as it starts: what it analyses, and no tokens yet. */
export function upsertStartingAttributes(run: AnalysisRun): void {
  const { request } = run.input;
  const calibration = run.pipeline.calibration;
  upsertSearchAttributes([
    { key: tickerKey, value: request.ticker.toUpperCase() },
    { key: dateKey, value: request.date },
    { key: modeKey, value: request.mode },
    { key: budgetStatusKey, value: 'running' },
    { key: totalTokensKey, value: 0 },
    { key: costKey, value: 0 },
    ...(calibration ? [{ key: calibrationKey, value: calibration.version }] : []),
  ]);
}

/** The run's tokens and cost so far in its search attributes, with a status when it has one to report. */
export function upsertRunTotals(run: AnalysisRun, budgetStatus?: string): void {
  upsertSearchAttributes([
    ...(budgetStatus !== undefined ? [{ key: budgetStatusKey, value: budgetStatus }] : []),
    { key: totalTokensKey, value: totalSpent(run.pipeline.budget) },
    { key: costKey, value: roundCost(runCost(run)) },
  ]);
}
