import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { computeIndicators } from '../core/indicators';
import type { AnalysisInputs, PriceBar } from '../core/types';
import { parseCsv, parsePriceCsv } from './csv';
import { parseDateText } from './dates';
import { DataError } from './errors';
import { projectSamplesDirectory, vegaDatasetsDataDirectory } from './paths';
import { selectPriceWindow } from './price-window';
import { priceHistoryOf, type MarketDataProvider, type MarketDataRequest, type PriceHistory } from './provider';
import { normalizeRequest, normalizeTicker } from './request';
import {
  parseFundamentalsJson,
  parseNewsJson,
  parseSocialJson,
  selectFundamentals,
  selectRecentItems,
  type DatedFundamentals,
} from './ticker-files';
import type { NewsItem, SocialPost } from '../core/types';

/** Tickers in the bundled sample: the S&P 500 index, then the five stocks of vega-datasets' stocks.csv. */
export const SAMPLE_TICKERS = ['SPX', 'AAPL', 'AMZN', 'GOOG', 'IBM', 'MSFT'] as const;

const INDEX_TICKER = 'SPX';
const DEFAULT_DAILY_LOOKBACK = 60;
const DEFAULT_MONTHLY_LOOKBACK = 24;

export interface SampleProviderOptions {
  /** Folder holding `sp500-2000.csv` and `stocks.csv`; defaults to the installed vega-datasets package. */
  vegaDataDirectory?: string;
  /** Folder with one `<TICKER>/{news,social,fundamentals}.json` per ticker; defaults to the project's `samples`. */
  samplesDirectory?: string;
  /** News dated up to this many days before the analysis date counts as current (default 14). */
  newsWindowDays?: number;
  /** Social posts dated up to this many days before the analysis date count as current (default 7). */
  socialWindowDays?: number;
}

interface SampleTexts {
  news: NewsItem[];
  social: SocialPost[];
  fundamentals: DatedFundamentals[];
}

/** Says, in the source label, which sample items stand in when none is dated near the analysis date. */
function fallbackNote(kind: string, windowDays: number, fallback: 'earlier' | 'later' | undefined): string {
  if (fallback === 'earlier') return `no sample ${kind} in the ${windowDays} days before the date, so the latest earlier ones are shown with their own dates`;
  if (fallback === 'later') return `every sample ${kind.replace(/s$/, '')} postdates the date; the earliest are shown with their own dates`;
  return '';
}

function roundPrice(value: number): number {
  return Math.round(value * 100) / 100;
}

/** The source files carry float noise (1438.359985); cents are what the prices really are. */
function roundBar(bar: PriceBar): PriceBar {
  const rounded: PriceBar = {
    date: bar.date,
    open: roundPrice(bar.open),
    high: roundPrice(bar.high),
    low: roundPrice(bar.low),
    close: roundPrice(bar.close),
  };
  if (bar.volume !== undefined) rounded.volume = Math.round(bar.volume);
  return rounded;
}

/** Throws `UnknownTicker` for an upper-case ticker the bundled sample does not have. */
function checkSampleTicker(ticker: string): void {
  if (!(SAMPLE_TICKERS as readonly string[]).includes(ticker)) {
    throw new DataError(
      'UnknownTicker',
      `Unknown ticker "${ticker}": the bundled sample has ${SAMPLE_TICKERS.join(', ')}; use --data-folder for your own data.`,
    );
  }
}

/**
 * The last calendar day of `date`'s month. vega-datasets labels each monthly price with the 1st of the month,
 * but the price is that month's last close (AAPL "Jan 1 2000" 25.94 is the split-adjusted close of 2000-01-31),
 * so dating the bar on the 1st would hand an analysis on the 15th a price from two weeks later.
 */
function endOfMonth(date: string): string {
  const [year, month] = date.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
}

/**
 * Monthly bars per symbol from vega-datasets' `symbol,date,price` file (dates like `Jan 1 2000`), each dated
 * on its month's last day.
 */
function parseMonthlyStocks(text: string, fileLabel: string): Map<string, PriceBar[]> {
  const table = parseCsv(text, fileLabel);
  const bySymbol = new Map<string, PriceBar[]>();
  for (const record of table.records) {
    const [symbol = '', rawDate = '', rawPrice = ''] = record.fields;
    const date = parseDateText(rawDate);
    const price = Number(rawPrice);
    if (!date || !Number.isFinite(price) || price <= 0) {
      throw new DataError('MalformedData', `${fileLabel} line ${record.line}: expected symbol,date,price; reinstall vega-datasets.`);
    }
    const close = roundPrice(price);
    const bars = bySymbol.get(symbol) ?? [];
    bars.push({ date: endOfMonth(date), open: close, high: close, low: close, close });
    bySymbol.set(symbol, bars);
  }
  for (const bars of bySymbol.values()) bars.sort((left, right) => (left.date < right.date ? -1 : 1));
  return bySymbol;
}

/**
 * The bundled offline sample. Prices are real public data shipped by the vega-datasets npm package:
 * `sp500-2000.csv` (S&P 500 daily OHLCV 2000-01-03 to 2020-04-17, from Yahoo Finance) as ticker `SPX`, and
 * `stocks.csv` (one price per month, 2000 to 2010, for MSFT, AAPL, AMZN, GOOG from its 2004 listing, IBM): the
 * month's last close, adjusted for splits, dated here on the month's last day; its bars have open = high = low =
 * close and no volume. News, social posts and fundamentals are written samples
 * from `samples/<TICKER>/`, labelled `sample` in every item and in `sourceLabel`; `isSample` is always true.
 */
