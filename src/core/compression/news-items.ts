import { extractFacts, factsCovered } from '../fact-check';
import type { PromptSectionKind } from '../types';
import type { CompressionOptions } from './options';
import { isBoilerplate, splitSentences } from './sentences';

const ITEM_START = /^(?:[-*•+]\s|\d{1,3}[.)]\s|#{1,6}\s|\[\d{4}-\d{2}-\d{2}|\d{4}-\d{2}-\d{2}\b)/;
const ITEM_MARKER = /^(?:[-*•+]\s+|\d{1,3}[.)]\s+|#{1,6}\s+)/;
const ISO_DATE_TEXT = /\d{4}-\d{2}-\d{2}/g;
const AUTHOR_PREFIX = /^[^\s:]{1,40}:\s/;
const NON_WORD = /[^a-z0-9]+/;
const HEADLINE_STOPWORDS = new Set(
  (
    'a an and are as at be by for from has have in into is it its of on or over says said that the this to ' +
    'was were will with after amid as new news report reports update updated via'
  ).split(' '),
);

/** Long-body thresholds per item kind: news bodies are trimmed sooner than social posts. */
export const LONG_BODY_WORDS: Partial<Record<PromptSectionKind, number>> = { news: 60, social: 80 };

/** Headlines with fewer content words than this are only de-duplicated when identical. */
const MIN_WORDS_FOR_NEAR_DUPLICATES = 4;

function splitItems(text: string): string[][] {
  const items: string[][] = [];
  let current: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (current.length > 0) items.push(current);
      current = [];
      continue;
    }
    if (current.length > 0 && ITEM_START.test(line)) {
      items.push(current);
      current = [];
    }
    current.push(line);
  }
  if (current.length > 0) items.push(current);
  return items;
}

/**
 * Content words of a headline, for matching repeats. In a `date | source | headline` line only the longest
 * part counts, so the same story from two sources matches.
 */
function headlineWords(headline: string): string[] {
  let text = headline.replace(ITEM_MARKER, '');
  if (text.includes(' | ')) {
    text = text.split(' | ').reduce((longest, part) => (part.length > longest.length ? part : longest), '');
  }
  // A post's author (`@trader1: ...`, `u/value: ...`) is not part of what it says.
  text = text.replace(AUTHOR_PREFIX, '');
  const words = new Set<string>();
  for (const word of text.replace(ISO_DATE_TEXT, ' ').toLowerCase().split(NON_WORD)) {
    if (word.length < 2 || HEADLINE_STOPWORDS.has(word)) continue;
    words.add(word.length > 3 && word.endsWith('s') ? word.slice(0, -1) : word);
  }
  return [...words];
}

/** Two independent 32-bit hashes of a word, so word sets can be hashed by summing (order does not matter). */
function wordHashes(word: string): [number, number] {
  let first = 0x811c9dc5;
  let second = 0x9e3779b9;
  for (let index = 0; index < word.length; index += 1) {
    const code = word.charCodeAt(index);
    first = Math.imul(first ^ code, 0x01000193);
    second = Math.imul(second ^ code, 0x5bd1e995) ^ (second >>> 15);
  }
  return [first >>> 0, second >>> 0];
}

/** A 53-bit key from two 32-bit sums (all 32 bits of the first, 21 of the second). */
function setKey(first: number, second: number): number {
  return (first >>> 0) * 2097152 + ((second >>> 0) & 0x1fffff);
}

/**
 * Finds earlier items with the same or nearly the same headline in linear time: two headlines match when
 * their content-word sets are equal or differ by one added, removed or replaced word. Each headline is
 * indexed under the hash of its word set and under the hash of every set with one word left out; set hashes
 * are sums of word hashes, so leaving a word out is one subtraction.
 */
class HeadlineIndex {
  private readonly full = new Map<number, number>();
  private readonly partial = new Map<number, number>();

  private static keys(words: readonly string[]): { full: number; partials: number[] } {
    const hashes = words.map(wordHashes);
    let first = 0;
    let second = 0;
    for (const [wordFirst, wordSecond] of hashes) {
      first = (first + wordFirst) >>> 0;
      second = (second + wordSecond) >>> 0;
    }
    const partials =
      words.length < MIN_WORDS_FOR_NEAR_DUPLICATES
        ? []
        : hashes.map(([wordFirst, wordSecond]) => setKey(first - wordFirst, second - wordSecond));
    return { full: setKey(first, second), partials };
  }

  /** The earlier item with this headline (`exact`: the same word set) or one word different. */
  find(words: readonly string[]): { item: number; exact: boolean } | undefined {
    const { full, partials } = HeadlineIndex.keys(words);
    const exact = this.full.get(full);
    if (exact !== undefined) return { item: exact, exact: true };
    if (partials.length === 0) return undefined;
    // An earlier headline with one word more, one word less, or one word replaced.
    let near = this.partial.get(full);
    for (let index = 0; near === undefined && index < partials.length; index += 1) {
      const key = partials[index] ?? 0;
      near = this.full.get(key) ?? this.partial.get(key);
    }
    return near === undefined ? undefined : { item: near, exact: false };
  }

  add(words: readonly string[], item: number): void {
    const { full, partials } = HeadlineIndex.keys(words);
    if (!this.full.has(full)) this.full.set(full, item);
    for (const key of partials) if (!this.partial.has(key)) this.partial.set(key, item);
  }
}

export interface ItemCompressionOptions extends CompressionOptions {
  /** Bodies longer than this many words keep only their lead sentence and the sentences carrying facts. */
  longBodyWords: number;
}

