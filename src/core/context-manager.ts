import { splitSentences } from './compression';
import { extractFacts, extractFactsByKind, lostFacts } from './fact-check';
import type { PromptSection, TokenCounter } from './types';
import { finalStance } from './stance';

/**
 * Context management for downstream agents: what an agent reads must fit its context budget. The latest
 * debate turns stay whole, older turns and reports become extractive digests that keep their conclusion and
 * key figures, and if that is not enough the lowest-priority condensable sections are dropped. Instructions
 * (priority 100) and non-condensable sections are never touched. Unlike compression, condensing and
 * dropping may lose facts; every action is reported. Everything here is deterministic.
 */

/** What the context manager did to one section. */
export interface SectionAction {
  id: string;
  action: 'kept' | 'condensed' | 'dropped';
  originalTokens: number;
  finalTokens: number;
}

export interface FitResult {
  /** The sections that remain, in their original order (condensed ones carry a digest). */
  sections: PromptSection[];
  /** One action per input section, in input order. */
  actions: SectionAction[];
  /** Estimated tokens of the remaining sections as rendered (see {@link estimateSectionsTokens}). */
  totalTokens: number;
  /** False when even dropping everything allowed does not reach the budget. */
  fits: boolean;
}

/** Sections at or above this priority are instructions and never condensed or dropped. */
export const INSTRUCTION_PRIORITY = 100;
/** A digest is never cut below this many words (a conclusion needs a sentence or two). */
export const MIN_DIGEST_WORDS = 30;
/** Appended to a condensed section's title so the reader knows it is a digest. */
export const DIGEST_TITLE_SUFFIX = ' (digest)';

/** How a section appears in the user message. */
export function renderSection(section: PromptSection): string {
  return `## ${section.title}\n${section.text}`;
}

/** Blank line between two rendered sections of a user message. */
export const SECTION_SEPARATOR = '\n\n';

/**
 * Tokens one section adds to a user message: the rendered section with the blank line that follows it there.
 * Counting exactly that text makes it the same cache entry as the piece the counter splits the whole message
 * into, so a section counted here is not encoded again when the message is counted.
 */
export function sectionTokens(section: PromptSection, counter: TokenCounter, last = false): number {
  return counter.count(last ? renderSection(section) : `${renderSection(section)}${SECTION_SEPARATOR}`);
}

/**
 * Tokens of sections joined by blank lines, estimated as the sum of each rendered section plus one token per
 * separator (the blank line). Callers that need the exact figure count the rendered message.
 */
export function estimateSectionsTokens(sectionTokenCounts: readonly number[]): number {
  let total = 0;
  for (const tokens of sectionTokenCounts) total += tokens;
  return total + Math.max(0, sectionTokenCounts.length - 1);
}

// ---------------------------------------------------------------------------------------------------------
// Extractive digests

/**
 * Sentences that state a conclusion: recommendation words, and decision words in capitals (`HOLD`, not
 * "hold on"). They are kept before anything else.
 */
const CONCLUSION_WORDS =
  /\b(?:recommend\w*|conclu\w*|overall|in summary|to summari[sz]e|verdict|final|decision|rating|upgrade\w*|downgrade\w*|target price|price target|proposal|we (?:favou?r|advise))\b/i;
const DECISION_WORDS = /\b(?:BUY|SELL|HOLD|OVERWEIGHT|UNDERWEIGHT|OUTPERFORM|UNDERPERFORM)\b/;
/** Sentences that state a stance; they rank above figure sentences of equal weight. */
const STANCE_WORDS = /\b(?:bullish|bearish|outlook|positive|negative)\b/i;
/** Ranking bonus of a stance sentence, in the units of {@link figureScore}. */
const STANCE_BONUS = 0.5;
const HEADING = /^\s*#{1,6}\s/;
const TABLE_ROW = /\|.*\|/;
const WHITESPACE_RUN = /\s+/;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/** One sentence (or table row) of a text being digested, with what makes it worth keeping. */
export interface DigestUnit {
  text: string;
  index: number;
  words: number;
  /** The unit ends its line, so the digest breaks the line after it. */
  endsLine: boolean;
  conclusion: boolean;
  stance: boolean;
  facts: number;
}

/** A text split into scored units once, so digests of several sizes cost one analysis. */
export interface PreparedDigest {
  readonly text: string;
  readonly words: number;
  readonly units: readonly DigestUnit[];
}

function countWords(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(WHITESPACE_RUN).length;
}

