import type { AnalysisInputs, PriceBar } from '../core/types';
import { noPriceRows } from './errors';
import { barFrequency, type BarFrequency } from './price-window';

/** What to load: one ticker on one analysis date. */
export interface MarketDataRequest {
  ticker: string;
  /** Analysis date, `YYYY-MM-DD`; the last bar on or before it is used (weekends and holidays are fine). */
  date: string;
  /**
   * How many bars the price window holds, counted in bars, not calendar days: trading days for daily data,
   * months for monthly data. Defaults depend on the provider (60 daily bars, 24 monthly bars).
   */
  lookbackDays?: number;
}

/** Every price bar a provider has for one ticker, for backtests that walk a range of dates. */
export interface PriceHistory {
  /** Upper-case ticker. */
  ticker: string;
  /** Oldest first, never empty. */
  bars: PriceBar[];
  frequency: BarFrequency;
}

/**
 * The {@link PriceHistory} of parsed bars, throwing `EmptyWindow` (the sentence a price window uses) when there
 * are none.
 */
export function priceHistoryOf(ticker: string, bars: readonly PriceBar[], coverageLabel: string): PriceHistory {
  if (bars.length === 0) {
    throw noPriceRows(ticker, coverageLabel);
  }
  return { ticker, bars: [...bars], frequency: barFrequency(bars) };
}

/**
 * A source of analysis inputs (prices, indicators, news, social posts, fundamentals). Implementations throw
 * {@link DataError} for problems the user can fix.
 */
export interface MarketDataProvider {
  /** Short description for logs and reports, e.g. `bundled sample` or `folder /data/market`. */
  readonly label: string;
  /** Tickers this provider can load, upper-case. */
  listTickers(): Promise<string[]>;
  load(request: MarketDataRequest): Promise<AnalysisInputs>;
  /**
   * All bars of one ticker, oldest first. Throws the same `UnknownTicker` as {@link load} for a ticker it does not
   * have, and `EmptyWindow` when the ticker has no bars.
   */
  priceHistory(ticker: string): Promise<PriceHistory>;
}
