import type { AgentDefinition } from './agent-definition';
import { analyst } from './analyst';
import { itemSections } from './sections';

/** Reads the recent news and reports what could move the stock. */
export const newsAnalyst: AgentDefinition<'news_analyst', 'analysts'> = analyst('news_analyst', {
  defaults: { wordLimit: 250, allocation: 2500 },
  reportPriority: 55,
  roleSummary: 'You read recent news and report what could move the stock, and in which direction.',
  brevityGuidance: 'Cover only the news that can move the stock, one or two sentences each, with dates.',
  data: {
    news: (news, context) =>
      itemSections(
        'news',
        'News item',
        news.map((item) => `${item.date} | ${item.source} | ${item.headline}\n${item.body}`),
        { title: 'News', text: `No news items were found for ${context.ticker} up to ${context.date}.` },
      ),
  },
  report: 'news',
  covers:
    'the items that could move the stock, their dates, and whether each is positive or negative for it, then the overall tone.',
});