/** Splits a text into sentences (table rows and list items as whole units) and scores each. */
export function prepareDigest(text: string): PreparedDigest {
  const units: DigestUnit[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || HEADING.test(trimmed) || !LETTER_OR_DIGIT.test(trimmed)) continue;
    const pieces = TABLE_ROW.test(trimmed) ? [trimmed] : splitSentences(trimmed);
    pieces.forEach((piece, pieceIndex) => {
      const facts = extractFactsByKind(piece);
      units.push({
        text: piece,
        index: units.length,
        words: countWords(piece),
        endsLine: pieceIndex === pieces.length - 1,
        conclusion: CONCLUSION_WORDS.test(piece) || DECISION_WORDS.test(piece),
        stance: STANCE_WORDS.test(piece),
        facts: facts.numbers.size + facts.tickers.size + facts.dates.size,
      });
    });
  }
  return { text, words: countWords(text), units };
}

/**
 * How much a unit is worth keeping: its facts, discounted by the square root of its length (a long sentence
 * with many figures beats a short one with one, but not by its length alone), plus a bonus for a stance.
 */
function figureScore(unit: DigestUnit): number {
  return unit.facts / Math.sqrt(Math.max(1, unit.words)) + (unit.stance ? STANCE_BONUS : 0);
}

/**
 * Selects units for a digest of at most `targetWords` words: the conclusions first (the last one always,
 * even when it alone exceeds the target, since a digest without its conclusion is useless; without any
 * conclusion, the last stance sentence), then the sentences ranked by {@link figureScore}, then the lead
 * sentence, then the rest in order, all within the target.
 */
export function selectDigest(prepared: PreparedDigest, targetWords: number): string {
  if (prepared.words <= targetWords) return prepared.text.trim();
  const units = prepared.units;
  const selected = new Set<number>();
  let used = 0;
  const take = (unit: DigestUnit, force = false): void => {
    if (selected.has(unit.index)) return;
    if (!force && used + unit.words > targetWords) return;
    selected.add(unit.index);
    used += unit.words;
  };

  const conclusions = units.filter((unit) => unit.conclusion);
  const closing = conclusions[conclusions.length - 1] ?? units.filter((unit) => unit.stance).pop();
  if (closing !== undefined) take(closing, true);
  // The sentence that carries the text's final stance word, so the digest states the same stance.
  const stanceUnit = units.filter((unit) => finalStance(unit.text) !== undefined).pop();
  if (stanceUnit !== undefined) take(stanceUnit, true);
  for (let index = conclusions.length - 2; index >= 0; index -= 1) {
    const unit = conclusions[index];
    if (unit !== undefined) take(unit);
  }
  const ranked = units
    .filter((unit) => (unit.facts > 0 || unit.stance) && !selected.has(unit.index))
    .sort((left, right) => figureScore(right) - figureScore(left) || left.index - right.index);
  for (const unit of ranked) take(unit);
  const lead = units[0];
  if (lead !== undefined) take(lead);
  for (const unit of units) take(unit);

  let digest = '';
  for (const unit of units) {
    if (!selected.has(unit.index)) continue;
    digest += unit.text + (unit.endsLine ? '\n' : ' ');
  }
  return digest.trim();
}

/** Where a fact-bearing sentence splits into clauses for the figures line of a key-fact digest. */
const CLAUSE_BREAK = /[,;:]\s+|\s+(?:and|but|while|whereas|with|which)\s+/i;
/** A clause longer than this is cut down to the words around its figures. */
const LONG_CLAUSE_WORDS = 8;
/** Words kept before and after a figure when a long clause is cut down. */
const WORDS_BEFORE_FIGURE = 3;
const WORDS_AFTER_FIGURE = 1;
export const KEY_FIGURES_LABEL = 'Key figures:';

/** The words of `clause` around its facts in `wanted` (the whole clause when short); `…` marks a gap. */
function figurePhrase(clause: string, wanted: ReadonlySet<string>): string {
  const words = clause
    .trim()
    .replace(/[.!?]+$/, '')
    .split(WHITESPACE_RUN);
  if (words.length <= LONG_CLAUSE_WORDS) return words.join(' ');
  const keep = new Set<number>();
  words.forEach((word, index) => {
    if (![...extractFacts(word)].some((fact) => wanted.has(fact))) return;
    const first = Math.max(0, index - WORDS_BEFORE_FIGURE);
    const last = Math.min(words.length - 1, index + WORDS_AFTER_FIGURE);
    for (let position = first; position <= last; position += 1) keep.add(position);
  });
  // A fact spread over several words (`April 17, 2020`) is found in none of them: keep the clause whole.
  if (keep.size === 0) return words.join(' ');
  const pieces: string[] = [];
  let previous = -1;
  for (const position of [...keep].sort((left, right) => left - right)) {
    if (previous >= 0 && position !== previous + 1) pieces.push('…');
    pieces.push(words[position] as string);
    previous = position;
  }
  return pieces.join(' ');
}

