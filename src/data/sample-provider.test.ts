import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DataError } from './errors';
import { vegaDatasetsDataDirectory } from './paths';
import { createSampleProvider, SAMPLE_TICKERS } from './sample-provider';

const provider = createSampleProvider();

/** Closes read straight from the vega-datasets file, independently of the provider's parser. */
function rawSp500Closes(): Map<string, number> {
  const lines = readFileSync(path.join(vegaDatasetsDataDirectory(), 'sp500-2000.csv'), 'utf8').trim().split('\n');
  return new Map(lines.slice(1).map((line) => [line.split(',')[0] as string, Number(line.split(',')[4])]));
}

async function loadError(request: { ticker: string; date: string; lookbackDays?: number }): Promise<DataError> {
  try {
    await provider.load(request);
  } catch (error) {
    assert.ok(error instanceof DataError, `expected a DataError, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${JSON.stringify(request)} to fail`);
}

describe('sample provider: SPX daily prices from vega-datasets', () => {
  test('reads the known close of 2020-04-17 and ends the window on the date', async () => {
    const inputs = await provider.load({ ticker: 'SPX', date: '2020-04-17' });
    const last = inputs.prices[inputs.prices.length - 1];
    assert.equal(last?.date, '2020-04-17');
    assert.equal(last?.close, 2874.56);
    assert.equal(last?.open, 2842.43);
    assert.equal(last?.volume, 5792140000);
    assert.equal(inputs.prices.length, 60);
    assert.equal(inputs.isSample, true);
    assert.match(inputs.sourceLabel, /sp500-2000\.csv/);
    assert.match(inputs.sourceLabel, /written samples/);
  });

  test('a Saturday resolves to the Friday, and Good Friday 2020 (market closed) to the Thursday', async () => {
    const saturday = await provider.load({ ticker: 'SPX', date: '2020-04-18' });
    assert.equal(saturday.date, '2020-04-18');
    assert.equal(saturday.prices.at(-1)?.date, '2020-04-17');
    const goodFriday = await provider.load({ ticker: 'spx', date: '2020-04-10' });
    assert.equal(goodFriday.ticker, 'SPX');
    assert.equal(goodFriday.prices.at(-1)?.date, '2020-04-09');
    assert.equal(goodFriday.prices.at(-1)?.close, 2789.82);
  });

  test('indicators agree with an SMA and return computed from the raw file', async () => {
    const closes = [...rawSp500Closes().entries()].filter(([date]) => date <= '2020-04-17').map(([, close]) => close);
    const lastTen = closes.slice(-10);
    const expectedSma = lastTen.reduce((sum, close) => sum + close, 0) / 10;
    const inputs = await provider.load({ ticker: 'SPX', date: '2020-04-17' });
    assert.ok(Math.abs((inputs.indicators.sma_10 as number) - expectedSma) < 0.01, `${inputs.indicators.sma_10} vs ${expectedSma}`);
    const expectedReturn = (closes.at(-1) as number) / (closes.at(-2) as number) - 1;
    assert.ok(Math.abs((inputs.indicators.return_1 as number) - expectedReturn) < 0.0001);
    const rsi = inputs.indicators.rsi_14 as number;
    assert.ok(rsi > 0 && rsi < 100);
  });

  test('the lookback sets the window and bars stay oldest first', async () => {
    const inputs = await provider.load({ ticker: 'SPX', date: '2020-04-17', lookbackDays: 5 });
    assert.deepEqual(
      inputs.prices.map((bar) => bar.date),
      ['2020-04-13', '2020-04-14', '2020-04-15', '2020-04-16', '2020-04-17'],
    );
    assert.equal(inputs.indicators.sma_10, null);
  });

  test('news is the sample items of the 14 days up to the date, newest first, none from after it', async () => {
    const inputs = await provider.load({ ticker: 'SPX', date: '2020-04-16' });
    const dates = inputs.news.map((item) => item.date);
    assert.ok(dates.length >= 3);
    assert.ok(dates.every((date) => date >= '2020-04-02' && date <= '2020-04-16'), dates.join(','));
    assert.deepEqual(dates, [...dates].sort().reverse());
    assert.ok(inputs.news.every((item) => item.source.startsWith('sample')));
    assert.ok(inputs.social.every((post) => post.platform.startsWith('sample')));
    assert.equal(inputs.fundamentals.period, 'Q4 2019 (trailing twelve months)');
    assert.equal(typeof inputs.fundamentals.metrics.dividend_yield_pct, 'number');
  });

  test('with no sample news near the date, earlier items keep their own dates and the label says so', async () => {
    const inputs = await provider.load({ ticker: 'SPX', date: '2015-06-15' });
    assert.ok(inputs.news.length > 0);
    assert.ok(inputs.news.every((item) => item.date < '2015-06-01'));
    assert.equal(inputs.news[0]?.date, '2011-08-08');
    assert.match(inputs.sourceLabel, /no sample news items in the 14 days before the date/);
  });
});

describe('sample provider: monthly stocks', () => {
  test('monthly bars carry the month-end close as open/high/low/close and no volume', async () => {
    const inputs = await provider.load({ ticker: 'AAPL', date: '2010-02-10' });
    const last = inputs.prices.at(-1);
    // vega-datasets labels the January 2010 close (192.06, 2010-01-29) "Jan 1 2010".
    assert.deepEqual(last, { date: '2010-01-31', open: 192.06, high: 192.06, low: 192.06, close: 192.06 });
    assert.equal(inputs.prices.length, 24);
    assert.match(inputs.sourceLabel, /stocks\.csv/);
    assert.match(inputs.sourceLabel, /volume is unknown/);
    assert.equal(inputs.indicators.ema_26, null);
    assert.notEqual(inputs.indicators.sma_10, null);
  });

  test('GOOG starts at its 2004 listing, so an early date gets a short window that says so', async () => {
    const inputs = await provider.load({ ticker: 'GOOG', date: '2005-01-15' });
    assert.equal(inputs.prices[0]?.date, '2004-08-31');
    assert.equal(inputs.prices.length, 5);
    assert.match(inputs.sourceLabel, /only 5 bars exist up to the date \(asked 24\)/);
  });

  test('every sample ticker loads, with 10-20 news items in its file and a payload well under 100 KB', async () => {
    assert.deepEqual(await provider.listTickers(), [...SAMPLE_TICKERS]);
    for (const ticker of SAMPLE_TICKERS) {
      const date = ticker === 'SPX' ? '2008-10-10' : '2008-10-20';
      const inputs = await provider.load({ ticker, date, lookbackDays: 250 });
      const bytes = Buffer.byteLength(JSON.stringify(inputs));
      assert.ok(bytes < 60_000, `${ticker}: ${bytes} bytes`);
      assert.ok(inputs.news.length > 0 && inputs.social.length > 0, ticker);
      assert.ok(Object.keys(inputs.fundamentals.metrics).length >= 5, ticker);
    }
  });
});

describe('sample provider: errors say what was wrong in one sentence', () => {
  test('unknown ticker', async () => {
    const error = await loadError({ ticker: 'xyz', date: '2020-01-02' });
    assert.equal(error.type, 'UnknownTicker');
    assert.equal(
      error.message,
      'Unknown ticker "XYZ": the bundled sample has SPX, AAPL, AMZN, GOOG, IBM, MSFT; use --data-folder for your own data.',
    );
  });

  test('date before the coverage', async () => {
    const error = await loadError({ ticker: 'AAPL', date: '1999-01-01' });
    assert.equal(error.type, 'NoDataForDate');
    assert.equal(error.message, 'No price data for AAPL on or before 1999-01-01: the sample covers 2000-01-31 to 2010-03-31.');
  });

  test('date long after the coverage is not silently answered with stale prices', async () => {
    const error = await loadError({ ticker: 'SPX', date: '2021-01-04' });
    assert.equal(error.type, 'NoDataForDate');
    assert.match(error.message, /covers 2000-01-03 to 2020-04-17 \(daily bars\)/);
  });

  test('impossible calendar date and a zero lookback', async () => {
    assert.equal((await loadError({ ticker: 'SPX', date: '2019-02-29' })).type, 'InvalidDate');
    assert.equal((await loadError({ ticker: 'SPX', date: '17/04/2020' })).type, 'InvalidDate');
    assert.equal((await loadError({ ticker: 'SPX', date: '2020-04-17', lookbackDays: 0 })).type, 'EmptyWindow');
  });
});

describe('sample provider: price history', () => {
  test('SPX is every daily bar of the file, oldest first, with the prices load reads', async () => {
    const history = await provider.priceHistory(' spx ');
    assert.equal(history.ticker, 'SPX');
    assert.equal(history.frequency, 'daily');
    assert.equal(history.bars.length, rawSp500Closes().size);
    assert.equal(history.bars[0]?.date, '2000-01-03');
    assert.deepEqual(history.bars.at(-1), (await provider.load({ ticker: 'SPX', date: '2020-04-17' })).prices.at(-1));
    assert.ok(history.bars.every((bar, index) => index === 0 || (history.bars[index - 1]?.date ?? '') < bar.date));
  });

  test('a monthly stock is monthly, dated at month end', async () => {
    const history = await provider.priceHistory('AAPL');
    assert.equal(history.frequency, 'monthly');
    assert.deepEqual([history.bars[0]?.date, history.bars.at(-1)?.date], ['2000-01-31', '2010-03-31']);
  });

  test('an unknown ticker fails with the sentence of load', async () => {
    const error = await provider.priceHistory('xyz').then(
      () => assert.fail('expected an unknown ticker to fail'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof DataError);
    assert.equal(error.type, 'UnknownTicker');
    assert.equal((await loadError({ ticker: 'xyz', date: '2020-01-02' })).message, error.message);
  });
});
