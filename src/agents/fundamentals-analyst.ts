import type { AgentDefinition } from './agent-definition';
import { analyst } from './analyst';
import { dataSection } from './sections';

/** Reads the financial figures and reports valuation, growth, profitability and balance sheet. */
export const fundamentalsAnalyst: AgentDefinition<'fundamentals_analyst', 'analysts'> = analyst(
  'fundamentals_analyst',
  {
    defaults: { wordLimit: 350, allocation: 3500 },
    // Second to the market report: it carries the valuation.
    reportPriority: 58,
    roleSummary:
      'You read financial figures and report on valuation, growth, profitability and balance-sheet strength.',
    brevityGuidance: 'Give the figures that matter (valuation, growth, margins, debt) and your conclusion.',
    data: {
      fundamentals: (fundamentals) => [
        dataSection(
          'fundamentals',
          `Fundamentals, ${fundamentals.period} (${fundamentals.currency})`,
          'json',
          JSON.stringify(fundamentals, null, 2),
        ),
      ],
    },
    report: 'fundamentals',
    covers:
      'valuation, growth, profitability and balance sheet, citing the figures, then whether the fundamentals support owning the stock.',
  },
);
