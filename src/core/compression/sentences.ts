import { extractFacts, factsCovered } from '../fact-check';
import type { CompressionOptions } from './options';

const SENTENCE_END = /([.!?]+["')\]]*)\s+(?=["'(\[]?[A-Z0-9$])/g;
const ABBREVIATIONS = new Set(
  (
    'inc corp co ltd plc mr mrs ms dr prof sr jr st no vs etc approx est avg fig jan feb mar apr jun jul aug ' +
    'sep sept oct nov dec u.s u.k e.u e.g i.e a.m p.m'
  ).split(' '),
);

/**
 * Splits a paragraph into sentences at `.`, `!` or `?` followed by a capital, digit or `$`, except after
 * common abbreviations (`Inc.`, `U.S.`, `Jan.`) and initials. Decimal points never split.
 */
export function splitSentences(paragraph: string): string[] {
  const sentences: string[] = [];
  let start = 0;
  for (const match of paragraph.matchAll(SENTENCE_END)) {
    const punctuation = match[1] ?? '';
    const position = match.index ?? 0;
    if (punctuation === '.') {
      const wordStart = Math.max(start, paragraph.lastIndexOf(' ', position - 1) + 1);
      const word = paragraph
        .slice(wordStart, position)
        .replace(/^["'(\[]+/, '')
        .toLowerCase();
      if (ABBREVIATIONS.has(word) || /^[a-z]$/.test(word)) continue;
    }
    const end = position + punctuation.length;
    const sentence = paragraph.slice(start, end).trim();
    if (sentence !== '') sentences.push(sentence);
    start = position + match[0].length;
  }
  const rest = paragraph.slice(start).trim();
  if (rest !== '') sentences.push(rest);
  return sentences;
}

const BOILERPLATE =
  /^(?:[-*•>]\s*)?(?:(?:read more|continue reading|click here|subscribe(?: now| here| to)?|sign up|sign in|log in|advertisement|sponsored(?: content)?|share this(?: article| story)?|follow us|see also|all rights reserved|copyright|disclaimer|image source|getty images)\b|related:|photo:|©|this (?:article|content|report) (?:is|was) (?:for informational|not|provided)|(?:this is )?not (?:financial|investment) advice|the views (?:and opinions )?expressed|(?:loading|please wait)\.*$)/i;

/** True for lines or sentences that are publishing furniture rather than content (read more, disclaimers). */
export function isBoilerplate(text: string): boolean {
  return BOILERPLATE.test(text.trim());
}

/** Lines shorter than this are never treated as repeats (short labels legitimately recur). */
const MIN_REPEATED_LINE_LENGTH = 24;

/**
 * Drops boilerplate lines and exact repeats of earlier lines (ignoring case and spacing), but only where every
 * fact of the dropped line is still present in the text that remains. Table rows and list-free short lines
 * stay.
 */
export function removeBoilerplateAndRepeats(text: string, options: CompressionOptions = {}): string {
  const lines = text.split('\n');
  const seen = new Set<string>();
  const dropped: number[] = [];
  const keep: boolean[] = lines.map((line) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.includes('|')) return true;
    if (isBoilerplate(trimmed)) return false;
    if (trimmed.length < MIN_REPEATED_LINE_LENGTH) return true;
    const key = trimmed.toLowerCase().replace(/\s+/g, ' ');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  keep.forEach((kept, index) => {
    if (!kept) dropped.push(index);
  });
  if (dropped.length === 0) return text;
  const remaining = extractFacts(lines.filter((_line, index) => keep[index]).join('\n'), options.factOptions);
  for (const index of dropped) {
    const facts = extractFacts(lines[index] ?? '', options.factOptions);
    if (!factsCovered(facts, remaining)) {
      keep[index] = true;
      for (const fact of facts) remaining.add(fact);
    }
  }
  return lines.filter((_line, index) => keep[index]).join('\n');
}
