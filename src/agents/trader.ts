import type { AgentDefinition } from './agent-definition';
import { baselineDebates, planSection, reportSections, requirePlan } from './downstream-sections';
import { instructions } from './sections';

/** Turns the investment plan into a trading plan: action, entry, stop, target and size. */
export const trader: AgentDefinition<'trader', 'trader'> = {
  name: 'trader',
  stage: 'trader',
  defaults: { wordLimit: 150, allocation: 1500 },
  reads: ['reports', 'investmentPlan', 'researchDebate', 'riskDebate'],
  roleSummary:
    'You turn the investment plan into a trading plan: action, entry, stop-loss, target and size where the evidence supports them.',
  brevityGuidance: 'Give the action, entry, stop and size in a few short lines.',
  sections(request) {
    const plan = requirePlan(request, 'investmentPlan');
    return [
      ...reportSections(request),
      ...baselineDebates(request, {}),
      planSection('investment-plan', plan),
      instructions(
        `Turn the investment plan into a trading plan for ${request.context.ticker}: the action (BUY, HOLD or SELL), and where the reports support them an entry price, a stop-loss, a target and a position size, each with a one-line reason.`,
      ),
    ];
  },
};
