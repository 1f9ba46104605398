import {
  compressSection,
  dedupeItemTexts,
  normalizeWhitespace,
  type CompressionOptions,
} from './compression';
import {
  DIGEST_TITLE_SUFFIX,
  fitSectionsToBudget,
  prepareDigest,
  renderSection,
  SECTION_SEPARATOR,
  sectionTokens,
  selectKeyFactDigest,
} from './context-manager';
import { lostFacts, type FactExtractionOptions } from './fact-check';
import type { ChatMessage, PipelineMode, PromptDraft, PromptSection, TokenCounter } from './types';
import { finalStance } from './stance';

/** Sections that are an agent's answer, whose final stance is its conclusion. */
const CONCLUDING_KINDS: ReadonlySet<PromptSection['kind']> = new Set(['report', 'debate-turn', 'plan']);

export { renderSection } from './context-manager';

/** What happened to one section on its way into the prompt. */
export interface SectionReport {
  id: string;
  originalTokens: number;
  finalTokens: number;
  /**
   * `kept` unchanged; `compressed` losslessly; `fallback` sent uncompressed because compression would have
   * lost a fact; `condensed` replaced by a digest or `dropped` by the context manager to fit the budget.
   */
  action: 'kept' | 'compressed' | 'condensed' | 'dropped' | 'fallback';
}

/** A prompt ready to send, with what the optimizer did to it. */
export interface OptimizedPrompt {
  messages: ChatMessage[];
  /** Prompt tokens of `messages`, chat overhead included, in the counter's tokenizer. */
  promptTokens: number;
  /** Prompt tokens of the draft rendered as is (what baseline mode sends). */
  originalPromptTokens: number;
  sections: SectionReport[];
  /** Facts lost by compression after fallback: always empty (condensing and dropping are reported in `sections`). */
  lostFacts: string[];
  /** True when the context manager condensed or dropped a section. */
  trimmed: boolean;
  /** False when a context budget was given and even the trimmed prompt exceeds it. */
  fitsContextBudget: boolean;
}

export interface OptimizeOptions {
  counter: TokenCounter;
  mode: PipelineMode;
  /** Upper bound for the whole prompt (system and user messages, chat overhead included). */
  contextBudgetTokens?: number;
  /** Passed to the fact check, e.g. `{ knownTickers: [ticker] }`. */
  factOptions?: FactExtractionOptions;
}

/** Section kinds holding items (news, posts) that are de-duplicated across sections. */
const ITEM_KINDS = ['news', 'social'] as const;

/** Blank line between sections in the user message. */

/** Renders a draft: the system message, then one user message with the sections as `## title` blocks. */
export function renderDraft(draft: PromptDraft): ChatMessage[] {
  return [
    { role: 'system', content: draft.system },
    { role: 'user', content: draft.sections.map(renderSection).join(SECTION_SEPARATOR) },
  ];
}

/** Attempts at re-fitting when the exact count of the rendered prompt still exceeds the budget. */
const MAX_FIT_ATTEMPTS = 4;

/**
 * Turns a draft into the messages sent to the model.
 *
 * `baseline`: rendered as is and counted (the origin project's behaviour).
 * `optimized`: each section is compressed (`compression/`); the fact check compares it with the original
 * and sends the original instead where a number, ticker or date would be lost (`fallback`); the system text
 * gets whitespace clean-up. Sections with a digest target (`digestWords`: what the reader's role needs of a
 * report or an older debate turn) are replaced by their key-fact digest. Then, if `contextBudgetTokens` is
 * given and the prompt exceeds it, the context manager condenses or drops sections (`context-manager.ts`)
 * and the result is counted exactly, re-fitting with a smaller section budget if the estimate was short.
 */
