import type { AgentDefinition } from '../../src/agents';
import { analyst } from '../../src/agents/analyst';
import { renderPriceTable } from '../../src/agents/price-table';
import { dataSection, itemSections } from '../../src/agents/sections';

declare module '../../src/agents/agent-definition' {
  interface AgentRegistry {
    macro_analyst: 'analysts';
  }
}

/** Weekly closes the macro analyst reads: every fifth bar, the last 24 of them (about half a year). */
const WEEKS = 24;

/**
 * An analyst defined outside `src/agents`, as a deployment adds one: it reads the prices and the news every
 * run already loads and reports the macro backdrop. `register-macro-analyst.ts` registers it.
 */
export const macroAnalyst: AgentDefinition<'macro_analyst', 'analysts'> = analyst('macro_analyst', {
  defaults: { wordLimit: 200, allocation: 2000 },
  reportPriority: 52,
  roleSummary:
    'You read the longer price trend and the news for the macro backdrop (rates, growth, policy) and report how it bears on the stock.',
  brevityGuidance: 'Name the one or two macro forces that matter and which way they push the stock.',
  data: {
    prices: (prices) => {
      const weekly = prices.filter((_, index) => (prices.length - 1 - index) % 5 === 0).slice(-WEEKS);
      return [dataSection('weekly-closes', 'Weekly closes', 'table', renderPriceTable(weekly))];
    },
    news: (news) =>
      itemSections(
        'news',
        'Headline',
        news.map((item) => `${item.date} | ${item.headline}`),
        { title: 'Headlines', text: 'No headlines in the window.' },
      ),
  },
  report: 'macro',
  covers:
    'the macro forces behind the longer trend and the headlines, and whether they favour owning the stock.',
});