export function createSampleProvider(options: SampleProviderOptions = {}): MarketDataProvider {
  const vegaDirectory = options.vegaDataDirectory ?? vegaDatasetsDataDirectory();
  const samplesDirectory = options.samplesDirectory ?? projectSamplesDirectory();
  const newsWindowDays = options.newsWindowDays ?? 14;
  const socialWindowDays = options.socialWindowDays ?? 7;
  for (const required of [path.join(vegaDirectory, 'sp500-2000.csv'), path.join(vegaDirectory, 'stocks.csv'), samplesDirectory]) {
    if (!existsSync(required)) throw new Error(`The bundled sample is incomplete: ${required} is missing; reinstall with npm install.`);
  }

  let pricesPromise: Promise<Map<string, PriceBar[]>> | undefined;
  const loadPrices = (): Promise<Map<string, PriceBar[]>> => {
    pricesPromise ??= (async () => {
      const [indexText, stocksText] = await Promise.all([
        readFile(path.join(vegaDirectory, 'sp500-2000.csv'), 'utf8'),
        readFile(path.join(vegaDirectory, 'stocks.csv'), 'utf8'),
      ]);
      const prices = parseMonthlyStocks(stocksText, 'vega-datasets stocks.csv');
      prices.set(INDEX_TICKER, parsePriceCsv(indexText, 'vega-datasets sp500-2000.csv').bars.map(roundBar));
      return prices;
    })();
    // A failed read must not poison every later call.
    pricesPromise.catch(() => (pricesPromise = undefined));
    return pricesPromise;
  };

  const textsCache = new Map<string, Promise<SampleTexts>>();
  const loadTexts = (ticker: string): Promise<SampleTexts> => {
    let texts = textsCache.get(ticker);
    if (!texts) {
      const read = (name: string): Promise<string> => readFile(path.join(samplesDirectory, ticker, name), 'utf8');
      texts = Promise.all([read('news.json'), read('social.json'), read('fundamentals.json')]).then(
        ([news, social, fundamentals]) => ({
          news: parseNewsJson(news, `samples/${ticker}/news.json`).items,
          social: parseSocialJson(social, `samples/${ticker}/social.json`).items,
          fundamentals: parseFundamentalsJson(fundamentals, `samples/${ticker}/fundamentals.json`),
        }),
      );
      texts.catch(() => textsCache.delete(ticker));
      textsCache.set(ticker, texts);
    }
    return texts;
  };

  return {
    label: 'bundled sample (vega-datasets prices, written sample news, social posts and fundamentals)',

    listTickers(): Promise<string[]> {
      return Promise.resolve([...SAMPLE_TICKERS]);
    },

    async load(rawRequest: MarketDataRequest): Promise<AnalysisInputs> {
      const request = normalizeRequest(rawRequest);
      const { ticker, date } = request;
      checkSampleTicker(ticker);
      const isIndex = ticker === INDEX_TICKER;
      const bars = (await loadPrices()).get(ticker) ?? [];
      const window = selectPriceWindow(bars, {
        ticker,
        date,
        lookback: request.lookbackDays ?? (isIndex ? DEFAULT_DAILY_LOOKBACK : DEFAULT_MONTHLY_LOOKBACK),
        coverageLabel: 'the sample',
      });
      const texts = await loadTexts(ticker);
      const news = selectRecentItems(texts.news, date, { windowDays: newsWindowDays, limit: 20, fallback: 'nearest' });
      const social = selectRecentItems(texts.social, date, { windowDays: socialWindowDays, limit: 10, fallback: 'nearest' });
      const fundamentals = selectFundamentals(texts.fundamentals, date, 'nearest');

      const priceSource = isIndex
        ? 'vega-datasets sp500-2000.csv (S&P 500 index, daily OHLCV from Yahoo Finance)'
        : 'vega-datasets stocks.csv (one real adjusted close per month, dated at month end; open, high and low equal it and volume is unknown)';
      const first = window.bars[0]?.date ?? window.lastBarDate;
      const sampleNotes = [
        fallbackNote('news items', newsWindowDays, news.fallback),
        fallbackNote('social posts', socialWindowDays, social.fallback),
        fundamentals.problem ? `fundamentals: ${fundamentals.problem}` : '',
      ].filter(Boolean);
      const sourceLabel =
        `bundled sample: real prices from ${priceSource}, ${window.bars.length} ${window.frequency} bars ${first} to ${window.lastBarDate}` +
        (window.notes.length > 0 ? ` (${window.notes.join('; ')})` : '') +
        `; news, social posts and fundamentals are written samples (samples/${ticker}), not real reports` +
        (sampleNotes.length > 0 ? ` (${sampleNotes.join('; ')})` : '') +
        '.';

      return {
        ticker,
        date,
        sourceLabel,
        isSample: true,
        prices: window.bars,
        indicators: computeIndicators(window.bars),
        news: news.items,
        social: social.items,
        fundamentals: fundamentals.snapshot,
      };
    },

    async priceHistory(rawTicker: string): Promise<PriceHistory> {
      const ticker = normalizeTicker(rawTicker);
      checkSampleTicker(ticker);
      return priceHistoryOf(ticker, (await loadPrices()).get(ticker) ?? [], 'the sample');
    },
  };
}
