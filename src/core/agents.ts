import type { AgentName } from '../agents';
import type { SharedBudgetLine } from './shared-budget-lines';

/**
 * The agent roster of one analysis, in pipeline order, as the rest of the code reads it. Every list is derived
 * from the registry in `src/agents` (one file per agent); names are the stable keys used in config, budget
 * lines, usage records, search attributes and reports.
 */
export {
  AGENT_NAMES,
  AGENT_STAGES,
  ANALYST_AGENTS,
  RESEARCH_AGENTS,
  RISK_DEBATER_AGENTS,
  agentLabel,
  agentsOfStage,
  isAgentName,
  type AgentName,
  type AgentStage,
  type AnalystAgent,
  type ResearchAgent,
  type RiskDebaterAgent,
} from '../agents';
export { SHARED_BUDGET_LINES, type SharedBudgetLine } from './shared-budget-lines';

/**
 * Budget lines of a run: one per agent plus the shared lines of the seed's allocation
 * (system & context, summary & output, buffer & overhead).
 */
export type BudgetLine = AgentName | SharedBudgetLine;

/** Suffix of the call id of the risk manager's decision repair (`${workflowId}/risk_manager/1/repair`). */
export const REPAIR_CALL_SUFFIX = '/repair';

/** Whether a recorded call was a decision repair rather than an agent's answer. */
export function isRepairCall(callId: string): boolean {
  return callId.endsWith(REPAIR_CALL_SUFFIX);
}
