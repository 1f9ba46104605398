/**
 * Word counting and the Token Limiter's post-generation cut: an answer over its word limit is cut at the
 * last full sentence within the limit, never mid-word.
 *
 * A word is a run of non-space characters holding at least one letter or digit, so markdown markup (`-`,
 * `|`, `##`, `**`) and ordered-list markers at the start of a line (`1.`) do not count: the model is asked
 * for words, and markup is free.
 */

/** Outcome of enforcing a word limit on one answer. */
export interface WordLimitResult {
  /** The answer as kept (unchanged when it was within the limit). */
  text: string;
  /** Words of the raw answer. */
  rawWords: number;
  /** Words of `text`. */
  words: number;
  truncated: boolean;
  /**
   * Whether `text` ends on a sentence end. True after a fallback cut too: when no full sentence fits, the
   * cut closes the last kept word with a period.
   */
  endsOnSentence: boolean;
  /** Whether the raw answer already kept to the limit (the model's own compliance). */
  rawCompliant: boolean;
}

interface Token {
  start: number;
  end: number;
  text: string;
  /** Counts as a word (see the module comment). */
  counts: boolean;
  /** First token on its line. */
  lineStart: boolean;
}

/** Characters that may follow a sentence's final punctuation and still belong to it: quotes, brackets, markdown. */
const CLOSERS = new Set(['"', "'", '\u201D', '\u2019', ')', ']', '}', '*', '_', '`']);
/** Characters that may open a word: quotes, brackets, markdown. */
const OPENERS = /^["'\u201C\u2018([{*_`]+/;
const HAS_LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const ORDERED_LIST_MARKER = /^\d+[.)]$/;

/** Abbreviations that do not end a sentence whatever follows them (compared lower-case, without the period). */
const NEVER_TERMINAL = new Set([
  'mr',
  'mrs',
  'ms',
  'dr',
  'prof',
  'sr',
  'jr',
  'st',
  'vs',
  'approx',
  'est',
  'cf',
  'jan',
  'feb',
  'mar',
  'apr',
  'jun',
  'jul',
  'aug',
  'sep',
  'sept',
  'oct',
  'nov',
  'dec',
]);
/** Abbreviations that do not end a sentence when a number follows (`No. 3`, `p. 12`). */
const BEFORE_NUMBER = new Set(['no', 'nos', 'vol', 'p', 'pp', 'fig']);
/** Dotted abbreviations such as `U.S.`, `e.g.`, `p.m.` (checked without the final period). */
const DOTTED_ABBREVIATION = /^(?:\p{L}\.)+\p{L}$/u;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const match of text.matchAll(/\S+/g)) {
    const start = match.index;
    const lineBreak = text.lastIndexOf('\n', start - 1);
    const lineStart = text.slice(lineBreak + 1, start).trim() === '';
    const value = match[0];
    const counts = HAS_LETTER_OR_DIGIT.test(value) && !(lineStart && ORDERED_LIST_MARKER.test(value));
    tokens.push({ start, end: start + value.length, text: value, counts, lineStart });
  }
  return tokens;
}

/** Counts the words of `text` (see the module comment for what a word is). */
export function countWords(text: string): number {
  return tokenize(text).filter((token) => token.counts).length;
}

function stripClosers(value: string): string {
  let end = value.length;
  while (end > 0 && CLOSERS.has(value.charAt(end - 1))) end -= 1;
  return value.slice(0, end);
}

/** First character of a token after any opening quotes, brackets or markdown. */
function leadingCharacter(token: Token | undefined): string {
  return token ? token.text.replace(OPENERS, '').charAt(0) : '';
}

function isLowerCaseLetter(character: string): boolean {
  return character !== '' && character === character.toLowerCase() && character !== character.toUpperCase();
}

function isUpperCaseLetter(character: string): boolean {
  return character !== '' && character === character.toUpperCase() && character !== character.toLowerCase();
}

/**
 * Whether `token` ends a sentence, given the token after it (undefined at the end of the text, where any final
 * `.`, `!` or `?` counts). Decimals never qualify because a sentence end must be followed by a space; the
 * rest are heuristics for English abbreviations, erring towards "not a sentence end" because cutting one
 * sentence earlier is harmless while cutting inside a sentence is not.
 */
function endsSentence(token: Token, next: Token | undefined): boolean {
  const body = stripClosers(token.text);
  const punctuation = /[.!?]+$/.exec(body)?.[0];
  if (!punctuation) return false;
  if (token.lineStart && ORDERED_LIST_MARKER.test(body)) return false;
  if (!next) return true;
  const following = leadingCharacter(next);
  if (/[!?]/.test(punctuation)) return true;
  if (isLowerCaseLetter(following)) return false;
  if (punctuation.length > 1) return true;
  const word = body.slice(0, -1).replace(OPENERS, '');
  const lowerWord = word.toLowerCase();
  if (NEVER_TERMINAL.has(lowerWord)) return false;
  if (BEFORE_NUMBER.has(lowerWord) && /\d/.test(following)) return false;
  if (DOTTED_ABBREVIATION.test(word)) return false;
  // An initial before a capitalised word ("J. Powell") is more likely a name than a one-letter sentence.
  if (word.length === 1 && isUpperCaseLetter(word) && isUpperCaseLetter(following)) return false;
  return true;
}

