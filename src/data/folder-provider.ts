import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { computeIndicators } from '../core/indicators';
import type { AnalysisInputs, FundamentalsSnapshot, NewsItem, SocialPost } from '../core/types';
import { parsePriceCsv, type ParsedPrices } from './csv';
import { DataError } from './errors';
import { selectPriceWindow } from './price-window';
import { priceHistoryOf, type MarketDataProvider, type MarketDataRequest, type PriceHistory } from './provider';
import { normalizeRequest, normalizeTicker } from './request';
import {
  emptyFundamentals,
  parseFundamentalsJson,
  parseNewsJson,
  parseSocialJson,
  readOptionalFile,
  selectFundamentals,
  selectRecentItems,
} from './ticker-files';

export interface FolderProviderOptions {
  /** Bars in the window when the request gives no lookback (default 60). */
  defaultLookback?: number;
  /** News dated up to this many days before the analysis date counts as current (default 14). */
  newsWindowDays?: number;
  /** Social posts dated up to this many days before the analysis date count as current (default 7). */
  socialWindowDays?: number;
}

/**
 * Reads the user's own data: `<folder>/<TICKER>/prices.csv` (`date,open,high,low,close[,volume]`, common header
 * variants accepted) and optional `news.json`, `social.json` and `fundamentals.json` in the shapes of
 * `src/core/types.ts`. Ticker folders match case-insensitively. A missing optional file gives an empty list and
 * a note in `sourceLabel`; news and posts older than their window are left out rather than shown as current.
 * Throws at creation when the folder does not exist, so a bad `--data-folder` fails at start.
 */
export function createFolderProvider(folder: string, options: FolderProviderOptions = {}): MarketDataProvider {
  const root = path.resolve(folder);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new Error(
      `Data folder "${root}" does not exist: create it with one sub-folder per ticker holding prices.csv, or use the bundled sample.`,
    );
  }
  const defaultLookback = options.defaultLookback ?? 60;
  const newsWindowDays = options.newsWindowDays ?? 14;
  const socialWindowDays = options.socialWindowDays ?? 7;

  /** Ticker (upper-case) to its folder name as written on disk. */
  const tickerFolders = async (): Promise<Map<string, string>> => {
    const entries = await readdir(root, { withFileTypes: true });
    const folders = new Map<string, string>();
    for (const entry of entries) {
      if (entry.isDirectory() && existsSync(path.join(root, entry.name, 'prices.csv'))) {
        folders.set(entry.name.toUpperCase(), entry.name);
      }
    }
    return folders;
  };

  /** The folder name on disk of an upper-case ticker; throws `UnknownTicker`, naming the tickers there are. */
  const folderOf = async (ticker: string): Promise<string> => {
    const folders = await tickerFolders();
    const folderName = folders.get(ticker);
    if (!folderName) {
      const known = [...folders.keys()].sort();
      throw new DataError(
        'UnknownTicker',
        `Unknown ticker "${ticker}": ${root} has no ${ticker}/prices.csv (${known.length > 0 ? `it has ${known.join(', ')}` : 'it has no ticker folders yet'}); add ${ticker}/prices.csv or pick another ticker.`,
      );
    }
    return folderName;
  };

  const readPrices = async (folderName: string): Promise<ParsedPrices> => {
    const text = (await readOptionalFile(path.join(root, folderName, 'prices.csv'))) ?? '';
    return parsePriceCsv(text, `${folderName}/prices.csv`);
  };

  return {
    label: `folder ${root}`,

    async listTickers(): Promise<string[]> {
      return [...(await tickerFolders()).keys()].sort();
    },

    async load(rawRequest: MarketDataRequest): Promise<AnalysisInputs> {
      const request = normalizeRequest(rawRequest);
      const { ticker, date } = request;
      const folderName = await folderOf(ticker);
      const tickerDirectory = path.join(root, folderName);
      const label = (file: string): string => `${folderName}/${file}`;

      const parsed = await readPrices(folderName);
      const window = selectPriceWindow(parsed.bars, {
        ticker,
        date,
        lookback: request.lookbackDays ?? defaultLookback,
        coverageLabel: label('prices.csv'),
      });

      const notes: string[] = [...parsed.notes, ...window.notes];
      const [newsText, socialText, fundamentalsText] = await Promise.all([
        readOptionalFile(path.join(tickerDirectory, 'news.json')),
        readOptionalFile(path.join(tickerDirectory, 'social.json')),
        readOptionalFile(path.join(tickerDirectory, 'fundamentals.json')),
      ]);

      let news: NewsItem[] = [];
      if (newsText === undefined) {
        notes.push('no news.json, so no news');
      } else {
        const read = parseNewsJson(newsText, label('news.json'));
        news = selectRecentItems(read.items, date, { windowDays: newsWindowDays, limit: 20, fallback: 'none' }).items;
        if (news.length === 0) notes.push(`no news dated within ${newsWindowDays} days before ${date}`);
        if (read.truncated > 0) notes.push(`${read.truncated} news bodies cut to 1,500 characters`);
      }

      let social: SocialPost[] = [];
      if (socialText === undefined) {
        notes.push('no social.json, so no social posts');
      } else {
        const read = parseSocialJson(socialText, label('social.json'));
        social = selectRecentItems(read.items, date, { windowDays: socialWindowDays, limit: 10, fallback: 'none' }).items;
        if (social.length === 0) notes.push(`no social posts dated within ${socialWindowDays} days before ${date}`);
        if (read.truncated > 0) notes.push(`${read.truncated} social posts cut to 600 characters`);
      }

      let fundamentals: FundamentalsSnapshot;
      if (fundamentalsText === undefined) {
        fundamentals = emptyFundamentals('No fundamentals.json in the data folder.');
        notes.push('no fundamentals.json, so no fundamentals');
      } else {
        const selected = selectFundamentals(parseFundamentalsJson(fundamentalsText, label('fundamentals.json')), date, 'none');
        fundamentals = selected.snapshot;
        if (selected.problem) notes.push(`fundamentals: ${selected.problem}`);
      }

      const first = window.bars[0]?.date ?? window.lastBarDate;
      const sourceLabel =
        `folder ${tickerDirectory}: ${window.bars.length} ${window.frequency} bars ${first} to ${window.lastBarDate}` +
        (notes.length > 0 ? ` (${notes.join('; ')})` : '') +
        '.';
      return {
        ticker,
        date,
        sourceLabel,
        isSample: false,
        prices: window.bars,
        indicators: computeIndicators(window.bars),
        news,
        social,
        fundamentals,
      };
    },

    async priceHistory(rawTicker: string): Promise<PriceHistory> {
      const ticker = normalizeTicker(rawTicker);
      const folderName = await folderOf(ticker);
      return priceHistoryOf(ticker, (await readPrices(folderName)).bars, `${folderName}/prices.csv`);
    },
  };
}
