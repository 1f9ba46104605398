// The backtest reports `writeBacktestReport` leaves in `<dataDir>/reports`, read for the dashboard. A file is
// another program's output that may be half written, hand edited or from another version of tokenflow, so each
// one is checked field by field; what cannot be read becomes a note on the page, never a failed request.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import {
  BACKTEST_EVERY,
  summarizeBacktest,
  type BacktestEntry,
  type BacktestReport,
  type BacktestStatus,
  type BacktestSummary,
} from '../core/backtest';
import { badRequest } from './http-error';
import { PIPELINE_MODES } from './query-parameters';

/**
 * A backtest as the dashboard addresses it: its report's file name without `.json`. The activity writes only
 * letters, digits, `.`, `-` and `_` after `backtest-`, so nothing else (no `/`, no `%`) can name a report.
 */
export const BACKTEST_FILE_ID_PATTERN = /^backtest-[A-Za-z0-9._-]+$/;

/** A report larger than this is not read: 250 dates in both modes write well under a megabyte. */
const MAXIMUM_REPORT_BYTES = 8 * 1024 * 1024;

const BACKTEST_STATUSES = [
  'completed',
  'failed',
  'skipped',
  'cancelled',
] as const satisfies readonly BacktestStatus[];

const count = z.number().nonnegative();

const entrySchema = z.object({
  date: z.string().min(1),
  mode: z.enum(PIPELINE_MODES),
  workflowId: z.string().min(1),
  status: z.enum(BACKTEST_STATUSES),
  decision: z.string().optional(),
  forwardReturn: z.number().optional(),
  totalTokens: count,
  costUsd: count.optional(),
  reason: z.string().optional(),
});

const modeSummarySchema = z.object({
  dates: count,
  completed: count,
  failed: count,
  skipped: count,
  decisions: z.record(z.string(), count),
  scored: count,
  hits: count,
  hitRate: z.number().min(0).max(1).optional(),
  interval: z.object({ low: z.number().min(0).max(1), high: z.number().min(0).max(1) }).optional(),
  totalTokens: count,
  costUsd: count,
  tokensPerCompletedRun: count.optional(),
});

const summarySchema = z.object({
  modes: z.object({ baseline: modeSummarySchema.optional(), optimized: modeSummarySchema.optional() }),
  agreement: z.object({ compared: count, same: count, rate: z.number().min(0).max(1).optional() }).optional(),
});

const headerSchema = z.object({
  backtestId: z.string().min(1),
  ticker: z.string().min(1),
  from: z.string().min(1),
  to: z.string().min(1),
  every: z.enum(BACKTEST_EVERY),
  budgetTokens: count.optional(),
  generatedAt: z.string().min(1),
  entries: z.array(z.unknown()),
});

/** A report file the dashboard could read, with what it had to leave out. */
export interface ReadableBacktest {
  /** The file name without `.json`: the id in the dashboard's addresses. */
  id: string;
  report: BacktestReport;
  /** Entries of the file that were not runs the dashboard can read (left out of the tables). */
  unreadableEntries: number;
  /** The file's summary was missing or unreadable, so it was worked out again from the readable runs. */
  summaryRecomputed: boolean;
}

/** A report file the dashboard could not read, and why, in one sentence. */
export interface UnreadableBacktest {
  id: string;
  problem: string;
  /** The file's last change: where it sorts among the others. */
  modifiedAt: string;
}

/** One report file of the reports folder. */
export type BacktestListing =
  ({ readable: true } & ReadableBacktest) | ({ readable: false } & UnreadableBacktest);

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'it does not have the shape of a backtest report';
  const where = issue.path.length === 0 ? 'the report' : issue.path.join('.');
  return `${where}: ${issue.message}`;
}

/**
 * A backtest report from the text of its file. The header (id, ticker, range, generation time) must be there;
 * runs that cannot be read are counted and left out, and a missing or broken summary is worked out again from
 * the runs with the same function the writer uses.
 */
