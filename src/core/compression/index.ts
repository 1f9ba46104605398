/**
 * Lossless-in-facts compression of prompt sections: every number, ticker and date of the source survives
 * (see `fact-check.ts`); what goes is layout (table pipes and padding, JSON indentation, spaces), formatting
 * noise (trailing zeros, thousands separators, bold markers, the headings and markup-only lines of quoted
 * answers), repetition (duplicate lines, duplicate news
 * items, columns equal to another column) and sentences that carry no fact in long news bodies. Steps that
 * drop content check each dropped piece against the facts that remain, so a fact is never dropped silently;
 * the optimizer checks the whole section again and falls back to the original if anything was lost.
 */

export { compressSection, compressText, type CompressionResult } from './compress-section';
export { compressJson, encodeLogfmt, minifyJson } from './json';
export { compressItemList, compressItems, dedupeItemTexts, type ItemCompressionOptions } from './news-items';
export { formatNumberCell } from './numbers';
export type { CompressionOptions } from './options';
export { isBoilerplate, removeBoilerplateAndRepeats, splitSentences } from './sentences';
export { compressTables, rowsToCompactCsv } from './tables';
export {
  flattenAnswerMarkup,
  normalizeCharacters,
  normalizeWhitespace,
  stripLinks,
  stripMarkdownDecoration,
} from './text';