/**
 * A digest that keeps every fact of `text`: the sentences {@link selectDigest} chooses for `targetWords`
 * (the conclusion and final stance first), preceded by a "Key figures:" line with each number, ticker and
 * date those sentences leave out, in the few words that say what it is (`support near 2734.43`). The
 * figures line comes first so the digest still ends on its author's conclusion. The figures can take it
 * past `targetWords`; a text with many figures keeps them rather than keeping to the target. Text already
 * within the target is returned trimmed.
 */
export function selectKeyFactDigest(prepared: PreparedDigest, targetWords: number): string {
  const sentences = selectDigest(prepared, targetWords);
  if (sentences === prepared.text.trim()) return sentences;
  const missing = new Set(lostFacts(prepared.text, sentences));
  if (missing.size === 0) return sentences;
  const phrases: string[] = [];
  for (const unit of prepared.units) {
    if (![...extractFacts(unit.text)].some((fact) => missing.has(fact))) continue;
    for (const clause of unit.text.split(CLAUSE_BREAK)) {
      const wanted = new Set([...extractFacts(clause)].filter((fact) => missing.has(fact)));
      if (wanted.size === 0) continue;
      phrases.push(figurePhrase(clause, wanted));
      for (const fact of wanted) missing.delete(fact);
    }
  }
  let figures = `${KEY_FIGURES_LABEL} ${phrases.join('; ')}.`;
  // A fact that clause splitting broke apart (`1,250`), or that stood in a heading, keeps its whole line.
  const broken = new Set(lostFacts(prepared.text, `${figures}\n${sentences}`));
  for (const line of prepared.text.split('\n')) {
    if ([...extractFacts(line)].some((fact) => broken.has(fact))) {
      figures += ` ${line.replace(HEADING, '').trim()}`;
    }
  }
  return `${figures}\n${sentences}`;
}

/**
 * An extractive digest of `text` in at most `targetWords` words (more only when the final conclusion alone
 * is longer): the conclusion sentences (recommendation, overall view, BUY/SELL/HOLD), the stance sentences
 * (bullish/bearish, outlook) and the sentences carrying figures, in their original order. Text already within the target is returned trimmed.
 */
export function condenseText(text: string, targetWords: number): string {
  return selectDigest(prepareDigest(text), targetWords);
}

// ---------------------------------------------------------------------------------------------------------
// Budget fitting

interface SectionState {
  original: PromptSection;
  inputIndex: number;
  current: PromptSection;
  tokens: number;
  originalTokens: number;
  action: SectionAction['action'];
  prepared?: PreparedDigest;
}

function isUntouchable(section: PromptSection): boolean {
  return section.priority >= INSTRUCTION_PRIORITY || section.kind === 'instructions' || !section.condensable;
}

/** A debate turn's speaker: its author, else the middle part of an id like `debate:bull_researcher:1`. */
function speakerOf(section: PromptSection): string {
  return section.author ?? section.id.split(':')[1] ?? section.id;
}

/**
 * The latest turn of each speaker (highest round, later position on ties): what the next speaker answers.
 * Returns input indexes, plus the very last turn of all.
 */
function latestTurns(sections: readonly PromptSection[]): { latest: Set<number>; last: number | undefined } {
  const bySpeaker = new Map<string, { index: number; round: number }>();
  let last: number | undefined;
  sections.forEach((section, index) => {
    if (section.kind !== 'debate-turn') return;
    last = index;
    const round = section.round ?? 0;
    const speaker = speakerOf(section);
    const previous = bySpeaker.get(speaker);
    if (previous === undefined || round >= previous.round) bySpeaker.set(speaker, { index, round });
  });
  return { latest: new Set([...bySpeaker.values()].map((entry) => entry.index)), last };
}

/** Ratio steps applied to the word share of condensable sections until the prompt fits. */
const SHRINK_FACTOR = 0.7;
const MAX_CONDENSE_ROUNDS = 8;

