import type { AnalysisInputs } from '../core/types';

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
}