/** Whether `text` ends on a full sentence (trailing whitespace, closing quotes and markdown allowed). */
export function endsWithFullSentence(text: string): boolean {
  const tokens = tokenize(text);
  const last = tokens[tokens.length - 1];
  return last !== undefined && endsSentence(last, undefined);
}

/**
 * Keeps `text` within `limit` words. Within the limit the text is returned unchanged. Over it, the text is
 * cut after the last full sentence that ends within the limit, keeping everything before it (whitespace and
 * markdown included). When no full sentence fits (one very long first sentence), the text is cut after the
 * last word within the limit, trailing separators (`,;:-`) are dropped and a period closes it, so the answer
 * still ends on a sentence; `endsOnSentence` is then true because the cut closed it. A word the period would
 * turn into a list marker (a number starting a line) is dropped as well; when no word is left the text is empty.
 */
export function enforceWordLimit(text: string, limit: number): WordLimitResult {
  if (!Number.isInteger(limit) || limit < 0) {
    throw new Error(`The word limit must be a whole number of at least 0, got ${limit}.`);
  }
  const tokens = tokenize(text);
  const rawWords = tokens.filter((token) => token.counts).length;
  if (rawWords <= limit) {
    return {
      text,
      rawWords,
      words: rawWords,
      truncated: false,
      endsOnSentence: endsWithFullSentence(text),
      rawCompliant: true,
    };
  }

  // Tokens that may be kept: up to the limit-th word, plus markup tokens before the next word.
  let seen = 0;
  let keepable = 0;
  for (const token of tokens) {
    if (token.counts) {
      if (seen === limit) break;
      seen += 1;
    }
    keepable += 1;
  }

  for (let index = keepable - 1; index >= 0; index -= 1) {
    const token = tokens[index];
    if (token && endsSentence(token, tokens[index + 1])) {
      return cutOnSentence(text.slice(0, token.end), rawWords);
    }
  }

  const keptWords = tokens.slice(0, keepable).filter((token) => token.counts);
  for (let index = keptWords.length - 1; index >= 0; index -= 1) {
    const word = keptWords[index];
    if (!word) continue;
    const kept = closeAfter(text, word);
    // Closing a number at the start of a line ("12" -> "12.") makes it an ordered-list marker, neither a word
    // nor a sentence end, so the cut moves back a word rather than end on an empty list item.
    if (endsWithFullSentence(kept)) return cutOnSentence(kept, rawWords);
  }
  return { text: '', rawWords, words: 0, truncated: true, endsOnSentence: false, rawCompliant: false };
}

/** A text the limiter cut so that it ends on a sentence. */
function cutOnSentence(kept: string, rawWords: number): WordLimitResult {
  return {
    text: kept,
    rawWords,
    words: countWords(kept),
    truncated: true,
    endsOnSentence: true,
    rawCompliant: false,
  };
}

/** `text` cut after `word`, trailing separators dropped and closed with a period unless it already ends on one. */
function closeAfter(text: string, word: Token): string {
  const kept = text.slice(0, word.end).replace(/[\s,;:\-\u2013\u2014/&([{]+$/u, '');
  return /[.!?]$/.test(stripClosers(kept)) ? kept : `${kept}.`;
}

/**
 * {@link enforceWordLimit} for an answer that was stopped (by `max_tokens`, or by the stream monitor as a
 * runaway): such an answer usually breaks off inside a sentence even when it is within its word limit, so it
 * also loses that unfinished last sentence (cut like an over-long answer, at the last full sentence). It is
 * never raw-compliant: the model did not end it within its limit, it was stopped, so its word count so far says
 * nothing about whether the model would have kept the limit.
 */
export function enforceWordLimitOnStoppedAnswer(text: string, limit: number): WordLimitResult {
  const result = enforceWordLimit(text, limit);
  const kept =
    result.truncated || result.endsOnSentence || result.rawWords === 0
      ? result
      : enforceWordLimit(text, result.rawWords - 1);
  return { ...kept, rawCompliant: false };
}

/**
 * Share of answers that kept to their word limit without being cut, from 0 to 1. NaN when there are no
 * answers: no evidence either way, and a default of 0 or 1 would read as a measurement.
 */
export function complianceRate(results: readonly { rawCompliant: boolean }[]): number {
  if (results.length === 0) return Number.NaN;
  return results.filter((result) => result.rawCompliant).length / results.length;
}
