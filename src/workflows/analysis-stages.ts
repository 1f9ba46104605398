import { patched } from '@temporalio/workflow';
import { agentsOfStage, type AgentName, type AgentStage, type AnalystAgent } from '../core/agents';
import { closeLine } from '../core/budget';
import type { AnalysisRequest } from '../core/run-types';
import type { AgentContext, AnalysisInputs, DebateTurn } from '../core/types';
import type { AgentCallOutcome, AgentCallRequest } from './agent-call';
import { RISK_MANAGER_DID_NOT_RUN, decide, endWithoutDecision } from './decision-step';
import { LEDGER_RECORDS_FAILURES } from './patches';
import type { AnalysisRun, StageOutputs } from './run-state';

/** Calls one agent of the run: `(agent, round, totalRounds, context, extra)`. */
export type CallAgent = (
  agent: AgentName,
  round: number,
  totalRounds: number,
  context: AgentContext,
  extra?: Partial<AgentCallRequest>,
) => Promise<AgentCallOutcome | undefined>;

/** What a stage runs with: the run, its data and a way to call an agent. */
export interface StageRun {
  run: AnalysisRun;
  outputs: StageOutputs;
  inputs: AnalysisInputs;
  base: { ticker: string; date: string };
  call: CallAgent;
}

/**
 * One stage of the analysis: its id is the run's phase while it runs and names its agents (`agentsOfStage`);
 * their budget lines close when it ends. A stage whose prerequisite an earlier (skipped) agent should have
 * produced does not run, and the reason is recorded.
 */
export interface AnalysisStage {
  id: AgentStage;
  prerequisite?: { what: string; holds: (outputs: StageOutputs) => boolean };
  /** Agent calls the stage plans for a request. */
  plannedCalls: (request: AnalysisRequest) => number;
  run: (stage: StageRun) => Promise<void>;
  /** What the run records when the stage could not run. */
  skipped?: (run: AnalysisRun) => void;
}

/** The analysts' reports so far, in roster order. */
function analystReports(outputs: StageOutputs): Partial<Record<AnalystAgent, string>> {
  const selected: Partial<Record<AnalystAgent, string>> = {};
  for (const agent of agentsOfStage('analysts') as readonly AnalystAgent[]) {
    const report = outputs.reports[agent];
    if (report) selected[agent] = report;
  }
  return selected;
}

const hasAnalystReports = (outputs: StageOutputs) => Object.keys(analystReports(outputs)).length > 0;

/** Every agent of the stage at once; each line closes as its agent finishes. */
function concurrentStage(id: AgentStage, contextFor: (stage: StageRun) => AgentContext): AnalysisStage {
  return {
    id,
    plannedCalls: () => agentsOfStage(id).length,
    async run(stage) {
      const calls = agentsOfStage(id).map(async (agent) => {
        const outcome = await stage.call(agent, 1, 1, contextFor(stage));
        if (outcome) stage.outputs.reports[agent] = outcome.text;
        closeLine(stage.run.pipeline.budget, agent);
      });
      if (patched(LEDGER_RECORDS_FAILURES)) {
        // When one agent fails or the run is cancelled, the others still settle and record what they spent.
        const settled = await Promise.allSettled(calls);
        const failed = settled.find((outcome) => outcome.status === 'rejected');
        if (failed) throw failed.reason;
      } else {
        await Promise.all(calls);
      }
    },
  };
}

/**
 * Rounds of a debate, each agent in turn reading the turns so far; stops early (fewer rounds, recorded) when
 * the budget has no room for the next turn.
 */
