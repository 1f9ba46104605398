import {
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { CalibrationActivities } from '../activities/calibration-activities';
import type { DataActivities } from '../activities/data-activities';
import type { ParseDecisionResult } from '../activities/pipeline-activities';
import type { UsageActivities } from '../activities/usage-activities';
import {
  agentsOfStage,
  RESEARCH_AGENTS,
  RISK_DEBATER_AGENTS,
  REPAIR_CALL_SUFFIX,
  type AgentName,
  type AnalystAgent,
} from '../core/agents';
import {
  changeHardCap,
  closeLine,
  createBudget,
  summarizeBudget,
  totalSpent,
  validateHardCapChange,
} from '../core/budget';
import type {
  AnalysisInput,
  AnalysisResult,
  BudgetStatus,
  CallSummary,
  DecisionSummary,
  RunPhase,
  RunProgress,
} from '../core/run-types';
import { DECISION_JSON_SCHEMA } from '../core/decision-schema';
import { emptyDrift } from '../core/tokenizer-drift';
import type { AgentContext, AnalysisInputs, DebateTurn } from '../core/types';
import { createPipelineProxies, runAgentCall, type PipelineRunState } from './agent-call';
import { LEDGER_RECORDS_FAILURES } from './patches';
import { budgetQuery, cancelRunUpdate, changeBudgetUpdate, progressQuery, usageQuery } from './definitions';
import {
  budgetStatusKey,
  calibrationKey,
  costKey,
  dateKey,
  decisionKey,
  modeKey,
  tickerKey,
  totalTokensKey,
} from './search-attribute-keys';

/** Agent calls a run plans: four analysts, the debates, three managers/trader calls. */
export function plannedCallCount(researchRounds: number, riskRounds: number): number {
  return (
    agentsOfStage('analysts').length +
    RESEARCH_AGENTS.length * researchRounds +
    2 +
    RISK_DEBATER_AGENTS.length * riskRounds +
    1
  );
}

/**
 * One trading analysis: analysts (concurrently) -> bull/bear debate -> research manager -> trader ->
 * risk debate -> risk manager -> structured decision. Every agent call runs the token pipeline, and the
 * run's budget lives here, so it replays deterministically and the hard cap holds.
 */
export async function analysisWorkflow(input: AnalysisInput): Promise<AnalysisResult> {
  const { request, settings } = input;
  const startedAt = Date.now();
  const proxies = createPipelineProxies(settings);
  const { loadAnalysisInputs } = proxyActivities<DataActivities>({
    startToCloseTimeout: '60s',
    retry: { maximumAttempts: 3 },
  });
  const { loadCalibration } = proxyActivities<CalibrationActivities>({
    startToCloseTimeout: '30s',
    retry: { maximumAttempts: 3 },
  });
  const calibration = settings.useCalibration ? await loadCalibration() : undefined;
  const allocations = { ...settings.agents };
  for (const agent of Object.keys(allocations) as AgentName[]) {
    const calibrated = calibration?.agents[agent];
    if (calibrated)
      allocations[agent] = { wordLimit: calibrated.wordLimit, allocation: calibrated.allocation };
  }
  // Calibrated allocations are scaled back to the hard cap, so calibration moves tokens between agents only.
  const budget = createBudget({
    hardCap: settings.hardCap,
    agents: allocations,
    sharedLines: settings.sharedLines,
  });

  let phase: RunPhase = 'starting';
  let budgetStatus: BudgetStatus = 'within';
  const currentAgents = new Set<AgentName>();
  const plannedCalls = plannedCallCount(request.researchRounds, request.riskRounds);
  let cancelReason: string | undefined;
  const scope = new CancellationScope();

  const state: PipelineRunState = {
    request,
    settings,
    budget,
    calibration,
    calls: [],
    degradations: [],
    drift: calibration?.tokenizerDrift?.[settings.model] ?? emptyDrift(),
    onCallFinished: (summary: CallSummary) => {
      currentAgents.delete(summary.agent);
      upsertSearchAttributes([
        { key: totalTokensKey, value: totalSpent(budget) },
        { key: costKey, value: roundCost(runCost()) },
      ]);
    },
  };
  const runCost = () => state.calls.reduce((sum, call) => sum + (call.costUsd ?? 0), 0);
  const currentBudgetStatus = (): BudgetStatus =>
    (budget.overruns ?? []).length > 0
      ? 'overrun'
      : state.degradations.length === 0
        ? 'within'
        : totalSpent(budget) >= budget.hardCap
          ? 'exhausted'
          : 'degraded';

  const progress = (): RunProgress => ({
    phase,
    currentAgents: [...currentAgents],
    completedCalls: state.calls.length,
    plannedCalls,
    tokensSpent: totalSpent(budget),
    hardCap: budget.hardCap,
    costUsd: runCost(),
    degradations: [...state.degradations],
    budgetStatus: currentBudgetStatus(),
  });
  setHandler(progressQuery, progress);
  setHandler(budgetQuery, () => summarizeBudget(budget));
  setHandler(usageQuery, () => [...state.calls]);
  setHandler(
    changeBudgetUpdate,
    ({ hardCap }) => {
      changeHardCap(budget, hardCap);
      return summarizeBudget(budget);
    },
    {
      validator: ({ hardCap }) => {
        const problem = validateHardCapChange(budget, hardCap);
        if (problem) throw new Error(problem);
      },
    },
  );
  setHandler(cancelRunUpdate, ({ reason }) => {
    cancelReason = reason ?? 'cancelled by request';
    scope.cancel();
    return { cancelled: true };
  });

  upsertSearchAttributes([
    { key: tickerKey, value: request.ticker.toUpperCase() },
    { key: dateKey, value: request.date },
    { key: modeKey, value: request.mode },
    { key: budgetStatusKey, value: 'running' },
    { key: totalTokensKey, value: 0 },
    { key: costKey, value: 0 },
    ...(calibration ? [{ key: calibrationKey, value: calibration.version }] : []),
  ]);

  const reports: Partial<Record<AgentName, string>> = {};
  let investmentPlan: string | undefined;
  let traderPlan: string | undefined;
  let decision: DecisionSummary | undefined;
  let noDecisionReason: string | undefined;
  let dataSource = '';

  /** A prerequisite an earlier (skipped) agent should have produced; records why the agent does not run. */
  const requires = (agent: AgentName, present: boolean, what: string): boolean => {
    if (!present)
      state.degradations.push(`${agent}: skipped, ${what} is missing because an earlier agent was skipped`);
    return present;
  };

  const call = async (
    agent: AgentName,
    round: number,
    totalRounds: number,
    context: Parameters<typeof runAgentCall>[2]['context'],
    extra: Partial<Parameters<typeof runAgentCall>[2]> = {},
  ) => {
    currentAgents.add(agent);
    try {
      return await runAgentCall(state, proxies, {
        agent,
        round,
        totalRounds,
        roundsLeft: totalRounds - round + 1,
        context,
        ...extra,
      });
    } finally {
      currentAgents.delete(agent);
    }
  };

  /**
   * Rounds of a debate, each agent in turn reading the turns so far; stops early (fewer rounds, recorded)
   * when the budget has no room for the next turn.
   */
  const debate = async (
    name: string,
    agents: readonly AgentName[],
    rounds: number,
    plannedRounds: number,
    contextFor: (turns: DebateTurn[]) => AgentContext,
  ): Promise<DebateTurn[]> => {
    const turns: DebateTurn[] = [];
    for (let round = 1; round <= rounds; round += 1) {
      for (const agent of agents) {
        const outcome = await call(agent, round, plannedRounds, contextFor([...turns]));
        if (!outcome) {
          state.degradations.push(
            `${name} stopped after round ${round - 1}: the budget left no room for ${agent}`,
          );
          return turns;
        }
        turns.push({ agent, round, text: outcome.text });
        reports[agent] = outcome.text;
      }
    }
    return turns;
  };

  const totalsOfCalls = () =>
    state.calls.reduce(
      (sum, call) => ({
        promptTokens: sum.promptTokens + call.promptTokens,
        completionTokens: sum.completionTokens + call.completionTokens,
        lostTokens: sum.lostTokens + call.lostTokens,
      }),
      { promptTokens: 0, completionTokens: 0, lostTokens: 0 },
    );
  const { recordRunSummary } = proxyActivities<UsageActivities>({
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: '15m',
    retry: { maximumAttempts: Number.POSITIVE_INFINITY, maximumInterval: '30s' },
  });
  /** The run's line in the ledger; a store that stays down costs the summary, never the run's result. */
  const recordSummary = async (status: string): Promise<void> => {
    const totals = totalsOfCalls();
    try {
      await CancellationScope.nonCancellable(() =>
        recordRunSummary({
          workflowId: workflowInfo().workflowId,
          runId: workflowInfo().runId,
          ticker: request.ticker.toUpperCase(),
          date: request.date,
          mode: request.mode,
          decision: decision?.action,
          totalTokens: totalSpent(budget),
          promptTokens: totals.promptTokens,
          completionTokens: totals.completionTokens,
          originalPromptTokens: state.calls.reduce((sum, call) => sum + call.originalPromptTokens, 0),
          budgetTokens: budget.hardCap,
          costUsd: runCost(),
          budgetStatus: status,
          calibrationVersion: calibration?.version,
          startedAt: new Date(startedAt).toISOString(),
        }),
      );
    } catch (error) {
      state.degradations.push(
        `the run summary could not be written (${error instanceof Error ? error.message : String(error)})`,
      );
    }
  };

  try {
    await scope.run(async () => {
      const inputs: AnalysisInputs = await loadAnalysisInputs({
        ticker: request.ticker,
        date: request.date,
        lookbackDays: settings.lookbackDays,
      });
      dataSource = inputs.sourceLabel;
      const base = { ticker: request.ticker, date: inputs.date };

      phase = 'analysts';
      const analysts = agentsOfStage('analysts').map(async (agent) => {
        const outcome = await call(agent, 1, 1, { ...base, inputs });
        if (outcome) reports[agent] = outcome.text;
        closeLine(budget, agent);
      });
      if (patched(LEDGER_RECORDS_FAILURES)) {
        // When one analyst fails or the run is cancelled, the others still settle and record what they spent.
        const settled = await Promise.allSettled(analysts);
        const failed = settled.find((outcome) => outcome.status === 'rejected');
        if (failed) throw failed.reason;
      } else {
        await Promise.all(analysts);
      }
      const analystReports = (): Partial<Record<AnalystAgent, string>> => {
        const selected: Partial<Record<AnalystAgent, string>> = {};
        for (const agent of agentsOfStage('analysts') as readonly AnalystAgent[])
          if (reports[agent]) selected[agent] = reports[agent];
        return selected;
      };

      const hasReports = Object.keys(analystReports()).length > 0;
      phase = 'research-debate';
      const researchDebate = await debate(
        'research debate',
        RESEARCH_AGENTS,
        requires('bull_researcher', hasReports, 'every analyst report') ? request.researchRounds : 0,
        request.researchRounds,
        (turns) => ({ ...base, reports: analystReports(), researchDebate: turns }),
      );
      RESEARCH_AGENTS.forEach((agent) => closeLine(budget, agent));

      phase = 'research-manager';
      const plan = requires('research_manager', hasReports, 'every analyst report')
        ? await call('research_manager', 1, 1, { ...base, reports: analystReports(), researchDebate })
        : undefined;
      closeLine(budget, 'research_manager');
      investmentPlan = plan?.text;
      if (investmentPlan) reports.research_manager = investmentPlan;

      phase = 'trader';
      const trader = requires(
        'trader',
        investmentPlan !== undefined,
        "the research manager's investment plan",
      )
        ? await call('trader', 1, 1, { ...base, reports: analystReports(), investmentPlan })
        : undefined;
      closeLine(budget, 'trader');
      traderPlan = trader?.text;
      if (traderPlan) reports.trader = traderPlan;

      phase = 'risk-debate';
      const riskDebate = await debate(
        'risk debate',
        RISK_DEBATER_AGENTS,
        requires('aggressive_debater', traderPlan !== undefined, "the trader's plan")
          ? request.riskRounds
          : 0,
        request.riskRounds,
        (turns) => ({
          ...base,
          reports: analystReports(),
          investmentPlan,
          traderPlan,
          researchDebate,
          riskDebate: turns,
        }),
      );
      RISK_DEBATER_AGENTS.forEach((agent) => closeLine(budget, agent));

      phase = 'risk-manager';
      const riskContext = {
        ...base,
        reports: analystReports(),
        investmentPlan,
        traderPlan,
        researchDebate,
        riskDebate,
      };
      const riskManager = requires(
        'risk_manager',
        traderPlan !== undefined && investmentPlan !== undefined,
        "the trader's or research manager's plan",
      )
        ? await call('risk_manager', 1, 1, riskContext, { skipLimit: true })
        : undefined;
      closeLine(budget, 'risk_manager');
      if (riskManager) {
        reports.risk_manager = riskManager.text;
        const wordLimit = request.mode === 'optimized' ? settings.agents.risk_manager.wordLimit : undefined;
        let parsed: ParseDecisionResult = await proxies.parseDecision({ text: riskManager.text, wordLimit });
        if (!parsed.ok) {
          const repaired = await call('risk_manager', 1, 1, riskContext, {
            repair: { malformedAnswer: riskManager.text, error: parsed.error },
            budgetLine: 'summary_output',
            skipLimit: true,
            callSuffix: REPAIR_CALL_SUFFIX,
            // Structured output makes the one repair dependable even on a small local model.
            jsonSchema: DECISION_JSON_SCHEMA,
          });
          if (repaired) parsed = await proxies.parseDecision({ text: repaired.text, wordLimit });
          if (!parsed.ok) {
            // Every report before it was paid for: keep them and end without a decision.
            if (!patched(LEDGER_RECORDS_FAILURES)) {
              throw ApplicationFailure.nonRetryable(
                `The risk manager did not give a valid decision even after one repair attempt: ${parsed.error}`,
                'MalformedDecision',
              );
            }
            noDecisionReason = `the risk manager did not give a valid decision even after one repair attempt: ${parsed.error}`;
            state.degradations.push(`no decision: ${noDecisionReason}`);
          }
        }
        if (parsed.ok) decision = parsed.decision;
      } else {
        noDecisionReason = 'the risk manager did not run';
        state.degradations.push(`no decision: ${noDecisionReason}`);
      }
    });
    phase = 'completed';
  } catch (error) {
    if (!isCancellation(error) || cancelReason === undefined) {
      // Failed, or cancelled from outside (the Temporal UI or CLI) rather than by the cancelRun update.
      const ending = isCancellation(error) ? 'cancelled' : 'failed';
      phase = ending;
      upsertSearchAttributes([
        { key: budgetStatusKey, value: ending },
        { key: totalTokensKey, value: totalSpent(budget) },
        { key: costKey, value: roundCost(runCost()) },
      ]);
      // Such a run spent tokens too: its summary joins the ledger before the run ends.
      if (patched(LEDGER_RECORDS_FAILURES)) await recordSummary(ending);
      throw error;
    }
    phase = 'cancelled';
  }

  budgetStatus = currentBudgetStatus();
  const totals = totalsOfCalls();
  upsertSearchAttributes([
    { key: totalTokensKey, value: totalSpent(budget) },
    { key: costKey, value: roundCost(runCost()) },
    { key: budgetStatusKey, value: phase === 'cancelled' ? 'cancelled' : budgetStatus },
    ...(decision ? [{ key: decisionKey, value: decision.action }] : []),
  ]);

  await recordSummary(phase === 'cancelled' ? 'cancelled' : budgetStatus);

  return {
    workflowId: workflowInfo().workflowId,
    request,
    status: phase === 'cancelled' ? 'cancelled' : 'completed',
    decision,
    ...(decision === undefined && noDecisionReason !== undefined ? { noDecisionReason } : {}),
    tokenizerDrift: state.drift,
    provider: settings.provider,
    model: settings.model,
    calibrationVersion: state.calibration?.version,
    reports,
    investmentPlan,
    traderPlan,
    calls: state.calls,
    totals: {
      ...totals,
      totalTokens: totalSpent(budget),
      costUsd: runCost(),
      wallTimeMs: Date.now() - startedAt,
    },
    budget: summarizeBudget(budget),
    budgetStatus,
    degradations: state.degradations,
    cancelReason,
    dataSource,
  };
}

function roundCost(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