function wordCount(text: string): number {
  let count = 0;
  let inWord = false;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    const isSpace = code === 32 || code === 10 || code === 9 || code === 13;
    if (!isSpace && !inWord) count += 1;
    inWord = !isSpace;
  }
  return count;
}

/** A sentence this short is a byline or dateline rather than the lead of a story. */
const MIN_LEAD_WORDS = 8;

/**
 * Trims item body lines: from a long body (more than `longBodyWords` words) only the lead sentence and the
 * sentences carrying a fact stay; fact-free boilerplate sentences go from any body. Line structure is kept,
 * so a `source | date` line stays a line of its own.
 */
function trimBody(bodyLines: readonly string[], options: ItemCompressionOptions): string[] {
  const long = wordCount(bodyLines.join(' ')) > options.longBodyWords;
  let leadTaken = false;
  const output: string[] = [];
  for (const line of bodyLines) {
    const kept = splitSentences(line).filter((sentence) => {
      if (extractFacts(sentence, options.factOptions).size > 0) {
        if (wordCount(sentence) >= MIN_LEAD_WORDS) leadTaken = true;
        return true;
      }
      if (isBoilerplate(sentence)) return false;
      if (!long) return true;
      if (!leadTaken && wordCount(sentence) >= MIN_LEAD_WORDS) {
        leadTaken = true;
        return true;
      }
      return false;
    });
    if (kept.length > 0) output.push(kept.join(' '));
  }
  return output;
}

/** A sentence as compared for verbatim repeats: lower case, single spaces. */
function sentenceKey(sentence: string): string {
  return sentence.toLowerCase().replace(/\s+/g, ' ').trim();
}

/**
 * Compresses news items or social posts given one item per entry (the first line is the headline):
 * - an item whose headline has the same content words as an earlier one (a syndicated copy) keeps only the
 *   sentences with facts not yet present, and is dropped (`undefined`) when there are none;
 * - an item whose headline differs from an earlier one by one word (a rewording, or an opposite story:
 *   "rises" / "falls") keeps its headline and drops only body sentences already present word for word;
 * - other items get their long bodies trimmed to the lead and the fact-bearing sentences.
 * Every fact of the input remains in the output.
 */
export function compressItemList(
  items: readonly string[],
  options: ItemCompressionOptions,
): (string | undefined)[] {
  const index = new HeadlineIndex();
  const keptFacts = new Set<string>();
  const keptSentences = new Set<string>();
  return items.map((item, itemIndex) => {
    const lines = item.split('\n');
    let headline = (lines[0] ?? '').trim();
    let bodyLines = lines
      .slice(1)
      .map((line) => line.trim())
      .filter((line) => line !== '');
    if (bodyLines.length === 0 && wordCount(headline) > options.longBodyWords) {
      // A one-line item: its first sentence is the headline, the rest is the body.
      const [first = '', ...rest] = splitSentences(headline);
      headline = first;
      bodyLines = [rest.join(' ')];
    }
    const words = headlineWords(headline);
    const earlier = words.length > 0 ? index.find(words) : undefined;
    let itemLines: string[];
    if (earlier === undefined) {
      if (words.length > 0) index.add(words, itemIndex);
      itemLines = [headline, ...trimBody(bodyLines, options)];
    } else {
      const keep = earlier.exact
        ? (sentence: string): boolean => !factsCovered(extractFacts(sentence, options.factOptions), keptFacts)
        : (sentence: string): boolean => !keptSentences.has(sentenceKey(sentence));
      const newLines = bodyLines
        .map((line) => splitSentences(line).filter(keep).join(' '))
        .filter((line) => line !== '');
      const headlineCovered = factsCovered(extractFacts(headline, options.factOptions), keptFacts);
      if (earlier.exact && newLines.length === 0 && headlineCovered) return undefined;
      itemLines = [headline, ...newLines];
    }
    const itemText = itemLines.join('\n');
    for (const fact of extractFacts(itemText, options.factOptions)) keptFacts.add(fact);
    for (const line of itemLines)
      for (const sentence of splitSentences(line)) keptSentences.add(sentenceKey(sentence));
    return itemText;
  });
}

/**
 * Compresses a text holding a list of news items or social posts (see {@link compressItemList}). Items are
 * separated by blank lines or start with a list marker, heading or date.
 */
export function compressItems(text: string, options: ItemCompressionOptions): string {
  const items = splitItems(text).map((lines) => lines.join('\n'));
  return compressItemList(items, options)
    .filter((item): item is string => item !== undefined)
    .join('\n\n');
}

/**
 * De-duplicates items across several texts (e.g. one prompt section per news item): the texts are read as
 * one list in order, and each text keeps its own surviving items; a text whose items were all repeats
 * becomes empty. Every fact of the inputs remains somewhere in the outputs.
 */
export function dedupeItemTexts(
  texts: readonly string[],
  kind: 'news' | 'social',
  options: CompressionOptions = {},
): string[] {
  const owners: number[] = [];
  const items: string[] = [];
  texts.forEach((text, textIndex) => {
    for (const lines of splitItems(text)) {
      owners.push(textIndex);
      items.push(lines.join('\n'));
    }
  });
  const compressed = compressItemList(items, { ...options, longBodyWords: LONG_BODY_WORDS[kind] ?? 60 });
  const output: string[][] = texts.map(() => []);
  compressed.forEach((item, itemIndex) => {
    const owner = owners[itemIndex];
    if (item !== undefined && owner !== undefined) output[owner]?.push(item);
  });
  return output.map((kept) => kept.join('\n\n'));
}
