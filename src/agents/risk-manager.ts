import { DECISION_FORMAT_INSTRUCTIONS } from '../core/decision-format';
import type { AgentDefinition } from './agent-definition';
import {
  baselineDebates,
  judgedDebate,
  planSection,
  reportSections,
  requirePlan,
} from './downstream-sections';
import { instructions } from './sections';

/** Judges the risk debate and makes the run's final decision, in the labelled format the parser reads. */
export const riskManager: AgentDefinition<'risk_manager', 'risk-manager'> = {
  name: 'risk_manager',
  stage: 'risk-manager',
  defaults: { wordLimit: 250, allocation: 2500 },
  reads: ['reports', 'investmentPlan', 'traderPlan', 'riskDebate', 'researchDebate'],
  roleSummary:
    'You judge the risk debate and make the final decision: BUY, HOLD or SELL, with a confidence and a rationale.',
  brevityGuidance: 'Keep the rationale to the decisive reasons; the labelled lines count towards the limit.',
  sections(request) {
    const traderPlan = requirePlan(request, 'traderPlan');
    const investmentPlan = requirePlan(request, 'investmentPlan');
    const debate = judgedDebate(request, 'riskDebate', {
      weigh: 'Weigh the risk debate',
      none: 'There was no risk debate; weigh the plans',
    });
    return [
      ...reportSections(request),
      ...baselineDebates(request, { risk: true }),
      planSection('investment-plan', investmentPlan),
      planSection('trader-plan', traderPlan),
      ...debate.sections,
      instructions(
        `${debate.opening} against the trader's plan and the investment plan, and make the final decision for ${request.context.ticker}, adjusting entry and stop where the risks call for it.\n\n${DECISION_FORMAT_INSTRUCTIONS}`,
      ),
    ];
  },
};
