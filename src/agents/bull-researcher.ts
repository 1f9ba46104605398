import type { AgentDefinition } from './agent-definition';
import { researcher } from './research-debate';

/** Argues for investing, round by round, and rebuts the bear researcher. */
export const bullResearcher: AgentDefinition<'bull_researcher', 'research-debate'> = researcher({
  name: 'bull_researcher',
  stance: 'for',
  opponent: 'bear_researcher',
});
