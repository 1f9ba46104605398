import { formatNumberCell } from './numbers';

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
