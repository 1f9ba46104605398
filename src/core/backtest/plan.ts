import type { PriceBar } from '../types';

/** How often a backtest analyses: every bar, the last bar of each week, or the last bar of each month. */
export const BACKTEST_EVERY = ['day', 'week', 'month'] as const;
export type BacktestEvery = (typeof BACKTEST_EVERY)[number];

/** Most analysis dates one backtest plans unless told otherwise: each date is a full run of the pipeline. */
export const DEFAULT_MAXIMUM_BACKTEST_DATES = 250;

/** One analysis date of a backtest and what the price did over the period after it. */
export interface BacktestDate {
  /** A bar's date, `YYYY-MM-DD`. */
  date: string;
  close: number;
  /** The date of the next period's last bar, when the data has one. */
  nextDate?: string;
  nextClose?: number;
  /** `nextClose / close - 1`; undefined when the data ends before the next period does. */
  forwardReturn?: number;
}

export interface BacktestPlanOptions {
  /** First day of the range, `YYYY-MM-DD`, inclusive. */
  from: string;
  /** Last day of the range, `YYYY-MM-DD`, inclusive. */
  to: string;
  every: BacktestEvery;
  /** Most dates allowed (default {@link DEFAULT_MAXIMUM_BACKTEST_DATES}). */
  maximumDates?: number;
}

/**
 * A backtest the user asked for that cannot be planned (bad range, no data in it, too many dates). The message
 * is one sentence saying what was wrong and what to do; the activity raises it as the failure type
 * `InvalidBacktest`.
 */
export class BacktestPlanError extends Error {
  override name = 'BacktestPlanError';
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MILLISECONDS_PER_DAY = 86_400_000;

function isCalendarDate(text: string): boolean {
  const match = ISO_DATE.exec(text);
  if (!match) return false;
  const time = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  // Date.UTC rolls 2021-02-30 over to March; a real calendar date survives the round trip unchanged.
  return new Date(time).toISOString().slice(0, 10) === text;
}

/** The Monday (UTC) of the ISO week `date` lies in: the key every bar of that week shares. */
function isoWeekStart(date: string): string {
  const time = Date.parse(`${date}T00:00:00Z`);
  const daysSinceMonday = (new Date(time).getUTCDay() + 6) % 7;
  return new Date(time - daysSinceMonday * MILLISECONDS_PER_DAY).toISOString().slice(0, 10);
}

const PERIOD_OF: Record<BacktestEvery, (date: string) => string> = {
  day: (date) => date,
  week: isoWeekStart,
  month: (date) => date.slice(0, 7),
};

/** The last calendar day of the period `date` lies in. */
const PERIOD_END: Record<BacktestEvery, (date: string) => string> = {
  day: (date) => date,
  week: (date) => addDays(isoWeekStart(date), 6),
  month: (date) =>
    new Date(Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)), 0)).toISOString().slice(0, 10),
};

const PERIOD_NAME: Record<BacktestEvery, string> = { day: 'bar', week: 'week', month: 'month' };

/** A daily series skips the weekend: after a Friday the next bar comes three days later. */
const SHORTEST_EXPECTED_GAP_DAYS = 3;

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * MILLISECONDS_PER_DAY).toISOString().slice(0, 10);
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / MILLISECONDS_PER_DAY);
}

/** Median days between consecutive bars (1 for fewer than two bars). */
function medianGapDays(bars: readonly PriceBar[]): number {
  const gaps = bars.slice(1).map((bar, index) => daysBetween((bars[index] as PriceBar).date, bar.date));
  gaps.sort((left, right) => left - right);
  return gaps[Math.floor(gaps.length / 2)] ?? 1;
}

/**
 * The last bar of each period across all of `bars` (oldest first), in order. The data's final period counts only
 * when the next bar, at the data's usual spacing (at least a weekend), would fall after the period's last
 * calendar day: daily data ending on a Wednesday has not finished its week, nor data ending on 2020-04-17 its
 * month, and that bar must not pass for a week's or month's close.
 */
