/**
 * The agent roster of one analysis, in pipeline order. Names are the stable keys used in config,
 * budget lines, usage records, search attributes and reports.
 */
export const ANALYST_AGENTS = [
  'market_analyst',
  'news_analyst',
  'social_analyst',
  'fundamentals_analyst',
] as const;
export const RESEARCH_AGENTS = ['bull_researcher', 'bear_researcher'] as const;
export const RISK_DEBATER_AGENTS = ['aggressive_debater', 'conservative_debater', 'neutral_debater'] as const;

export const AGENT_NAMES = [
  ...ANALYST_AGENTS,
  ...RESEARCH_AGENTS,
  'research_manager',
  'trader',
  ...RISK_DEBATER_AGENTS,
  'risk_manager',
] as const;

export type AnalystAgent = (typeof ANALYST_AGENTS)[number];
export type ResearchAgent = (typeof RESEARCH_AGENTS)[number];
export type RiskDebaterAgent = (typeof RISK_DEBATER_AGENTS)[number];
export type AgentName = (typeof AGENT_NAMES)[number];

/**
 * Budget lines of a run: one per agent plus the shared lines of the seed's allocation
 * (system & context, summary & output, buffer & overhead).
 */
export const SHARED_BUDGET_LINES = ['system_context', 'summary_output', 'buffer_overhead'] as const;
export type SharedBudgetLine = (typeof SHARED_BUDGET_LINES)[number];
export type BudgetLine = AgentName | SharedBudgetLine;

/** True when `value` names an agent of the roster. */
export function isAgentName(value: string): value is AgentName {
  return (AGENT_NAMES as readonly string[]).includes(value);
}

/** Human label of an agent for reports. */
export function agentLabel(agent: AgentName): string {
  return agent
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}

/** Suffix of the call id of the risk manager's decision repair (`${workflowId}/risk_manager/1/repair`). */
export const REPAIR_CALL_SUFFIX = '/repair';

/** Whether a recorded call was a decision repair rather than an agent's answer. */
export function isRepairCall(callId: string): boolean {
  return callId.endsWith(REPAIR_CALL_SUFFIX);
}

/** The stages of an analysis, in order; each runs the agents of its stage (see `agentsOfStage`). */
export const AGENT_STAGES = [
  'analysts',
  'research-debate',
  'research-manager',
  'trader',
  'risk-debate',
  'risk-manager',
] as const;
export type AgentStage = (typeof AGENT_STAGES)[number];

const STAGE_AGENTS: Record<AgentStage, readonly AgentName[]> = {
  analysts: ANALYST_AGENTS,
  'research-debate': RESEARCH_AGENTS,
  'research-manager': ['research_manager'],
  trader: ['trader'],
  'risk-debate': RISK_DEBATER_AGENTS,
  'risk-manager': ['risk_manager'],
};

/** The agents of a stage in pipeline order (the analysts run concurrently, debaters take turns). */
export function agentsOfStage(stage: AgentStage): readonly AgentName[] {
  return STAGE_AGENTS[stage];
}