export function parseBacktestReport(id: string, text: string, modifiedAt: string): BacktestListing {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      readable: false,
      id,
      modifiedAt,
      problem: `The file is not JSON (${(error as Error).message}); a backtest still being written, or cut short, leaves such a file.`,
    };
  }
  const header = headerSchema.safeParse(value);
  if (!header.success) {
    return {
      readable: false,
      id,
      modifiedAt,
      problem: `The file is not a backtest report (${firstIssue(header.error)}); tokenflow backtest writes a new one.`,
    };
  }
  const entries: BacktestEntry[] = [];
  for (const candidate of header.data.entries) {
    const entry = entrySchema.safeParse(candidate);
    if (entry.success) entries.push(entry.data);
  }
  const summary = summarySchema.safeParse((value as { summary?: unknown }).summary);
  const report: BacktestReport = {
    ...header.data,
    entries,
    summary: summary.success ? (summary.data satisfies BacktestSummary) : summarizeBacktest(entries),
  };
  return {
    readable: true,
    id,
    report,
    unreadableEntries: header.data.entries.length - entries.length,
    summaryRecomputed: !summary.success,
  };
}

/** The id of a backtest from the address, or a 400 that says what an id looks like. */
export function backtestIdOf(encoded: string): string {
  let id: string;
  try {
    id = decodeURIComponent(encoded);
  } catch {
    throw badRequest(`The backtest id in the address is not valid percent-encoding: "${encoded}".`);
  }
  if (!BACKTEST_FILE_ID_PATTERN.test(id)) {
    throw badRequest(
      `A backtest is addressed by its report's name: /backtests/backtest-<id>, with letters, digits, ".", "-" and "_" only (got "${id}").`,
    );
  }
  return id;
}

function reportFile(directory: string, id: string): string {
  const folder = path.resolve(directory);
  const file = path.resolve(folder, `${id}.json`);
  // The pattern already keeps the id to one file name; this holds should the pattern ever be loosened.
  if (path.dirname(file) !== folder) throw badRequest(`"${id}" is not a report name.`);
  return file;
}

async function readListing(directory: string, id: string): Promise<BacktestListing | undefined> {
  const file = reportFile(directory, id);
  let modifiedAt: string;
  let size: number;
  try {
    const status = await stat(file);
    if (!status.isFile()) return undefined;
    modifiedAt = status.mtime.toISOString();
    size = status.size;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    return {
      readable: false,
      id,
      modifiedAt: '',
      problem: `The file cannot be read (${code ?? 'an error'}).`,
    };
  }
  if (size > MAXIMUM_REPORT_BYTES) {
    return {
      readable: false,
      id,
      modifiedAt,
      problem: `The file has ${size} bytes, more than the ${MAXIMUM_REPORT_BYTES} a backtest report can have; it was not read.`,
    };
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'an error';
    return { readable: false, id, modifiedAt, problem: `The file cannot be read (${code}).` };
  }
  return parseBacktestReport(id, text, modifiedAt);
}

/** When a listing's backtest was made: the report's own time, else the file's. */
function listingTime(listing: BacktestListing): string {
  if (!listing.readable) return listing.modifiedAt;
  const time = new Date(listing.report.generatedAt);
  return Number.isNaN(time.getTime()) ? listing.report.generatedAt : time.toISOString();
}

/**
 * Every `backtest-*.json` of the reports folder, newest first; none when the folder does not exist yet (no
 * backtest has finished).
 */
export async function listBacktestReports(directory: string): Promise<BacktestListing[]> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const ids = names
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.slice(0, -'.json'.length))
    .filter((id) => BACKTEST_FILE_ID_PATTERN.test(id));
  const listings = (await Promise.all(ids.map((id) => readListing(directory, id)))).filter(
    (listing): listing is BacktestListing => listing !== undefined,
  );
  return listings.sort(
    (left, right) => listingTime(right).localeCompare(listingTime(left)) || left.id.localeCompare(right.id),
  );
}

/** One backtest's report, undefined when the folder has no such file. */
export function readBacktestReport(directory: string, id: string): Promise<BacktestListing | undefined> {
  return readListing(directory, id);
}
