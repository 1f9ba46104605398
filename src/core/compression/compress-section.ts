import type { PromptSection, PromptSectionKind } from '../types';
import { compressJson } from './json';
import { compressItems, LONG_BODY_WORDS } from './news-items';
import type { CompressionOptions } from './options';
import { removeBoilerplateAndRepeats } from './sentences';
import { compressTables } from './tables';
import {
  flattenAnswerMarkup,
  normalizeCharacters,
  normalizeWhitespace,
  stripLinks,
  stripMarkdownDecoration,
  TRAILING_SPACES,
} from './text';

export interface CompressionResult {
  text: string;
  changed: boolean;
}

function compressProse(text: string, options: CompressionOptions, removeLines = true): string {
  const cleaned = stripMarkdownDecoration(normalizeCharacters(text).replace(TRAILING_SPACES, ''));
  // Lines are de-duplicated while tables still have their pipes, so no table row is taken for a repeat.
  const deduplicated = removeLines ? removeBoilerplateAndRepeats(cleaned, options) : cleaned;
  return normalizeWhitespace(compressTables(deduplicated, { allFormats: false }));
}

/** Compresses one kind of text; exposed so callers can compress text that is not a whole section. */
export function compressText(
  text: string,
  kind: PromptSectionKind,
  options: CompressionOptions = {},
): string {
  switch (kind) {
    case 'instructions':
      return normalizeWhitespace(text);
    case 'table':
      return normalizeWhitespace(
        compressTables(normalizeCharacters(text).replace(TRAILING_SPACES, ''), { allFormats: true }),
      );
    case 'json':
      return compressJson(normalizeCharacters(text), options) ?? compressProse(text, options);
    case 'news':
    case 'social': {
      // Item de-duplication below handles repeats item by item; line-level removal would split items.
      const cleaned = compressProse(stripLinks(normalizeCharacters(text)), options, false);
      return normalizeWhitespace(
        compressItems(cleaned, { ...options, longBodyWords: LONG_BODY_WORDS[kind] ?? 60 }),
      );
    }
    case 'report':
    case 'debate-turn':
    case 'plan':
      return compressProse(flattenAnswerMarkup(normalizeCharacters(text)), options);
    case 'text':
      return compressProse(text, options);
  }
}

/**
 * Compresses a section the way its kind allows (see `index.ts`). The result keeps every fact of the
 * source by construction; `prompt-optimizer.ts` still verifies it and falls back when it does not.
 */
export function compressSection(section: PromptSection, options: CompressionOptions = {}): CompressionResult {
  const text = compressText(section.text, section.kind, options);
  return { text, changed: text !== section.text };
}
