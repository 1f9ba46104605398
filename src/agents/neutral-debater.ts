import type { AgentDefinition } from './agent-definition';
import { riskDebater } from './risk-debate';

/** Weighs reward against risk in the risk review of the trader's plan. */
export const neutralDebater: AgentDefinition<'neutral_debater', 'risk-debate'> = riskDebater({
  name: 'neutral_debater',
  roleSummary:
    "You weigh reward against risk in the risk review of the trader's plan and challenge both extremes.",
});
