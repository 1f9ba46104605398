import type { AgentDefinition } from './agent-definition';
import { researcher } from './research-debate';

/** Argues against investing, round by round, and rebuts the bull researcher. */
export const bearResearcher: AgentDefinition<'bear_researcher', 'research-debate'> = researcher({
  name: 'bear_researcher',
  stance: 'against',
  opponent: 'bull_researcher',
});
