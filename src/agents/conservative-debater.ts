import type { AgentDefinition } from './agent-definition';
import { riskDebater } from './risk-debate';

/** Argues for protecting capital in the risk review of the trader's plan. */
export const conservativeDebater: AgentDefinition<'conservative_debater', 'risk-debate'> = riskDebater({
  name: 'conservative_debater',
  roleSummary:
    "You argue for protecting capital in the risk review of the trader's plan and point out what could go wrong.",
});
