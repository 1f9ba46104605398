import type { AgentDefinition } from './agent-definition';
import { analyst } from './analyst';
import { PRICE_TABLE_BARS, renderPriceTable } from './price-table';
import { dataSection, fail } from './sections';

/** Reads the price history and indicators and reports trend, momentum, volatility and key levels. */
export const marketAnalyst: AgentDefinition<'market_analyst', 'analysts'> = analyst('market_analyst', {
  defaults: { wordLimit: 300, allocation: 3000 },
  // The highest of the reports: it carries the price levels that plans and stops refer to.
  reportPriority: 60,
  roleSummary:
    'You read price history and technical indicators and report trend, momentum, volatility and key price levels.',
  brevityGuidance: 'Lead with the trend and the key levels; cite figures instead of restating the table.',
  data: {
    prices(prices, context) {
      if (prices.length === 0)
        fail('market_analyst', context, 'has no price bars; choose a date inside the data');
      const bars = prices.slice(-PRICE_TABLE_BARS);
      return [
        dataSection('prices', `Daily prices, last ${bars.length} bars`, 'table', renderPriceTable(bars)),
      ];
    },
    indicators: (indicators, context) => [
      dataSection('indicators', `Indicators at ${context.date}`, 'json', JSON.stringify(indicators, null, 2)),
    ],
  },
  report: 'market',
  covers:
    'trend, momentum, volatility, and support and resistance levels, citing figures from the table and the indicators, then what they imply for a trader.',
});
