import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMarketDataProvider } from './create-provider';
import { DataError } from './errors';
import { createFolderProvider } from './folder-provider';

const fixtureFolder = path.resolve(__dirname, '../../test/fixtures/market-folder');
const provider = createFolderProvider(fixtureFolder);

async function loadError(request: { ticker: string; date: string; lookbackDays?: number }): Promise<DataError> {
  try {
    await provider.load(request);
  } catch (error) {
    assert.ok(error instanceof DataError, `expected a DataError, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${JSON.stringify(request)} to fail`);
}

describe('folder provider', () => {
  test('lists the ticker folders that hold a prices.csv, upper-case', async () => {
    assert.deepEqual(await provider.listTickers(), ['ACME', 'BADJSON', 'BETA', 'BROKEN', 'EMPTY']);
  });

  test('reads a Yahoo-style CSV (Date, Adj Close, CRLF), using Close, and picks the window ending at the date', async () => {
    const inputs = await provider.load({ ticker: 'acme', date: '2021-05-01', lookbackDays: 30 });
    assert.equal(inputs.ticker, 'ACME');
    assert.equal(inputs.isSample, false);
    assert.equal(inputs.prices.length, 30);
    // 2021-05-01 is a Saturday: the last bar is Friday 2021-04-30, the 45th bar (close 100 + 44).
    assert.deepEqual(inputs.prices.at(-1), { date: '2021-04-30', open: 143.5, high: 145, low: 143, close: 144, volume: 1440 });
    assert.equal(inputs.prices[0]?.close, 115);
    assert.equal(inputs.indicators.sma_10, 139.5); // mean of 135..144
    assert.equal(inputs.indicators.rsi_14, 100);
    assert.match(inputs.sourceLabel, /^folder .*ACME: 30 daily bars 2021-03-22 to 2021-04-30\.$/);
  });

  test('news and posts come from the window before the date only; fundamentals from the latest asOf', async () => {
    const inputs = await provider.load({ ticker: 'ACME', date: '2021-04-30' });
    assert.deepEqual(
      inputs.news.map((item) => [item.date, item.headline]),
      [
        ['2021-04-30', 'ACME raises guidance'],
        ['2021-04-28', 'ACME wins large contract'],
      ],
    );
    assert.equal(inputs.social.length, 1);
    assert.equal(inputs.fundamentals.period, 'FY2020');
    assert.equal(inputs.fundamentals.metrics.trailing_pe, 18.2);
    assert.match(inputs.fundamentals.notes ?? '', /as of 2021-02-01/);
    const later = await provider.load({ ticker: 'ACME', date: '2021-05-03' });
    assert.equal(later.fundamentals.period, 'Q1 2021');
    assert.equal(later.news[0]?.headline, 'ACME news dated after the last bar');
  });

  test('a close-only file in a lower-case folder, without optional files, says what it assumed and what is missing', async () => {
    const inputs = await provider.load({ ticker: 'BETA', date: '2021-04-02' });
    assert.deepEqual(
      inputs.prices.map((bar) => [bar.date, bar.open, bar.high, bar.low, bar.close]),
      [
        ['2021-01-29', 10.5, 10.5, 10.5, 10.5],
        ['2021-02-26', 11.25, 11.25, 11.25, 11.25],
        ['2021-03-31', 1012, 1012, 1012, 1012],
      ],
    );
    assert.deepEqual([inputs.news, inputs.social], [[], []]);
    assert.deepEqual(inputs.fundamentals.metrics, {});
    assert.match(inputs.sourceLabel, /monthly bars/);
    assert.match(inputs.sourceLabel, /only close prices/);
    assert.match(inputs.sourceLabel, /no news\.json, so no news/);
    assert.match(inputs.sourceLabel, /no social\.json/);
    assert.match(inputs.sourceLabel, /no fundamentals\.json/);
  });

  test('a malformed row fails with MalformedData naming the file and the line', async () => {
    const error = await loadError({ ticker: 'BROKEN', date: '2021-03-05' });
    assert.equal(error.type, 'MalformedData');
    assert.equal(error.message, 'BROKEN/prices.csv line 5: close "abc" is not a positive number; fix or delete that row.');
  });

  test('invalid JSON fails with MalformedData naming the file and the line', async () => {
    const error = await loadError({ ticker: 'BADJSON', date: '2021-03-01' });
    assert.equal(error.type, 'MalformedData');
    assert.match(error.message, /^BADJSON\/news\.json line 3: not valid JSON/);
  });

  test('a file with a header and no rows is an empty window', async () => {
    const error = await loadError({ ticker: 'EMPTY', date: '2021-03-01' });
    assert.equal(error.type, 'EmptyWindow');
    assert.match(error.message, /^No price rows for EMPTY in EMPTY\/prices\.csv/);
  });

  test('unknown ticker names the folder and the tickers it has; path tricks are refused', async () => {
    const error = await loadError({ ticker: 'ZZZ', date: '2021-03-01' });
    assert.equal(error.type, 'UnknownTicker');
    assert.match(error.message, /has no ZZZ\/prices\.csv \(it has ACME, BADJSON, BETA, BROKEN, EMPTY\)/);
    assert.equal((await loadError({ ticker: '../ACME', date: '2021-03-01' })).type, 'UnknownTicker');
  });

  test('date before the file covers', async () => {
    const error = await loadError({ ticker: 'ACME', date: '2021-02-26' });
    assert.equal(error.message, 'No price data for ACME on or before 2021-02-26: ACME/prices.csv covers 2021-03-01 to 2021-04-30.');
  });

  test('JSON items of the wrong shape name the item and field', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'tokenflow-folder-'));
    mkdirSync(path.join(folder, 'XYZ'));
    writeFileSync(path.join(folder, 'XYZ', 'prices.csv'), 'date,open,high,low,close\n2021-03-01,10,11,9,10.5\n');
    writeFileSync(path.join(folder, 'XYZ', 'social.json'), JSON.stringify([{ date: '2021-03-01', text: 'ok' }, { date: 'yesterday', text: 'x' }]));
    const error = await createFolderProvider(folder)
      .load({ ticker: 'XYZ', date: '2021-03-01' })
      .then(() => undefined, (caught: unknown) => caught);
    assert.ok(error instanceof DataError);
    assert.equal(error.type, 'MalformedData');
    assert.match(error.message, /^XYZ\/social\.json item 2: date "yesterday" is not a date/);
  });

  test('the factory refuses a folder that does not exist, at creation', () => {
    assert.throws(
      () => createMarketDataProvider({ kind: 'folder', folder: '/nonexistent/tokenflow-data' }),
      /Data folder "\/nonexistent\/tokenflow-data" does not exist/,
    );
    assert.throws(() => createMarketDataProvider({ kind: 'folder' }), /dataSource\.folder is required/);
    assert.match(createMarketDataProvider({ kind: 'folder', folder: fixtureFolder }).label, /^folder /);
    assert.match(createMarketDataProvider({ kind: 'sample' }).label, /^bundled sample/);
  });
});

