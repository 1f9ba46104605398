import type { AgentDefinition } from './agent-definition';
import { riskDebater } from './risk-debate';

/** Argues for the high-reward path in the risk review of the trader's plan. */
export const aggressiveDebater: AgentDefinition<'aggressive_debater', 'risk-debate'> = riskDebater({
  name: 'aggressive_debater',
  roleSummary:
    "You argue for the high-reward path in the risk review of the trader's plan and challenge excessive caution.",
});