export function optimizeDraft(draft: PromptDraft, options: OptimizeOptions): OptimizedPrompt {
  const { counter } = options;
  const originalMessages = renderDraft(draft);
  const originalPromptTokens = counter.countMessages(originalMessages);
  const originalTokens = draft.sections.map((section, index) =>
    sectionTokens(section, counter, index === draft.sections.length - 1),
  );

  if (options.mode === 'baseline') {
    return {
      messages: originalMessages,
      promptTokens: originalPromptTokens,
      originalPromptTokens,
      sections: draft.sections.map((section, index) => ({
        id: section.id,
        originalTokens: originalTokens[index] ?? 0,
        finalTokens: originalTokens[index] ?? 0,
        action: 'kept',
      })),
      lostFacts: [],
      trimmed: false,
      fitsContextBudget:
        options.contextBudgetTokens === undefined || originalPromptTokens <= options.contextBudgetTokens,
    };
  }

  const compressionOptions: CompressionOptions = { counter };
  if (options.factOptions) compressionOptions.factOptions = options.factOptions;
  const sources = draft.sections.map((section) => section.text);
  const texts = [...sources];
  const actions: SectionReport['action'][] = draft.sections.map((section, index) => {
    const result = compressSection(section, compressionOptions);
    if (!result.changed) return 'kept';
    if (lostFacts(section.text, result.text, options.factOptions).length > 0) return 'fallback';
    // An agent's answer must also keep its conclusion: dropping a repeated sentence can leave it ending on
    // another stance than the one its author ended on.
    if (CONCLUDING_KINDS.has(section.kind) && finalStance(result.text) !== finalStance(section.text))
      return 'fallback';
    texts[index] = result.text;
    return 'compressed';
  });

  // News items and social posts arrive one per section, so repeats are only visible across sections.
  // Such a group is checked as a whole: a fact dropped from one section must be present in another.
  const grouped = new Set<number>();
  const allLost: string[] = [];
  for (const kind of ITEM_KINDS) {
    const members = draft.sections.flatMap((section, index) =>
      section.kind === kind && actions[index] !== 'fallback' && section.text.trim() !== '' ? [index] : [],
    );
    if (members.length < 2) continue;
    const deduplicated = dedupeItemTexts(
      members.map((index) => texts[index] ?? ''),
      kind,
      compressionOptions,
    );
    const groupSource = members.map((index) => sources[index]).join(SECTION_SEPARATOR);
    if (lostFacts(groupSource, deduplicated.join(SECTION_SEPARATOR), options.factOptions).length > 0)
      continue;
    members.forEach((index, memberIndex) => {
      grouped.add(index);
      const text = deduplicated[memberIndex] ?? '';
      if (text === texts[index]) return;
      texts[index] = text;
      actions[index] = 'compressed';
    });
    allLost.push(...lostFacts(groupSource, deduplicated.join(SECTION_SEPARATOR), options.factOptions));
  }
  // The proof obligation: after fallback, no section (or item group) may have lost a fact through compression.
  draft.sections.forEach((section, index) => {
    if (!grouped.has(index))
      allLost.push(...lostFacts(section.text, texts[index] ?? '', options.factOptions));
  });

  // What the reader's role needs: a section with a digest target (a report or an older debate turn for a
  // downstream agent) goes as its key-fact digest, which keeps its conclusion and every figure.
  const digested = new Set<number>();
  draft.sections.forEach((section, index) => {
    const text = texts[index] ?? '';
    if (section.digestWords === undefined || !section.condensable || text === '') return;
    const prepared = prepareDigest(text);
    if (prepared.words <= section.digestWords) return;
    const digest = selectKeyFactDigest(prepared, section.digestWords);
    if (counter.count(digest) >= counter.count(text)) return;
    texts[index] = digest;
    actions[index] = 'condensed';
    digested.add(index);
  });

  // Sections emptied by de-duplication leave the prompt; sections that came empty stay as they were.
  const present = draft.sections.flatMap((section, index) =>
    texts[index] !== '' || section.text === '' ? [index] : [],
  );
  const compressed: PromptSection[] = present.map((index) => {
    const section = draft.sections[index] as PromptSection;
    if (texts[index] === section.text) return section;
    const title = digested.has(index) ? section.title + DIGEST_TITLE_SUFFIX : section.title;
    return { ...section, title, text: texts[index] ?? '' };
  });

  const system = normalizeWhitespace(draft.system);
  let messages = renderDraft({ ...draft, system, sections: compressed });
  let promptTokens = counter.countMessages(messages);
  let trimmed = digested.size > 0;
  const finalTokens: number[] = draft.sections.map(() => 0);
  compressed.forEach((section, position) => {
    finalTokens[present[position] ?? 0] = sectionTokens(section, counter, position === compressed.length - 1);
  });
  const finalActions = [...actions];
  const budget = options.contextBudgetTokens;

  if (budget !== undefined && promptTokens > budget) {
    const overhead = counter.countMessages(renderDraft({ ...draft, system, sections: [] }));
    let sectionBudget = budget - overhead;
    for (let attempt = 0; attempt < MAX_FIT_ATTEMPTS; attempt += 1) {
      const fit = fitSectionsToBudget(compressed, sectionBudget, counter);
      messages = renderDraft({ ...draft, system, sections: fit.sections });
      promptTokens = counter.countMessages(messages);
      fit.actions.forEach((action, position) => {
        const index = present[position] ?? 0;
        finalActions[index] = action.action === 'kept' ? (actions[index] ?? 'kept') : action.action;
        finalTokens[index] = action.finalTokens;
      });
      trimmed = digested.size > 0 || fit.actions.some((action) => action.action !== 'kept');
      if (promptTokens <= budget || !fit.fits) break;
      sectionBudget -= promptTokens - budget;
    }
  }

  return {
    messages,
    promptTokens,
    originalPromptTokens,
    sections: draft.sections.map((section, index) => ({
      id: section.id,
      originalTokens: originalTokens[index] ?? 0,
      finalTokens: finalTokens[index] ?? 0,
      action: finalActions[index] ?? 'kept',
    })),
    lostFacts: [...new Set(allLost)],
    trimmed,
    fitsContextBudget: budget === undefined || promptTokens <= budget,
  };
}
