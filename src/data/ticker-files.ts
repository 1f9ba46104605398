import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { FundamentalsSnapshot, NewsItem, SocialPost } from '../core/types';
import { daysBetween, parseDateText } from './dates';
import { DataError } from './errors';

/** Longest news body and social post kept, so one feed cannot swell the payload (Temporal) or the prompts. */
export const MAXIMUM_NEWS_BODY_CHARACTERS = 1500;
export const MAXIMUM_SOCIAL_TEXT_CHARACTERS = 600;
const MAXIMUM_METRICS = 60;

/** A fundamentals snapshot with the date its figures became known, used to pick the one valid at a date. */
export interface DatedFundamentals extends FundamentalsSnapshot {
  asOf?: string;
}

/** Items read from one file plus how many were cut short (for the source label). */
export interface ReadItems<T> {
  items: T[];
  truncated: number;
}

const dateText = z.string().transform((value, context) => {
  const date = parseDateText(value);
  if (!date) {
    context.addIssue({ code: 'custom', message: `"${value}" is not a date; write YYYY-MM-DD` });
    return z.NEVER;
  }
  return date;
});

const newsItemSchema = z.object({
  date: dateText,
  source: z.string().default('unknown'),
  headline: z.string().min(1),
  body: z.string().default(''),
});

const socialPostSchema = z.object({
  date: dateText,
  platform: z.string().default('unknown'),
  author: z.string().default('unknown'),
  text: z.string().min(1),
});

const fundamentalsSchema = z.object({
  period: z.string().min(1),
  currency: z.string().default(''),
  metrics: z.record(z.string(), z.union([z.number(), z.string()])),
  notes: z.string().optional(),
  asOf: dateText.optional(),
});

function lineOfPosition(text: string, position: number): number {
  return text.slice(0, position).split('\n').length;
}

function parseJson(text: string, fileLabel: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message);
    const line = /line (\d+)/.exec(message)?.[1] ?? (position ? String(lineOfPosition(text, Number(position[1]))) : '?');
    throw new DataError('MalformedData', `${fileLabel} line ${line}: not valid JSON (${message}); fix the syntax there.`);
  }
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.filter((part) => typeof part !== 'number').join('.');
  return field ? `${field} ${issue.message}` : issue.message;
}

function parseItems<T>(
  json: unknown,
  schema: z.ZodType<T>,
  fileLabel: string,
  shape: string,
): T[] {
  if (!Array.isArray(json)) {
    throw new DataError('MalformedData', `${fileLabel} line 1: expected a JSON array of ${shape}; wrap the items in [ ].`);
  }
  return json.map((item, index) => {
    const result = schema.safeParse(item);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new DataError(
        'MalformedData',
        `${fileLabel} item ${index + 1}: ${issue ? describeIssue(issue) : 'invalid'}; each item must look like ${shape}.`,
      );
    }
    return result.data;
  });
}

