import type { AgentDefinition } from './agent-definition';
import { analyst } from './analyst';
import { itemSections } from './sections';

/** Reads social media posts and reports the crowd's sentiment. */
export const socialAnalyst: AgentDefinition<'social_analyst', 'analysts'> = analyst('social_analyst', {
  defaults: { wordLimit: 200, allocation: 2000 },
  // The lowest of the reports: social sentiment is the noisiest input.
  reportPriority: 50,
  roleSummary: "You read social media posts and report the crowd's sentiment and what drives it.",
  brevityGuidance: 'Summarise the sentiment and its drivers; quote a post only when it is decisive.',
  data: {
    social: (posts, context) =>
      itemSections(
        'social',
        'Social post',
        posts.map((post) => `${post.date} | ${post.platform} | ${post.author}: ${post.text}`),
        {
          title: 'Social posts',
          text: `No social media posts were found for ${context.ticker} up to ${context.date}.`,
        },
      ),
  },
  report: 'sentiment',
  covers: 'the overall mood (bullish, bearish or mixed), what drives it, and how far it can be trusted.',
});
