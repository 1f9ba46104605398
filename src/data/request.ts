import { isCalendarDate } from './dates';
import { DataError } from './errors';
import type { MarketDataRequest } from './provider';

/** Longest price window one run carries, to keep the activity payload and the prompts small. */
export const MAXIMUM_LOOKBACK_BARS = 250;

const TICKER = /^[A-Z0-9][A-Z0-9._-]{0,14}$/;

/**
 * Upper-cases and checks a ticker. Only letters, digits, `.`, `-` and `_` are accepted, which also keeps a
 * ticker from escaping the data folder when it is used as a folder name.
 */
export function normalizeTicker(ticker: string): string {
  const normalized = String(ticker ?? '').trim().toUpperCase();
  if (!TICKER.test(normalized)) {
    throw new DataError(
      'UnknownTicker',
      `Invalid ticker "${String(ticker ?? '')}": use 1 to 15 letters, digits, '.', '-' or '_', e.g. AAPL.`,
    );
  }
  return normalized;
}

/** Checks that `date` is a real calendar date written `YYYY-MM-DD`. */
export function validateDate(date: string): string {
  const trimmed = String(date ?? '').trim();
  if (!isCalendarDate(trimmed)) {
    throw new DataError('InvalidDate', `Invalid date "${String(date ?? '')}": use a real calendar date as YYYY-MM-DD, e.g. 2020-04-17.`);
  }
  return trimmed;
}

/** A checked request: upper-case ticker, valid date, whole positive lookback (if given). */
export function normalizeRequest(request: MarketDataRequest): MarketDataRequest {
  const ticker = normalizeTicker(request.ticker);
  const date = validateDate(request.date);
  const { lookbackDays } = request;
  if (lookbackDays === undefined || lookbackDays === null) return { ticker, date };
  if (!Number.isInteger(lookbackDays) || lookbackDays < 1) {
    throw new DataError(
      'EmptyWindow',
      `A lookback of ${String(lookbackDays)} bars selects no prices: use a whole number of at least 1, e.g. 60.`,
    );
  }
  return { ticker, date, lookbackDays };
}
