import type { encode as ToonEncode } from '@toon-format/toon' with { 'resolution-mode': 'import' };
import { extractFacts, factsCovered, lostFacts, type FactExtractionOptions } from './fact-check';
import type { PromptSection, PromptSectionKind, TokenCounter } from './types';

/**
 * Lossless-in-facts compression of prompt sections: every number, ticker and date of the source survives
 * (see `fact-check.ts`); what goes is layout (table pipes and padding, JSON indentation, spaces), formatting
 * noise (trailing zeros, thousands separators, bold markers, the headings and markup-only lines of quoted
 * answers), repetition (duplicate lines, duplicate news
 * items, columns equal to another column) and sentences that carry no fact in long news bodies. Steps that
 * drop content check each dropped piece against the facts that remain, so a fact is never dropped silently;
 * the optimizer checks the whole section again and falls back to the original if anything was lost.
 */

export interface CompressionOptions {
  /** When given, close calls between encodings (minified JSON, logfmt, TOON) are decided in its tokens. */
  counter?: TokenCounter;
  /** Passed to the fact check (e.g. the analysed ticker, so a one-letter symbol counts). */
  factOptions?: FactExtractionOptions;
}

export interface CompressionResult {
  text: string;
  changed: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// Whitespace and markdown

const LINE_BREAKS = /\r\n?/g;
const UNUSUAL_SPACES = /[\u00a0\u2000-\u200a\u202f\u205f\u3000]/g;
const ZERO_WIDTH = /[\u200b-\u200d\u2060\ufeff]/g;
const TRAILING_SPACES = /[ \t]+$/gm;
const SPACE_RUNS = /[ \t]{2,}|\t/g;
const BLANK_LINE_RUNS = /\n{3,}/g;
const BOLD = /\*\*(?=\S)([^*\n]+?)(?<=\S)\*\*|__(?=\S)([^_\n]+?)(?<=\S)__/g;
const HORIZONTAL_RULE = /^[ \t]*(?:[-*_][ \t]*){3,}$/gm;
const MARKDOWN_LINK = /\[([^\]\n]+)\]\((?:https?:\/\/|www\.)[^)\s]*\)/g;
const BARE_URL = /[ \t]*[(<]?\b(?:https?:\/\/|www\.)[^\s<>()\[\]"']+[)>]?/g;

/** Unifies line breaks, turns exotic spaces into plain ones and drops zero-width characters. */
export function normalizeCharacters(text: string): string {
  return text.replace(LINE_BREAKS, '\n').replace(UNUSUAL_SPACES, ' ').replace(ZERO_WIDTH, '');
}

/**
 * Collapses whitespace: no trailing spaces, one space between words (indentation kept), at most one blank
 * line in a row, nothing at either end. Never joins two tokens, so no number can merge with another.
 */
export function normalizeWhitespace(text: string): string {
  const withoutTrailing = normalizeCharacters(text).replace(TRAILING_SPACES, '');
  // Runs after a line break are indentation and stay; runs after a word become one space.
  const collapsed = withoutTrailing.replace(SPACE_RUNS, (run: string, offset: number) =>
    offset === 0 || withoutTrailing.charCodeAt(offset - 1) === 10 ? run : ' ',
  );
  return collapsed.replace(BLANK_LINE_RUNS, '\n\n').trim();
}

/** Removes bold markers (`**BUY**` -> `BUY`) and horizontal rules; headings and lists stay. */
export function stripMarkdownDecoration(text: string): string {
  return text
    .replace(BOLD, (_match, star?: string, underscore?: string) => star ?? underscore ?? '')
    .replace(HORIZONTAL_RULE, '');
}

const HEADING_MARKER = /^[ \t]*#{1,6}[ \t]+(?=\S)/gm;
/** A line without letters or digits, except a table's separator row (`| --- | --- |`). */
const MARKUP_ONLY_LINE =
  /^(?![ \t]*\|?[ \t]*:?-{2,}:?[ \t]*\|)[^\p{L}\p{N}\n]*[^\p{L}\p{N}\s][^\p{L}\p{N}\n]*(?:\n|$)/gmu;

/**
 * Flattens the markup of an agent's answer that is quoted in another agent's prompt: heading markers go
 * (`## Task` -> `Task`) and lines with no letter or digit (`###`, `***`, stray pipes and fences) are dropped.
 * A quoted answer's own headings would otherwise read like the prompt's sections (a small model often
 * echoes `## Task`), and markup-only lines are tokens that say nothing. Words, numbers and stance stay.
 */
export function flattenAnswerMarkup(text: string): string {
  return text.replace(HEADING_MARKER, '').replace(MARKUP_ONLY_LINE, '');
}

/** Replaces markdown links by their text and removes bare URLs (URLs are not facts, see `fact-check.ts`). */
export function stripLinks(text: string): string {
  return text.replace(MARKDOWN_LINK, '$1').replace(BARE_URL, '');
}

// ---------------------------------------------------------------------------------------------------------
// Numbers

const NUMBER_CELL = /^([-+\u2212]?)(\$?)(\d{1,3}(?:,\d{3})+|\d+)?(?:\.(\d+))?(\s?%)?$/;

/** Fast path of {@link formatNumberCell} for unsigned `123` / `123.4500` cells; undefined for anything else. */
function formatPlainDecimal(cell: string): string | undefined {
  const length = cell.length;
  if (length === 0) return undefined;
  let point = -1;
  for (let index = 0; index < length; index += 1) {
    const code = cell.charCodeAt(index);
    if (code === 46 /* . */) {
      if (point >= 0 || index === 0 || index === length - 1) return undefined;
      point = index;
    } else if (code < 48 || code > 57) {
      return undefined;
    }
  }
  let end = length;
  if (point >= 0) {
    while (cell.charCodeAt(end - 1) === 48) end -= 1;
    if (end === point + 1) end = point;
  }
  let start = 0;
  const integerEnd = point >= 0 ? point : length;
  while (start < integerEnd - 1 && cell.charCodeAt(start) === 48) start += 1;
  return start === 0 && end === length ? cell : cell.slice(start, end);
}

/**
 * Writes a numeric table cell compactly without changing its value: `1469.250000` -> `1469.25`,
 * `1,009,000` -> `1009000`, `$1,234.50` -> `$1234.5`, `5.00 %` -> `5%`, `+3.20%` -> `+3.2%`. Other cells are
 * returned unchanged.
 */
export function formatNumberCell(cell: string): string {
  const plain = formatPlainDecimal(cell);
  if (plain !== undefined) return plain;
  const match = NUMBER_CELL.exec(cell);
  if (match === null) return cell;
  const [, sign = '', currency = '', integerDigits, fractionDigits, percent] = match;
  if (integerDigits === undefined && fractionDigits === undefined) return cell;
  const integerPart = (integerDigits ?? '0').replace(/,/g, '').replace(/^0+(?=\d)/, '');
  const fractionPart = (fractionDigits ?? '').replace(/0+$/, '');
  const isZero = /^0*$/.test(integerPart) && fractionPart === '';
  const normalizedSign = sign === '\u2212' ? '-' : sign;
  return `${isZero ? '' : normalizedSign}${currency}${integerPart}${fractionPart ? `.${fractionPart}` : ''}${percent ? '%' : ''}`;
}

// ---------------------------------------------------------------------------------------------------------
// Tables

interface TableBlock {
  rows: string[][];
  hasHeader: boolean;
  /** Index of the first line after the block. */
  end: number;
}

const TABLE_SEPARATOR_CELL = /^:?-{1,}:?$/;
const UNESCAPED_PIPE = /(?<!\\)\|/;
const ESCAPED_PIPE = /\\\|/g;
const ALIGNED_FIELD_SEPARATOR = /\t+| {2,}/;
const DATE_OR_NUMBER_CELL =
  /^(?:[-+\u2212]?\$?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?\s?%?|\d{4}-\d{2}-\d{2}(?:[ T][\d:.]+)?)$/;
const COMMENT_LINE = /^\s*#/;

function splitPipeRow(line: string): string[] | undefined {
  if (!line.includes('|')) return undefined;
  let body = line.trim();
  if (body.startsWith('|')) body = body.slice(1);
  if (body.endsWith('|') && !body.endsWith('\\|')) body = body.slice(0, -1);
  const cells = body.split(UNESCAPED_PIPE).map((cell) => cell.trim().replace(ESCAPED_PIPE, '|'));
  return cells.length >= 2 ? cells : undefined;
}

function isSeparatorRow(cells: readonly string[]): boolean {
  return cells.every((cell) => TABLE_SEPARATOR_CELL.test(cell.replace(/\s+/g, '')));
}

/** A markdown table, or rows of `a | b | c` without outer pipes; at least two rows with the same width. */
function matchPipeTable(lines: readonly string[], start: number): TableBlock | undefined {
  const first = splitPipeRow(lines[start] ?? '');
  if (first === undefined) return undefined;
  const width = first.length;
  const rows: string[][] = [first];
  let hasHeader = false;
  let index = start + 1;
  for (; index < lines.length; index += 1) {
    const cells = splitPipeRow(lines[index] ?? '');
    if (cells === undefined || cells.length !== width) break;
    if (isSeparatorRow(cells)) {
      if (index === start + 1) {
        hasHeader = true;
        continue;
      }
      break;
    }
    rows.push(cells);
  }
  if (rows.length < 2 && !hasHeader) return undefined;
  if (!hasHeader && rows.length >= 2) hasHeader = !isDataLike(first) && isDataLike(rows[1] ?? []);
  return { rows, hasHeader, end: index };
}

function isDataLike(cells: readonly string[]): boolean {
  let dataCells = 0;
  for (const cell of cells) if (DATE_OR_NUMBER_CELL.test(cell) && cell !== '') dataCells += 1;
  return dataCells * 2 >= cells.length;
}

/**
 * A fixed-width table as printed by pandas or `column -t`: three or more lines whose fields are separated by
 * tabs or runs of two or more spaces, with the same field count, mostly numbers or dates. A header line with
 * one field fewer (the unnamed index column) is accepted.
 */
function matchAlignedTable(lines: readonly string[], start: number): TableBlock | undefined {
  const split = (line: string | undefined): string[] | undefined => {
    if (line === undefined || line.trim() === '' || COMMENT_LINE.test(line)) return undefined;
    const cells = line.trim().split(ALIGNED_FIELD_SEPARATOR);
    return cells.length >= 2 ? cells : undefined;
  };
  const header = split(lines[start]);
  if (header === undefined) return undefined;
  const next = split(lines[start + 1]);
  if (next === undefined) return undefined;
  let width = header.length;
  const rows: string[][] = [];
  let hasHeader = false;
  if (next.length === header.length + 1 && !isDataLike(header)) {
    width = next.length;
    rows.push(['', ...header]);
    hasHeader = true;
  } else if (next.length === header.length) {
    hasHeader = !isDataLike(header) && isDataLike(next);
    rows.push(header);
  } else {
    return undefined;
  }
  let index = start + 1;
  for (; index < lines.length; index += 1) {
    const cells = split(lines[index]);
    if (cells === undefined || cells.length !== width || !isDataLike(cells)) break;
    rows.push(cells);
  }
  return rows.length >= 3 ? { rows, hasHeader, end: index } : undefined;
}

/** Splits one CSV line honouring double quotes; returns undefined for an unterminated quote. */
function splitCsvLine(line: string, delimiter: string): string[] | undefined {
  const cells: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < line.length; index += 1) {
    const character = line[index];
    if (quoted) {
      if (character === '"') {
        if (line[index + 1] === '"') {
          current += '"';
          index += 1;
        } else {
          quoted = false;
        }
      } else {
        current += character;
      }
    } else if (character === '"' && current.trim() === '') {
      quoted = true;
      current = '';
    } else if (character === delimiter) {
      cells.push(current.trim());
      current = '';
    } else {
      current += character;
    }
  }
  if (quoted) return undefined;
  cells.push(current.trim());
  return cells;
}

/** Comma- or tab-separated rows (two or more with the same width, comment lines excluded). */
function matchDelimitedTable(lines: readonly string[], start: number): TableBlock | undefined {
  const line = lines[start] ?? '';
  if (COMMENT_LINE.test(line)) return undefined;
  const delimiter = line.includes('\t') ? '\t' : line.includes(',') ? ',' : undefined;
  if (delimiter === undefined) return undefined;
  const first = splitCsvLine(line, delimiter);
  if (first === undefined || first.length < 2) return undefined;
  const rows: string[][] = [first];
  let index = start + 1;
  for (; index < lines.length; index += 1) {
    const candidate = lines[index] ?? '';
    if (COMMENT_LINE.test(candidate) || !candidate.includes(delimiter)) break;
    const cells = splitCsvLine(candidate, delimiter);
    if (cells === undefined || cells.length !== first.length) break;
    rows.push(cells);
  }
  if (rows.length < 2) return undefined;
  const secondRow = rows[1] ?? [];
  return { rows, hasHeader: !isDataLike(first) && isDataLike(secondRow), end: index };
}

const CSV_NEEDS_QUOTES = /[",\n]|^\s|\s$/;

function csvCell(cell: string): string {
  return CSV_NEEDS_QUOTES.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

/** Minimum data rows before constant or duplicate columns are folded into a note (below that the note costs more). */
const MIN_ROWS_FOR_COLUMN_FOLDING = 4;

/**
 * Renders rows as compact CSV with numbers written compactly. With a header and enough rows, a column that
 * holds one value in every row, or repeats an earlier column in every row, is replaced by one note line
 * naming it, so the fact and its meaning stay while the repetition goes.
 */
export function rowsToCompactCsv(rows: readonly (readonly string[])[], hasHeader: boolean): string {
  const formatted = rows.map((row, rowIndex) =>
    hasHeader && rowIndex === 0 ? [...row] : row.map(formatNumberCell),
  );
  const header = hasHeader ? formatted[0] : undefined;
  const body = hasHeader ? formatted.slice(1) : formatted;
  const width = formatted[0]?.length ?? 0;
  const keep: boolean[] = new Array<boolean>(width).fill(true);
  let notes: string[] = [];
  if (header !== undefined && body.length >= MIN_ROWS_FOR_COLUMN_FOLDING) {
    for (let column = 0; column < width; column += 1) {
      const name = header[column] ?? '';
      if (name === '') continue;
      const firstValue = body[0]?.[column] ?? '';
      if (body.every((row) => (row[column] ?? '') === firstValue)) {
        keep[column] = false;
        notes.push(`${name} is ${firstValue === '' ? 'empty' : firstValue}`);
        continue;
      }
      for (let earlier = 0; earlier < column; earlier += 1) {
        if (keep[earlier] && body.every((row) => row[column] === row[earlier])) {
          keep[column] = false;
          notes.push(`${name} equals ${header[earlier] || `column ${earlier + 1}`}`);
          break;
        }
      }
    }
    if (!keep.some((kept) => kept)) {
      keep.fill(true);
      notes = [];
    }
  }
  const lines: string[] = notes.length > 0 ? [`In every row: ${notes.join('; ')}.`] : [];
  for (const row of formatted) {
    const cells: string[] = [];
    for (let column = 0; column < width; column += 1)
      if (keep[column]) cells.push(csvCell(row[column] ?? ''));
    lines.push(cells.join(','));
  }
  return lines.join('\n');
}

/**
 * Rewrites every table found in `text` as compact CSV. Markdown and pipe tables are always recognised;
 * fixed-width and comma/tab-separated tables only when `allFormats` is set (data sections), since prose can
 * look like them.
 */
export function compressTables(text: string, options: { allFormats: boolean }): string {
  if (!options.allFormats && !text.includes('|')) return text;
  const lines = text.split('\n');
  const output: string[] = [];
  let index = 0;
  while (index < lines.length) {
    const block =
      matchPipeTable(lines, index) ??
      (options.allFormats
        ? (matchAlignedTable(lines, index) ?? matchDelimitedTable(lines, index))
        : undefined);
    if (block === undefined) {
      output.push(lines[index] ?? '');
      index += 1;
      continue;
    }
    output.push(rowsToCompactCsv(block.rows, block.hasHeader));
    index = block.end;
  }
  return output.join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// JSON

const CODE_FENCE = /^\s*```[\w-]*\n([\s\S]*?)\n```\s*$/;
const ARRAY_OF_OBJECTS = /\[\s*\{/;

function isJsonWhitespace(code: number): boolean {
  return code === 32 || code === 10 || code === 13 || code === 9;
}

/**
 * Removes whitespace outside strings and trailing fraction zeros of numbers from text known to be JSON, in
 * one pass over its characters, copying unchanged runs as slices.
 */
function stripJsonLayout(text: string): string {
  const parts: string[] = [];
  let copyFrom = 0;
  let index = 0;
  const length = text.length;
  while (index < length) {
    const code = text.charCodeAt(index);
    if (code === 34 /* " */) {
      index += 1;
      while (index < length) {
        const inner = text.charCodeAt(index);
        if (inner === 92 /* \ */) index += 2;
        else if (inner === 34) break;
        else index += 1;
      }
      index += 1;
    } else if (isJsonWhitespace(code)) {
      let end = index + 1;
      while (end < length && isJsonWhitespace(text.charCodeAt(end))) end += 1;
      parts.push(text.slice(copyFrom, index));
      copyFrom = end;
      index = end;
    } else if (code === 46 /* . */) {
      let end = index + 1;
      while (end < length && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end += 1;
      let keep = end;
      while (keep > index + 1 && text.charCodeAt(keep - 1) === 48) keep -= 1;
      if (keep === index + 1) keep = index;
      if (keep !== end) {
        parts.push(text.slice(copyFrom, keep));
        copyFrom = end;
      }
      index = end;
    } else {
      index += 1;
    }
  }
  parts.push(text.slice(copyFrom));
  return parts.join('');
}

/**
 * Minifies JSON without re-serialising it (so no number loses precision through a double): whitespace outside
 * strings goes and trailing fraction zeros are dropped (`12.50` -> `12.5`, `3.0` -> `3`). Undefined when the
 * text is not JSON.
 */
export function minifyJson(text: string): string | undefined {
  try {
    JSON.parse(text);
  } catch {
    return undefined;
  }
  return stripJsonLayout(text);
}

type ToonEncoder = typeof ToonEncode;
let toonEncoder: ToonEncoder | null | undefined;

/**
 * `@toon-format/toon` is an ES module; Node >= 20.19 can `require` it from this CommonJS build. On older
 * runtimes TOON is skipped and minified JSON is used.
 */
function loadToonEncoder(): ToonEncoder | null {
  if (toonEncoder !== undefined) return toonEncoder;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const toon = require('@toon-format/toon') as { encode?: ToonEncoder };
    toonEncoder = typeof toon.encode === 'function' ? toon.encode : null;
  } catch {
    toonEncoder = null;
  }
  return toonEncoder;
}

const LOGFMT_BARE = /^[^\s="\\]+$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function logfmtScalar(value: unknown): string | undefined {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return LOGFMT_BARE.test(value) ? value : JSON.stringify(value);
  if (Array.isArray(value) && value.every((entry) => entry === null || typeof entry !== 'object')) {
    return JSON.stringify(value);
  }
  return undefined;
}

/**
 * Writes a flat JSON object in logfmt (`key=value` pairs separated by spaces, strings with spaces quoted),
 * one line per run of scalar fields and one `key: a=1 b=2` line per nested object of scalars. For the flat
 * records of indicators and fundamentals this costs fewer tokens than minified JSON (no quotes around keys)
 * and than TOON (no indentation). Undefined for deeper or array-shaped documents.
 */
export function encodeLogfmt(value: unknown): string | undefined {
  if (!isPlainObject(value)) return undefined;
  const lines: string[] = [];
  let pairs: string[] = [];
  for (const [key, entry] of Object.entries(value)) {
    if (!LOGFMT_BARE.test(key)) return undefined;
    const scalar = logfmtScalar(entry);
    if (scalar !== undefined) {
      pairs.push(`${key}=${scalar}`);
      continue;
    }
    if (!isPlainObject(entry)) return undefined;
    const nested: string[] = [];
    for (const [nestedKey, nestedEntry] of Object.entries(entry)) {
      const nestedScalar = logfmtScalar(nestedEntry);
      if (!LOGFMT_BARE.test(nestedKey) || nestedScalar === undefined) return undefined;
      nested.push(`${nestedKey}=${nestedScalar}`);
    }
    if (pairs.length > 0) lines.push(pairs.join(' '));
    pairs = [];
    lines.push(`${key}: ${nested.join(' ')}`.trimEnd());
  }
  if (pairs.length > 0) lines.push(pairs.join(' '));
  return lines.join('\n');
}

/**
 * Compresses a JSON document to the cheapest of: minified JSON; logfmt for flat objects
 * ({@link encodeLogfmt}); TOON (`@toon-format/toon`, which writes arrays of uniform objects as one header
 * plus CSV-like rows) for documents holding arrays of objects. A re-encoding is only used when it keeps every
 * fact (numbers pass through a double when re-encoded). Undefined when the text (optionally inside a code
 * fence) is not JSON.
 */
export function compressJson(text: string, options: CompressionOptions = {}): string | undefined {
  const fenced = CODE_FENCE.exec(text);
  const source = (fenced?.[1] ?? text).trim();
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch {
    return undefined;
  }
  const minified = stripJsonLayout(source);
  let best = minified;
  const logfmt = encodeLogfmt(parsed);
  if (logfmt !== undefined && isSmaller(logfmt, best, options.counter)) best = logfmt;
  // TOON only wins on arrays of objects (a header plus rows); for plain objects its indentation costs more
  // tokens than minified JSON's quotes, so it is not even tried.
  const encode = ARRAY_OF_OBJECTS.test(source) ? loadToonEncoder() : null;
  if (encode !== null) {
    try {
      const toon = encode(parsed as Parameters<ToonEncoder>[0]);
      if (isSmaller(toon, best, options.counter)) best = toon;
    } catch {
      // Not encodable as TOON: keep the other candidates.
    }
  }
  if (best === minified) return minified;
  return lostFacts(source, best, options.factOptions).length === 0 ? best : minified;
}

/**
 * Whether `candidate` costs fewer tokens than `reference`. Clear length differences decide without
 * tokenizing; close calls are counted when a counter is available.
 */
function isSmaller(candidate: string, reference: string, counter: TokenCounter | undefined): boolean {
  if (candidate.length >= reference.length) return false;
  if (candidate.length < reference.length * 0.85 || counter === undefined) return true;
  return counter.count(candidate) < counter.count(reference);
}

// ---------------------------------------------------------------------------------------------------------
// Sentences, boilerplate and repeated lines

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

// ---------------------------------------------------------------------------------------------------------
// News and social items

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
const LONG_BODY_WORDS: Partial<Record<PromptSectionKind, number>> = { news: 60, social: 80 };

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

// ---------------------------------------------------------------------------------------------------------
// Per-kind pipelines

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
 * Compresses a section the way its kind allows (see the module comment). The result keeps every fact of the
 * source by construction; `prompt-optimizer.ts` still verifies it and falls back when it does not.
 */
export function compressSection(section: PromptSection, options: CompressionOptions = {}): CompressionResult {
  const text = compressText(section.text, section.kind, options);
  return { text, changed: text !== section.text };
}
