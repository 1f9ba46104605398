import {
  ANALYST_AGENTS,
  RESEARCH_AGENTS,
  RISK_DEBATER_AGENTS,
  type AgentName,
  type AnalystAgent,
} from '../../src/core/agents';
import { DEFAULT_AGENTS } from '../../src/config/defaults';
import { enhanceDraft } from '../../src/core/prompt-enhancer';
import { renderDraft } from '../../src/core/prompt-optimizer';
import { buildPromptDraft } from '../../src/core/prompts';
import type {
  AgentContext,
  AnalysisInputs,
  DebateTurn,
  PipelineMode,
  PromptDraft,
} from '../../src/core/types';
import { createMarketDataProvider } from '../../src/data';
import { scriptAnswer } from '../../test/support/scripted-model';

/** A ticker and analysis date of the bundled sample. */
export interface SampleCase {
  ticker: string;
  date: string;
}

/**
 * The sample cases the benches use: the S&P 500 on a daily window (the richest data), and each bundled stock
 * on a date with news, posts and fundamentals near it.
 */
export const SAMPLE_CASES: readonly SampleCase[] = [
  { ticker: 'SPX', date: '2020-04-17' },
  { ticker: 'AAPL', date: '2008-06-02' },
  { ticker: 'MSFT', date: '2009-03-02' },
  { ticker: 'GOOG', date: '2008-10-01' },
  { ticker: 'AMZN', date: '2007-11-01' },
  { ticker: 'IBM', date: '2005-06-01' },
];

/** Loads the analysis inputs of each case from the bundled sample provider. */
export async function loadSampleInputs(
  cases: readonly SampleCase[] = SAMPLE_CASES,
): Promise<AnalysisInputs[]> {
  const provider = createMarketDataProvider({ kind: 'sample' });
  const inputs: AnalysisInputs[] = [];
  for (const sample of cases) inputs.push(await provider.load(sample));
  return inputs;
}

/** The analyst prompts of one case as the pipeline drafts them (enhanced with the word limit in optimized mode). */
export function analystDrafts(inputs: AnalysisInputs, mode: PipelineMode): PromptDraft[] {
  return ANALYST_AGENTS.map((agent) =>
    draftFor(agent, { ticker: inputs.ticker, date: inputs.date, inputs }, mode, 1, 1),
  );
}

function draftFor(
  agent: AgentName,
  context: AgentContext,
  mode: PipelineMode,
  round: number,
  totalRounds: number,
): PromptDraft {
  const draft = buildPromptDraft(agent, context, { mode, round, totalRounds });
  return mode === 'optimized' ? enhanceDraft(draft, DEFAULT_AGENTS[agent].wordLimit) : draft;
}

export interface SimulatedRunOptions {
  mode: PipelineMode;
  researchRounds: number;
  riskRounds: number;
  seed?: number;
}

/**
 * Every prompt draft of one analysis run, in the order the analysis workflow (src/workflows/analysis-workflow.ts)
 * makes its calls and with the context it passes each agent. Answers come from the scripted model of the test
 * server (test/support/scripted-model.ts): as verbose as the origin project's agents in baseline mode, keeping
 * the word limit most of the time in optimized mode. So the same analyst reports reach every downstream prompt,
 * as in a real run.
 */
export function simulateRunDrafts(inputs: AnalysisInputs, options: SimulatedRunOptions): PromptDraft[] {
  const { mode } = options;
  const script = {
    verbosity: mode === 'baseline' ? ('baseline' as const) : ('compliant' as const),
    complianceRate: 0.9,
    seed: options.seed ?? 7,
  };
  const drafts: PromptDraft[] = [];
  const answer = (draft: PromptDraft): string => {
    drafts.push(draft);
    return scriptAnswer(renderDraft(draft), script).text;
  };
  const base = { ticker: inputs.ticker, date: inputs.date };

  const reports: Partial<Record<AnalystAgent, string>> = {};
  for (const agent of ANALYST_AGENTS)
    reports[agent] = answer(draftFor(agent, { ...base, inputs }, mode, 1, 1));

  const researchDebate: DebateTurn[] = [];
  for (let round = 1; round <= options.researchRounds; round += 1) {
    for (const agent of RESEARCH_AGENTS) {
      const context = { ...base, reports: { ...reports }, researchDebate: [...researchDebate] };
      researchDebate.push({
        agent,
        round,
        text: answer(draftFor(agent, context, mode, round, options.researchRounds)),
      });
    }
  }
  const investmentPlan = answer(
    draftFor('research_manager', { ...base, reports: { ...reports }, researchDebate }, mode, 1, 1),
  );
  const traderPlan = answer(
    draftFor('trader', { ...base, reports: { ...reports }, investmentPlan }, mode, 1, 1),
  );

  const riskDebate: DebateTurn[] = [];
  for (let round = 1; round <= options.riskRounds; round += 1) {
    for (const agent of RISK_DEBATER_AGENTS) {
      const context = {
        ...base,
        reports: { ...reports },
        investmentPlan,
        traderPlan,
        researchDebate,
        riskDebate: [...riskDebate],
      };
      riskDebate.push({
        agent,
        round,
        text: answer(draftFor(agent, context, mode, round, options.riskRounds)),
      });
    }
  }
  answer(
    draftFor(
      'risk_manager',
      { ...base, reports: { ...reports }, investmentPlan, traderPlan, researchDebate, riskDebate },
      mode,
      1,
      1,
    ),
  );
  return drafts;
}
