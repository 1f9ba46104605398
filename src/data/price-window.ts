import { periodsPerYear } from '../core/indicators';
import type { PriceBar } from '../core/types';
import { daysBetween } from './dates';
import { DataError, noPriceRows } from './errors';
import { MAXIMUM_LOOKBACK_BARS } from './request';

export type BarFrequency = 'daily' | 'weekly' | 'monthly';

/** The bars one analysis reads, ending at the last bar on or before the analysis date. */
export interface PriceWindow {
  bars: PriceBar[];
  /** Date of the last bar in the window (the analysis date itself, or the trading day before it). */
  lastBarDate: string;
  frequency: BarFrequency;
  /** What the window had to give up (fewer bars than asked, a capped lookback), for the source label. */
  notes: string[];
}

export interface PriceWindowOptions {
  ticker: string;
  date: string;
  /** Bars wanted; capped at {@link MAXIMUM_LOOKBACK_BARS}. */
  lookback: number;
  /** Names the data in messages: `the sample`, `AAPL/prices.csv`. */
  coverageLabel: string;
}

/** Days a last bar may lie before the analysis date before it counts as no data for that date. */
const STALE_AFTER_DAYS: Record<BarFrequency, number> = { daily: 10, weekly: 14, monthly: 45 };

/** Bar frequency from the bars' median spacing. */
export function barFrequency(bars: readonly PriceBar[]): BarFrequency {
  const perYear = periodsPerYear(bars);
  return perYear === 12 ? 'monthly' : perYear === 52 ? 'weekly' : 'daily';
}

/** Index of the last bar dated on or before `date` in bars sorted oldest first, or -1. */
function lastIndexOnOrBefore(bars: readonly PriceBar[], date: string): number {
  let low = 0;
  let high = bars.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if ((bars[middle] as PriceBar).date <= date) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}

/**
 * Picks the `lookback` bars ending at the last bar on or before `date` (so a weekend or holiday resolves to the
 * trading day before). Throws `EmptyWindow` when there are no bars at all, and `NoDataForDate` when the date is
 * before the first bar or so long after the last one that the data says nothing about it.
 */
export function selectPriceWindow(bars: readonly PriceBar[], options: PriceWindowOptions): PriceWindow {
  const { ticker, date, coverageLabel } = options;
  const first = bars[0];
  const last = bars[bars.length - 1];
  if (!first || !last) {
    throw noPriceRows(ticker, coverageLabel);
  }
  const frequency = barFrequency(bars);
  const coverage = `${coverageLabel} covers ${first.date} to ${last.date}`;
  const index = lastIndexOnOrBefore(bars, date);
  if (index < 0) {
    throw new DataError('NoDataForDate', `No price data for ${ticker} on or before ${date}: ${coverage}.`);
  }
  const lastBar = bars[index] as PriceBar;
  const age = daysBetween(lastBar.date, date);
  if (age > STALE_AFTER_DAYS[frequency]) {
    throw new DataError(
      'NoDataForDate',
      `No price data for ${ticker} near ${date}: ${coverage} (${frequency} bars), so the latest bar is ${age} days older than the date; pick a date in that range.`,
    );
  }
  const notes: string[] = [];
  let lookback = options.lookback;
  if (lookback > MAXIMUM_LOOKBACK_BARS) {
    notes.push(`lookback capped at ${MAXIMUM_LOOKBACK_BARS} bars (asked ${lookback})`);
    lookback = MAXIMUM_LOOKBACK_BARS;
  }
  const window = bars.slice(Math.max(0, index + 1 - lookback), index + 1);
  if (window.length < lookback) notes.push(`only ${window.length} bars exist up to the date (asked ${lookback})`);
  return { bars: window, lastBarDate: lastBar.date, frequency, notes };
}
