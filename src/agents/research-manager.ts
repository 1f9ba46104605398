import type { AgentDefinition } from './agent-definition';
import { baselineDebates, judgedDebate, reportSections } from './downstream-sections';
import { instructions } from './sections';

/** Judges the bull/bear debate and writes the investment plan the trader acts on. */
export const researchManager: AgentDefinition<'research_manager', 'research-manager'> = {
  name: 'research_manager',
  stage: 'research-manager',
  defaults: { wordLimit: 400, allocation: 4000 },
  reads: ['reports', 'researchDebate', 'riskDebate'],
  roleSummary:
    'You judge the bull/bear debate and write the investment plan: BUY, HOLD or SELL, why, and how to act.',
  brevityGuidance: 'State the decision first, then the two or three reasons that decided it.',
  sections(request) {
    const debate = judgedDebate(request, 'researchDebate', {
      weigh: 'Weigh the bull and bear arguments',
      none: 'There was no debate; judge from the reports',
    });
    return [
      ...reportSections(request),
      ...debate.sections,
      ...baselineDebates(request, { research: true }),
      instructions(
        `${debate.opening} and decide BUY, HOLD or SELL for ${request.context.ticker}. Write the investment plan: the decision, the two or three reasons that decided it, and how the trader should act on it.`,
      ),
    ];
  },
};
