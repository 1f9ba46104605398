import type { PriceBar } from '../core/types';
import { parseDateText } from './dates';
import { DataError } from './errors';

/** One parsed CSV record with the 1-based line it started on, so errors can point at it. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

export interface CsvTable {
  header: string[];
  records: CsvRecord[];
}

function detectDelimiter(firstLine: string): string {
  const counts = [',', ';', '\t'].map((delimiter) => [delimiter, firstLine.split(delimiter).length] as const);
  counts.sort((left, right) => right[1] - left[1]);
  return counts[0]?.[0] ?? ',';
}

/**
 * Parses CSV text (RFC 4180 quoting, CRLF or LF, a leading BOM, comma, semicolon or tab delimiter detected from
 * the header). Blank lines are skipped. Throws `MalformedData` naming `fileLabel` for an unclosed quote.
 */
export function parseCsv(text: string, fileLabel: string): CsvTable {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const delimiter = detectDelimiter(source.split(/\r?\n/, 1)[0] ?? '');
  const rows: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let index = 0;
  const endRecord = (): void => {
    fields.push(field);
    if (fields.length > 1 || (fields[0] ?? '').trim() !== '') rows.push({ line: recordLine, fields });
    fields = [];
    field = '';
  };
  while (index < source.length) {
    const character = source[index] as string;
    if (quoted) {
      if (character === '"') {
        if (source[index + 1] === '"') {
          field += '"';
          index += 1;
        } else {
          quoted = false;
        }
      } else {
        if (character === '\n') line += 1;
        field += character;
      }
    } else if (character === '"') {
      quoted = true;
    } else if (character === delimiter) {
      fields.push(field);
      field = '';
    } else if (character === '\n' || character === '\r') {
      if (character === '\r' && source[index + 1] === '\n') index += 1;
      endRecord();
      line += 1;
      recordLine = line;
    } else {
      field += character;
    }
    index += 1;
  }
  if (quoted) {
    throw new DataError('MalformedData', `${fileLabel} line ${recordLine}: a quoted field is never closed; add the missing '"'.`);
  }
  if (field !== '' || fields.length > 0) endRecord();
  const [headerRecord, ...records] = rows;
  return { header: (headerRecord?.fields ?? []).map((name) => name.trim()), records };
}

/** Header spellings seen in exported price files, compared after lower-casing and dropping non-letters. */
const COLUMN_ALIASES = {
  date: ['date', 'timestamp', 'time', 'datetime', 'day'],
  open: ['open', 'o'],
  high: ['high', 'h'],
  low: ['low', 'l'],
  close: ['close', 'closelast', 'last', 'price', 'c'],
  adjustedClose: ['adjclose', 'adjustedclose'],
  volume: ['volume', 'vol', 'v'],
} as const;

type Column = keyof typeof COLUMN_ALIASES;

function normalizeHeader(name: string): string {
  return name.toLowerCase().replace(/[^a-z]/g, '');
}

function findColumns(header: string[]): Partial<Record<Column, number>> {
  const normalized = header.map(normalizeHeader);
  const columns: Partial<Record<Column, number>> = {};
  for (const column of Object.keys(COLUMN_ALIASES) as Column[]) {
    const position = normalized.findIndex((name) => (COLUMN_ALIASES[column] as readonly string[]).includes(name));
    if (position >= 0) columns[column] = position;
  }
  return columns;
}

function parseNumber(raw: string): number | undefined {
  let text = raw.trim().replace(/^\$/, '');
  if (/^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(text)) text = text.replace(/,/g, '');
  if (text === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** Prices read from one file, plus what the reader had to assume (for the source label). */
export interface ParsedPrices {
  bars: PriceBar[];
  notes: string[];
}

/**
 * Reads a price file with a header row: `date,open,high,low,close[,volume]` and common variants (`Date`,
 * `Close/Last`, `Adj Close`, `Volume`; `$` signs and thousands separators). `Close` wins over `Adj Close` so
 * the bar stays consistent with its open/high/low; `Adj Close` is used only when there is no `Close`. A file
 * with only a close column gets open = high = low = close, and says so in `notes`. Bars come back oldest first.
 * Any bad row throws `MalformedData` naming `fileLabel` and the line.
 */
export function parsePriceCsv(text: string, fileLabel: string): ParsedPrices {
  const table = parseCsv(text, fileLabel);
  const columns = findColumns(table.header);
  const notes: string[] = [];
  if (columns.date === undefined) {
    throw new DataError('MalformedData', `${fileLabel} line 1: no date column in the header; start the file with date,open,high,low,close,volume.`);
  }
  let closeColumn = columns.close;
  if (closeColumn === undefined && columns.adjustedClose !== undefined) {
    closeColumn = columns.adjustedClose;
    notes.push('close is the adjusted close');
  }
  if (closeColumn === undefined) {
    throw new DataError('MalformedData', `${fileLabel} line 1: no close column in the header; start the file with date,open,high,low,close,volume.`);
  }
  const ohlc = [columns.open, columns.high, columns.low];
  const closeOnly = ohlc.every((position) => position === undefined);
  if (closeOnly) {
    notes.push('only close prices: open, high and low are set to the close');
  } else if (ohlc.some((position) => position === undefined)) {
    const missing = (['open', 'high', 'low'] as const).filter((name) => columns[name] === undefined).join(', ');
    throw new DataError('MalformedData', `${fileLabel} line 1: the header has no ${missing} column; give all of open, high and low, or only close.`);
  }

  const seen = new Map<string, number>();
  const bars: PriceBar[] = [];
  for (const record of table.records) {
    const where = `${fileLabel} line ${record.line}`;
    const cell = (position: number | undefined): string => (position === undefined ? '' : (record.fields[position] ?? '').trim());
    const rawDate = cell(columns.date);
    const date = parseDateText(rawDate);
    if (!date) {
      throw new DataError('MalformedData', `${where}: date "${rawDate}" is not a date; write dates as YYYY-MM-DD.`);
    }
    const previousLine = seen.get(date);
    if (previousLine !== undefined) {
      throw new DataError('MalformedData', `${where}: date ${date} already appears on line ${previousLine}; keep one row per date.`);
    }
    seen.set(date, record.line);
    const number = (name: string, position: number | undefined): number => {
      const raw = cell(position);
      const value = parseNumber(raw);
      if (value === undefined || value <= 0) {
        throw new DataError('MalformedData', `${where}: ${name} "${raw}" is not a positive number; fix or delete that row.`);
      }
      return value;
    };
    const close = number('close', closeColumn);
    const bar: PriceBar = closeOnly
      ? { date, open: close, high: close, low: close, close }
      : { date, open: number('open', columns.open), high: number('high', columns.high), low: number('low', columns.low), close };
    if (bar.high < bar.low) {
      throw new DataError('MalformedData', `${where}: high ${bar.high} is below low ${bar.low}; fix or delete that row.`);
    }
    const rawVolume = cell(columns.volume);
    if (columns.volume !== undefined && rawVolume !== '') {
      const volume = parseNumber(rawVolume);
      if (volume === undefined || volume < 0) {
        throw new DataError('MalformedData', `${where}: volume "${rawVolume}" is not a number; fix it or leave it empty.`);
      }
      bar.volume = volume;
    }
    bars.push(bar);
  }
  bars.sort((left, right) => (left.date < right.date ? -1 : left.date > right.date ? 1 : 0));
  return { bars, notes };
}