function debateStage(
  id: AgentStage,
  name: string,
  turnsOf: 'researchDebate' | 'riskDebate',
  roundsOf: (request: AnalysisRequest) => number,
  prerequisite: AnalysisStage['prerequisite'],
  contextFor: (stage: StageRun, turns: DebateTurn[]) => AgentContext,
): AnalysisStage {
  return {
    id,
    prerequisite,
    plannedCalls: (request) => agentsOfStage(id).length * roundsOf(request),
    async run(stage) {
      const rounds = roundsOf(stage.run.input.request);
      const turns: DebateTurn[] = [];
      stage.outputs[turnsOf] = turns;
      for (let round = 1; round <= rounds; round += 1) {
        for (const agent of agentsOfStage(id)) {
          const outcome = await stage.call(agent, round, rounds, contextFor(stage, [...turns]));
          if (!outcome) {
            stage.run.pipeline.degradations.push(
              `${name} stopped after round ${round - 1}: the budget left no room for ${agent}`,
            );
            return;
          }
          turns.push({ agent, round, text: outcome.text });
          stage.outputs.reports[agent] = outcome.text;
        }
      }
    },
  };
}

/** The agent of a planning stage, once: its answer is the plan later stages read (and its report). */
function planStage(
  id: AgentStage,
  plan: 'investmentPlan' | 'traderPlan',
  prerequisite: AnalysisStage['prerequisite'],
  contextFor: (stage: StageRun) => AgentContext,
): AnalysisStage {
  return {
    id,
    prerequisite,
    plannedCalls: () => agentsOfStage(id).length,
    async run(stage) {
      for (const agent of agentsOfStage(id)) {
        const outcome = await stage.call(agent, 1, 1, contextFor(stage));
        if (!outcome) continue;
        stage.outputs[plan] = outcome.text;
        if (outcome.text) stage.outputs.reports[agent] = outcome.text;
      }
    },
  };
}

const EVERY_ANALYST_REPORT = { what: 'every analyst report', holds: hasAnalystReports };

/** The analysis, stage by stage: what each agent reads is exactly what the stage gives it. */
export const ANALYSIS_STAGES: readonly AnalysisStage[] = [
  concurrentStage('analysts', ({ base, inputs }) => ({ ...base, inputs })),
  debateStage(
    'research-debate',
    'research debate',
    'researchDebate',
    (request) => request.researchRounds,
    EVERY_ANALYST_REPORT,
    ({ base, outputs }, turns) => ({ ...base, reports: analystReports(outputs), researchDebate: turns }),
  ),
  planStage('research-manager', 'investmentPlan', EVERY_ANALYST_REPORT, ({ base, outputs }) => ({
    ...base,
    reports: analystReports(outputs),
    researchDebate: outputs.researchDebate,
  })),
  planStage(
    'trader',
    'traderPlan',
    {
      what: "the research manager's investment plan",
      holds: (outputs) => outputs.investmentPlan !== undefined,
    },
    ({ base, outputs }) => ({
      ...base,
      reports: analystReports(outputs),
      investmentPlan: outputs.investmentPlan,
    }),
  ),
  debateStage(
    'risk-debate',
    'risk debate',
    'riskDebate',
    (request) => request.riskRounds,
    { what: "the trader's plan", holds: (outputs) => outputs.traderPlan !== undefined },
    ({ base, outputs }, turns) => ({ ...riskManagerContext({ base, outputs }), riskDebate: turns }),
  ),
  {
    id: 'risk-manager',
    prerequisite: {
      what: "the trader's or research manager's plan",
      holds: (outputs) => outputs.traderPlan !== undefined && outputs.investmentPlan !== undefined,
    },
    plannedCalls: () => 1,
    run: (stage) => decide(stage, riskManagerContext(stage)),
    skipped: (run) => endWithoutDecision(run, RISK_MANAGER_DID_NOT_RUN),
  },
];

/** What the risk debaters and the risk manager read: everything before them. */
function riskManagerContext({ base, outputs }: Pick<StageRun, 'base' | 'outputs'>): AgentContext {
  return {
    ...base,
    reports: analystReports(outputs),
    investmentPlan: outputs.investmentPlan,
    traderPlan: outputs.traderPlan,
    researchDebate: outputs.researchDebate,
    riskDebate: outputs.riskDebate,
  };
}

/** Agent calls a run plans: the sum of its stages'. */
export function plannedCallCount(request: AnalysisRequest): number {
  return ANALYSIS_STAGES.reduce((sum, stage) => sum + stage.plannedCalls(request), 0);
}
