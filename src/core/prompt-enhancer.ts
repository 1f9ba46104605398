import type { AgentName } from './agents';
import type { PromptDraft, PromptSection } from './types';

/**
 * The Prompt Enhancer: writes an agent's word limit into its prompt, once in the system text and once as
 * a final reminder, because models follow a length instruction best when it is both the framing and the
 * last thing they read.
 */

export const WORD_LIMIT_REMINDER_ID = 'word-limit-reminder';

/** Start of the system text's word-limit block; enhancing again replaces the block instead of adding one. */
const BLOCK_MARKER = 'Length limit:';

/** How each role keeps within its limit without dropping what later agents need from it. */
const BREVITY_GUIDANCE: Record<AgentName, string> = {
  market_analyst: 'Lead with the trend and the key levels; cite figures instead of restating the table.',
  news_analyst: 'Cover only the news that can move the stock, one or two sentences each, with dates.',
  social_analyst: 'Summarise the sentiment and its drivers; quote a post only when it is decisive.',
  fundamentals_analyst:
    'Give the figures that matter (valuation, growth, margins, debt) and your conclusion.',
  bull_researcher: "Answer the other side's strongest point first; do not repeat earlier rounds.",
  bear_researcher: "Answer the other side's strongest point first; do not repeat earlier rounds.",
  research_manager: 'State the decision first, then the two or three reasons that decided it.',
  trader: 'Give the action, entry, stop and size in a few short lines.',
  aggressive_debater: 'Make the one or two points the others missed; do not restate the plan.',
  conservative_debater: 'Make the one or two points the others missed; do not restate the plan.',
  neutral_debater: 'Make the one or two points the others missed; do not restate the plan.',
  risk_manager: 'Keep the rationale to the decisive reasons; the labelled lines count towards the limit.',
};

function limitBlock(agent: AgentName, wordLimit: number): string {
  return `${BLOCK_MARKER} Answer in at most ${wordLimit} words. Finish your last sentence. ${BREVITY_GUIDANCE[agent]}`;
}

function reminderSection(wordLimit: number): PromptSection {
  return {
    id: WORD_LIMIT_REMINDER_ID,
    title: 'Length',
    kind: 'instructions',
    text: `Reminder: at most ${wordLimit} words, ending with a complete sentence.`,
    priority: 100,
    condensable: false,
  };
}

/**
 * Returns a copy of `draft` with the word limit in its system text and, unless `reminder` is false, a
 * final reminder section; sets `wordLimit`. Idempotent: an earlier block and reminder are replaced, so
 * enhancing twice (or again with a recalibrated limit) leaves exactly one of each.
 */
export function enhanceDraft(
  draft: PromptDraft,
  wordLimit: number,
  options: { reminder?: boolean } = {},
): PromptDraft {
  if (!Number.isInteger(wordLimit) || wordLimit < 1) {
    throw new Error(
      `The word limit of ${draft.agent} must be a whole number of at least 1, got ${wordLimit}.`,
    );
  }
  const markerAt = draft.system.startsWith(BLOCK_MARKER) ? 0 : draft.system.indexOf(`\n\n${BLOCK_MARKER}`);
  const base = markerAt === -1 ? draft.system : draft.system.slice(0, markerAt);
  const block = limitBlock(draft.agent, wordLimit);
  const sections = draft.sections.filter((section) => section.id !== WORD_LIMIT_REMINDER_ID);
  if (options.reminder !== false) sections.push(reminderSection(wordLimit));
  return {
    ...draft,
    system: base === '' ? block : `${base}\n\n${block}`,
    sections,
    wordLimit,
  };
}
