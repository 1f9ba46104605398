import { agentDefinition, type AgentName } from '../agents';
import { ROLE_SECTION_ID } from '../agents/prompt-layout';
import type { PromptDraft, PromptSection } from './types';

/**
 * The Prompt Enhancer: writes an agent's word limit into its prompt, once with its role and once as a final
 * reminder, because models follow a length instruction best when it is both the framing and the last thing
 * they read. The role is the system text, or, in a `shared-prefix` prompt, the role section after the shared
 * material (the system text there is the same for every agent and must stay so for the prefix cache). How
 * each role keeps within its limit is its definition's `brevityGuidance`.
 */

export const WORD_LIMIT_REMINDER_ID = 'word-limit-reminder';

/** Start of the system text's word-limit block; enhancing again replaces the block instead of adding one. */
const BLOCK_MARKER = 'Length limit:';

function limitBlock(agent: AgentName, wordLimit: number): string {
  return `${BLOCK_MARKER} Answer in at most ${wordLimit} words. Finish your last sentence. ${agentDefinition(agent).brevityGuidance}`;
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
  const block = limitBlock(draft.agent, wordLimit);
  const hasRoleSection = draft.sections.some((section) => section.id === ROLE_SECTION_ID);
  const sections = draft.sections
    .filter((section) => section.id !== WORD_LIMIT_REMINDER_ID)
    .map((section) =>
      section.id === ROLE_SECTION_ID ? { ...section, text: withLimitBlock(section.text, block) } : section,
    );
  if (options.reminder !== false) sections.push(reminderSection(wordLimit));
  return {
    ...draft,
    system: hasRoleSection ? draft.system : withLimitBlock(draft.system, block),
    sections,
    wordLimit,
  };
}

/** `text` with `block` after it, in place of the block an earlier enhancement left there. */
function withLimitBlock(text: string, block: string): string {
  const markerAt = text.startsWith(BLOCK_MARKER) ? 0 : text.indexOf(`\n\n${BLOCK_MARKER}`);
  const base = markerAt === -1 ? text : text.slice(0, markerAt);
  return base === '' ? block : `${base}\n\n${block}`;
}