/**
 * Fits sections into `budgetTokens` (their rendered size joined by blank lines, as
 * {@link estimateSectionsTokens} estimates it):
 * 1. within budget: nothing changes;
 * 2. condensable sections other than the latest turn of each debater are condensed to digests, all by the
 *    same share of their words, the share shrinking until the total fits or digests reach
 *    {@link MIN_DIGEST_WORDS};
 * 3. those sections are dropped, lowest priority first (then oldest round, then largest);
 * 4. only then are the latest turns condensed and dropped the same way, the very last turn last of all.
 * Instructions and non-condensable sections are never touched, so `fits` can be false when they alone
 * exceed the budget.
 */
export function fitSectionsToBudget(
  sections: readonly PromptSection[],
  budgetTokens: number,
  counter: TokenCounter,
): FitResult {
  const states: SectionState[] = sections.map((section, inputIndex) => {
    const tokens = sectionTokens(section, counter);
    return {
      original: section,
      inputIndex,
      current: section,
      tokens,
      originalTokens: tokens,
      action: 'kept',
    };
  });
  const total = (): number =>
    estimateSectionsTokens(states.filter((state) => state.action !== 'dropped').map((state) => state.tokens));

  if (total() > budgetTokens) {
    const { latest, last } = latestTurns(sections);
    const adjustable = states.filter((state) => !isUntouchable(state.original));
    const older = adjustable.filter((state) => !latest.has(state.inputIndex));
    const latestButLast = adjustable.filter(
      (state) => latest.has(state.inputIndex) && state.inputIndex !== last,
    );
    const veryLast = adjustable.filter((state) => state.inputIndex === last);
    for (const group of [older, latestButLast, veryLast]) {
      if (total() <= budgetTokens) break;
      condenseGroup(group, budgetTokens, counter, total);
      if (total() <= budgetTokens) break;
      dropGroup(group, budgetTokens, total);
    }
  }

  const remaining = states.filter((state) => state.action !== 'dropped');
  const finalTotal = total();
  return {
    sections: remaining.map((state) => state.current),
    actions: states.map((state) => ({
      id: state.original.id,
      action: state.action,
      originalTokens: state.originalTokens,
      finalTokens: state.action === 'dropped' ? 0 : state.tokens,
    })),
    totalTokens: finalTotal,
    fits: finalTotal <= budgetTokens,
  };
}

function condenseGroup(
  group: readonly SectionState[],
  budgetTokens: number,
  counter: TokenCounter,
  total: () => number,
): void {
  const live = group.filter((state) => state.action !== 'dropped');
  if (live.length === 0) return;
  const groupTokens = live.reduce((sum, state) => sum + state.tokens, 0);
  const otherTokens = total() - groupTokens;
  let share = Math.min(1, Math.max(0, (budgetTokens - otherTokens) / Math.max(1, groupTokens)));
  for (let round = 0; round < MAX_CONDENSE_ROUNDS && total() > budgetTokens; round += 1) {
    // 5% below the proportional share, since digests do not shrink tokens exactly with words.
    const targetOf = (words: number): number => Math.max(MIN_DIGEST_WORDS, Math.floor(words * share * 0.95));
    for (const state of live) {
      state.prepared ??= prepareDigest(state.original.text);
      const target = targetOf(state.prepared.words);
      if (target >= state.prepared.words) continue;
      const section: PromptSection = {
        ...state.original,
        title: state.original.title.endsWith(DIGEST_TITLE_SUFFIX)
          ? state.original.title
          : state.original.title + DIGEST_TITLE_SUFFIX,
        text: selectDigest(state.prepared, target),
      };
      const tokens = sectionTokens(section, counter);
      if (tokens < state.tokens) {
        state.current = section;
        state.tokens = tokens;
        state.action = 'condensed';
      }
    }
    if (live.every((state) => targetOf(state.prepared?.words ?? 0) <= MIN_DIGEST_WORDS)) return;
    share *= SHRINK_FACTOR;
  }
}

function dropGroup(group: readonly SectionState[], budgetTokens: number, total: () => number): void {
  const order = [...group].sort(
    (left, right) =>
      left.original.priority - right.original.priority ||
      (left.original.round ?? 0) - (right.original.round ?? 0) ||
      right.tokens - left.tokens ||
      left.inputIndex - right.inputIndex,
  );
  for (const state of order) {
    if (total() <= budgetTokens) return;
    if (state.action === 'dropped') continue;
    state.action = 'dropped';
  }
}