function periodEnds(bars: readonly PriceBar[], every: BacktestEvery): PriceBar[] {
  const periodOf = PERIOD_OF[every];
  const ends: PriceBar[] = [];
  bars.forEach((bar, index) => {
    const next = bars[index + 1];
    if (next && periodOf(next.date) !== periodOf(bar.date)) ends.push(bar);
  });
  const last = bars[bars.length - 1];
  if (last) {
    const nextExpected = addDays(last.date, Math.max(SHORTEST_EXPECTED_GAP_DAYS, medianGapDays(bars)));
    if (nextExpected > PERIOD_END[every](last.date)) ends.push(last);
  }
  return ends;
}

function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}

/**
 * The analysis dates of a backtest over `bars` (oldest first): the dates in [`from`, `to`] of the bars that end a
 * period, where a period is one bar (`day`), an ISO week, Monday to Sunday in UTC (`week`), or a calendar month
 * (`month`). Periods are taken over all the data, so a week or month that ends after `to` is not in the plan,
 * and the data's last period counts only when the data looks to have finished it (see `periodEnds`).
 *
 * Each date's forward return runs from its close to the close of the next period's last bar: the next planned
 * date, or for the last date in range the last bar of the period after it when the data goes that far (else no
 * return). Coarse bars keep their own spacing: with monthly bars and `every: 'day'` (or `'week'`), every bar is
 * a date and the return is the month to the next bar.
 *
 * Throws {@link BacktestPlanError} when a date is not `YYYY-MM-DD`, `from` is after `to`, no period ends in the
 * range, or the range holds more than `maximumDates` dates.
 */
export function planBacktestDates(bars: readonly PriceBar[], options: BacktestPlanOptions): BacktestDate[] {
  const { from, to, every } = options;
  const maximumDates = options.maximumDates ?? DEFAULT_MAXIMUM_BACKTEST_DATES;
  for (const [flag, value] of [
    ['--from', from],
    ['--to', to],
  ] as const) {
    if (!isCalendarDate(value)) {
      throw new BacktestPlanError(
        `${flag} "${value}" is not a date: write a real calendar date as YYYY-MM-DD, e.g. 2019-01-02.`,
      );
    }
  }
  if (from > to) {
    throw new BacktestPlanError(`--from ${from} is after --to ${to}: give the earlier date first.`);
  }
  if (!Number.isInteger(maximumDates) || maximumDates < 1) {
    throw new BacktestPlanError(
      `The maximum number of backtest dates must be a whole number of at least 1 (got ${maximumDates}).`,
    );
  }
  const first = bars[0];
  const last = bars[bars.length - 1];
  if (!first || !last) {
    throw new BacktestPlanError('There are no price bars to backtest on: add price rows for the ticker.');
  }
  const coverage = `the data covers ${first.date} to ${last.date}`;
  const inRange = (date: string): boolean => date >= from && date <= to;
  if (!bars.some((bar) => inRange(bar.date))) {
    throw new BacktestPlanError(
      `No price bars lie between ${from} and ${to}: ${coverage}; pick a range inside it.`,
    );
  }

  const ends = periodEnds(bars, every);
  const firstIndex = ends.findIndex((bar) => inRange(bar.date));
  if (firstIndex < 0) {
    throw new BacktestPlanError(
      `No ${PERIOD_NAME[every]} ends between ${from} and ${to} (${coverage}): widen the range to take in a whole ${PERIOD_NAME[every]}, or use a finer --every.`,
    );
  }
  let endIndex = firstIndex;
  while (endIndex < ends.length && inRange((ends[endIndex] as PriceBar).date)) endIndex += 1;
  const count = endIndex - firstIndex;
  if (count > maximumDates) {
    const advice = every === 'month' ? 'narrow the range' : 'narrow the range or use a coarser --every';
    throw new BacktestPlanError(
      `Every ${every} from ${from} to ${to} makes ${formatCount(count)} analysis dates, more than the limit of ${formatCount(maximumDates)}: ${advice}.`,
    );
  }

  const dates: BacktestDate[] = [];
  for (let index = firstIndex; index < endIndex; index += 1) {
    const bar = ends[index] as PriceBar;
    const next = ends[index + 1];
    dates.push(
      next
        ? {
            date: bar.date,
            close: bar.close,
            nextDate: next.date,
            nextClose: next.close,
            forwardReturn: next.close / bar.close - 1,
          }
        : { date: bar.date, close: bar.close },
    );
  }
  return dates;
}