function cut(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1).trimEnd()}…`;
}

/** Reads a file, or returns undefined when it does not exist (optional files). */
export async function readOptionalFile(filePath: string): Promise<string | undefined> {
  try {
    return await readFile(filePath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Parses a `news.json` array of `{ date, source, headline, body }`; long bodies are cut. */
export function parseNewsJson(text: string, fileLabel: string): ReadItems<NewsItem> {
  const items = parseItems(parseJson(text, fileLabel), newsItemSchema, fileLabel, '{ "date", "source", "headline", "body" }');
  let truncated = 0;
  const news = items.map((item) => {
    if (item.body.length > MAXIMUM_NEWS_BODY_CHARACTERS) truncated += 1;
    return { ...item, body: cut(item.body, MAXIMUM_NEWS_BODY_CHARACTERS) };
  });
  return { items: news, truncated };
}

/** Parses a `social.json` array of `{ date, platform, author, text }`; long posts are cut. */
export function parseSocialJson(text: string, fileLabel: string): ReadItems<SocialPost> {
  const items = parseItems(parseJson(text, fileLabel), socialPostSchema, fileLabel, '{ "date", "platform", "author", "text" }');
  let truncated = 0;
  const posts = items.map((item) => {
    if (item.text.length > MAXIMUM_SOCIAL_TEXT_CHARACTERS) truncated += 1;
    return { ...item, text: cut(item.text, MAXIMUM_SOCIAL_TEXT_CHARACTERS) };
  });
  return { items: posts, truncated };
}

/**
 * Parses `fundamentals.json`: one `{ period, currency, metrics, notes? }` object, or an array of them each with
 * an `asOf` date (when the figures became known) so the snapshot valid at the analysis date can be chosen.
 */
export function parseFundamentalsJson(text: string, fileLabel: string): DatedFundamentals[] {
  const json = parseJson(text, fileLabel);
  const shape = '{ "period", "currency", "metrics": { ... }, "notes"?, "asOf"? }';
  const snapshots = parseItems(Array.isArray(json) ? json : [json], fundamentalsSchema, fileLabel, shape);
  return snapshots.map((snapshot) => {
    const entries = Object.entries(snapshot.metrics);
    const metrics = Object.fromEntries(
      entries.slice(0, MAXIMUM_METRICS).map(([name, value]) => [name, typeof value === 'string' ? cut(value, 200) : value]),
    );
    const result: DatedFundamentals = { period: snapshot.period, currency: snapshot.currency, metrics };
    if (snapshot.notes !== undefined) result.notes = cut(snapshot.notes, 600);
    if (snapshot.asOf !== undefined) result.asOf = snapshot.asOf;
    return result;
  });
}

/** Dated items chosen for an analysis date. */
export interface SelectedItems<T> {
  /** Newest first. */
  items: T[];
  /**
   * Set when no item fell in the window and other items were used instead (samples only): `earlier` when they
   * are the latest items before the window, `later` when every item postdates the analysis date.
   */
  fallback?: 'earlier' | 'later';
}

export interface SelectItemsOptions {
  /** Items dated up to this many days before the date (and on it) are in the window. */
  windowDays: number;
  /** Most items kept (the newest). */
  limit: number;
  /**
   * When nothing is in the window: `none` returns nothing (the user's own data: never pretend an old item is
   * current); `nearest` returns the latest earlier items, or when there are none the earliest later ones,
   * keeping their own dates (labelled samples).
   */
  fallback: 'none' | 'nearest';
}

const newestFirst = <T extends { date: string }>(left: T, right: T): number =>
  left.date < right.date ? 1 : left.date > right.date ? -1 : 0;

/** Items dated within `windowDays` before `date`, never after it (no look-ahead), newest first. */
export function selectRecentItems<T extends { date: string }>(
  items: readonly T[],
  date: string,
  options: SelectItemsOptions,
): SelectedItems<T> {
  const inWindow = items.filter((item) => {
    const age = daysBetween(item.date, date);
    return age >= 0 && age <= options.windowDays;
  });
  if (inWindow.length > 0 || options.fallback === 'none' || items.length === 0) {
    return { items: [...inWindow].sort(newestFirst).slice(0, options.limit) };
  }
  const earlier = items.filter((item) => item.date <= date).sort(newestFirst);
  if (earlier.length > 0) return { items: earlier.slice(0, options.limit), fallback: 'earlier' };
  const later = [...items].sort(newestFirst).reverse().slice(0, options.limit).sort(newestFirst);
  return { items: later, fallback: 'later' };
}

/** Fundamentals chosen for an analysis date. */
export interface SelectedFundamentals {
  snapshot: FundamentalsSnapshot;
  /** Why no snapshot valid at the date was found, when that happened. */
  problem?: string;
}

/** A snapshot that says plainly that there are no fundamentals. */
export function emptyFundamentals(reason: string): FundamentalsSnapshot {
  return { period: 'none', currency: '', metrics: {}, notes: reason };
}

function withoutAsOf(snapshot: DatedFundamentals): FundamentalsSnapshot {
  const result: FundamentalsSnapshot = { period: snapshot.period, currency: snapshot.currency, metrics: snapshot.metrics };
  const notes = [snapshot.notes, snapshot.asOf ? `Figures as of ${snapshot.asOf}.` : undefined].filter(Boolean);
  if (notes.length > 0) result.notes = notes.join(' ');
  return result;
}

/**
 * The latest snapshot known on `date` (greatest `asOf` on or before it); an undated snapshot applies to any
 * date. With `fallback: 'nearest'` a sample's earliest snapshot stands in when all are dated later.
 */
export function selectFundamentals(
  snapshots: readonly DatedFundamentals[],
  date: string,
  fallback: 'none' | 'nearest',
): SelectedFundamentals {
  const known = snapshots
    .filter((snapshot) => snapshot.asOf !== undefined && snapshot.asOf <= date)
    .sort((left, right) => ((left.asOf as string) < (right.asOf as string) ? -1 : 1));
  const chosen = known[known.length - 1] ?? snapshots.filter((snapshot) => snapshot.asOf === undefined).pop();
  if (chosen) return { snapshot: withoutAsOf(chosen) };
  if (snapshots.length === 0) return { snapshot: emptyFundamentals('No fundamentals given.'), problem: 'no snapshots' };
  const earliest = [...snapshots].sort((left, right) => ((left.asOf ?? '') < (right.asOf ?? '') ? -1 : 1))[0];
  if (fallback === 'nearest' && earliest) {
    return { snapshot: withoutAsOf(earliest), problem: `every snapshot is dated after ${date}; the earliest is shown` };
  }
  return {
    snapshot: emptyFundamentals(`No fundamentals known on or before ${date}.`),
    problem: `every snapshot is dated after ${date}`,
  };
}
