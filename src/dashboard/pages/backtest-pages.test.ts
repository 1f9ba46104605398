import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  listBacktestReports,
  parseBacktestReport,
  readBacktestReport,
  type BacktestListing,
} from '../backtest-reports';
import { writeSampleBacktestReport } from '../test-backtest-reports';
import { backtestPage } from './backtest-page';
import { backtestsPage } from './backtests-page';
import type { PageContext } from './layout';

const CONTEXT: PageContext = { temporalUi: { url: 'http://localhost:8233', namespace: 'default' } };
const HOSTILE = '<img src=x onerror=alert(1)>';

/** The cells of the table row whose opening tag matches `opening`, as text without tags. */
function rowCells(page: string, opening: RegExp): string[] {
  const start = page.search(opening);
  assert.ok(start >= 0, `a row ${opening}`);
  const row = page.slice(start, page.indexOf('</tr>', start));
  return [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) =>
    (cell[1] ?? '')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  );
}

function chartConfig(
  page: string,
  id: string,
): { data: { labels: string[]; datasets: Array<{ label: string; data: number[] }> } } {
  const match = new RegExp(`<script type="application/json" id="${id}">([\\s\\S]*?)</script>`).exec(page);
  assert.ok(match, `the page embeds ${id}`);
  return JSON.parse(match[1] ?? '');
}

describe('backtest pages', () => {
  let folder: string;
  let listing: BacktestListing;

  before(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'tokenflow-backtest-pages-'));
    const id = await writeSampleBacktestReport(folder);
    const read = await readBacktestReport(folder, id);
    assert.ok(read);
    listing = read;
  });

  after(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  test('a backtest’s page: per mode the hit rate, its interval, tokens and cost, and the agreement', () => {
    const page = backtestPage(listing, CONTEXT);
    // optimized: BUY up (hit), SELL up (miss), SELL down (hit), HOLD; baseline: BUY up (hit), HOLD, failed, skipped.
    assert.deepEqual(rowCells(page, /<tr data-mode="optimized">/), [
      'optimized',
      '4',
      '4 completed',
      '66.7% (2 of 3)',
      '20.8%–93.9%',
      '161,000',
      '40,250',
      '$0.0360 (cost of 1 run unknown)',
    ]);
    assert.deepEqual(rowCells(page, /<tr data-mode="baseline">/), [
      'baseline',
      '4',
      '2 completed, 1 failed, 1 skipped',
      '100.0% (1 of 1)',
      '20.7%–100.0%',
      '422,345',
      '205,000',
      '$0.1230 (cost of 1 run unknown)',
    ]);
    assert.match(page, /<strong data-field="agreement">1 of 2 \(50\.0%\)<\/strong>/);
    assert.match(page, /<a href="\/backtests" aria-current="page">Backtests<\/a>/);
  });

  test('per date each run with its decision, forward return, tokens, cost and links to it', () => {
    const page = backtestPage(listing, CONTEXT);
    assert.equal([...page.matchAll(/<tr class="backtest-entry"/g)].length, 8);
    const cells = rowCells(page, /<tr class="backtest-entry" data-date="2019-01-11" data-mode="optimized">/);
    assert.deepEqual(cells.slice(0, 8), [
      '2019-01-11',
      'optimized',
      'SELL',
      '+2.88%',
      'miss',
      '42,000',
      '$0.0130',
      'completed',
    ]);
    assert.ok(
      page.includes(
        'href="http://localhost:8233/namespaces/default/workflows/backtest-1-2019-01-11-optimized"',
      ),
    );
    assert.ok(page.includes('href="/runs/backtest-1-2019-01-11-optimized"'));
    assert.ok(
      page.includes('href="http://localhost:8233/namespaces/default/workflows/backtest-1"'),
      'the parent',
    );
    const skipped = rowCells(page, /<tr class="backtest-entry" data-date="2019-01-25" data-mode="baseline">/);
    assert.match(skipped[7] ?? '', /^skipped: the batch budget had 1000 tokens left/);
    assert.equal(skipped[8], '', 'a skipped run never started: nothing to link to');
  });

  test('the chart adds up each mode’s tokens date by date', () => {
    const chart = chartConfig(backtestPage(listing, CONTEXT), 'chart-backtest-tokens');
    assert.deepEqual(chart.data.labels, ['2019-01-04', '2019-01-11', '2019-01-18', '2019-01-25']);
    assert.deepEqual(
      chart.data.datasets.map((dataset) => [dataset.label, dataset.data]),
      [
        ['baseline tokens, cumulative', [200_000, 410_000, 422_345, 422_345]],
        ['optimized tokens, cumulative', [40_000, 82_000, 120_000, 161_000]],
      ],
    );
  });

  test('the list: one row per backtest with its figures, a malformed file with its note, text escaped', async () => {
    await writeSampleBacktestReport(folder, {
      backtestId: 'backtest-hostile',
      ticker: HOSTILE,
      generatedAt: '2026-03-03T00:00:00Z',
    });
    const listings = [
      ...(await listBacktestReports(folder)),
      parseBacktestReport('backtest-broken', '{"backtestId":', '2026-01-01T00:00:00.000Z'),
    ];
    const page = backtestsPage({ listings }, CONTEXT);
    assert.ok(!page.includes(HOSTILE), 'no report text becomes markup');
    assert.deepEqual(rowCells(page, /<tr data-backtest-id="backtest-1">/), [
      'backtest-1',
      'SPX',
      '2019-01-04 to 2019-01-25, every week',
      'baseline, optimized',
      '8',
      '583,345',
      '$0.1590 (cost of 2 runs unknown)',
      'baseline: 100.0% (1 of 1) optimized: 66.7% (2 of 3)',
      '1 of 2 (50.0%)',
      '2026-03-02 09:00:00 UTC',
    ]);
    assert.ok(
      page.indexOf('data-backtest-id="backtest-hostile"') < page.indexOf('data-backtest-id="backtest-1"'),
      'newest first',
    );
    assert.match(rowCells(page, /<tr data-backtest-id="backtest-broken"/)[1] ?? '', /^The file is not JSON/);
    assert.ok(page.includes('href="/backtests/backtest-broken"'));
  });

  test('without reports the list says how to make one', () => {
    assert.match(backtestsPage({ listings: [] }, CONTEXT), /No backtest report yet/);
    assert.match(backtestsPage({}, CONTEXT), /started without a reports folder/);
  });

  test('a malformed report’s page says what is wrong with it', () => {
    const page = backtestPage(
      parseBacktestReport('backtest-broken', '[]', '2026-01-01T00:00:00.000Z'),
      CONTEXT,
    );
    assert.match(page, /<p class="warning" id="backtest-problem">The file is not a backtest report/);
  });
});