describe('folder provider: price history', () => {
  async function historyError(ticker: string): Promise<DataError> {
    const error = await provider.priceHistory(ticker).then(
      () => assert.fail(`expected the history of ${ticker} to fail`),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof DataError, `expected a DataError, got ${String(error)}`);
    return error;
  }

  test('every bar of prices.csv, oldest first, with its frequency', async () => {
    const daily = await provider.priceHistory('acme');
    assert.equal(daily.ticker, 'ACME');
    assert.equal(daily.frequency, 'daily');
    assert.equal(daily.bars.length, 45);
    assert.deepEqual([daily.bars[0]?.date, daily.bars.at(-1)?.date], ['2021-03-01', '2021-04-30']);
    const monthly = await provider.priceHistory('BETA');
    assert.equal(monthly.frequency, 'monthly');
    assert.deepEqual(
      monthly.bars.map((bar) => bar.close),
      [10.5, 11.25, 1012],
    );
  });

  test('unknown ticker, no rows and a malformed row fail as load does', async () => {
    const unknown = await historyError('ZZZ');
    assert.equal(unknown.type, 'UnknownTicker');
    assert.equal(unknown.message, (await loadError({ ticker: 'ZZZ', date: '2021-03-01' })).message);
    const empty = await historyError('EMPTY');
    assert.equal(empty.type, 'EmptyWindow');
    assert.equal(empty.message, (await loadError({ ticker: 'EMPTY', date: '2021-03-01' })).message);
    assert.equal((await historyError('BROKEN')).type, 'MalformedData');
    assert.equal((await historyError('../ACME')).type, 'UnknownTicker');
  });
});
