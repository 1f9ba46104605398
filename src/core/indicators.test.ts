import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  computeIndicators,
  exponentialMovingAverageSeries,
  INDICATOR_NAMES,
  periodsPerYear,
} from './indicators';
import type { PriceBar } from './types';

function dailyDate(index: number): string {
  return new Date(Date.UTC(2020, 0, 1) + index * 86_400_000).toISOString().slice(0, 10);
}

function monthlyDate(index: number): string {
  return new Date(Date.UTC(2000, index, 1)).toISOString().slice(0, 10);
}

/** Bars whose close is `closes[i]`, with high/low one unit either side. */
function barsFromCloses(closes: number[], dateOf: (index: number) => string = dailyDate): PriceBar[] {
  return closes.map((close, index) => ({
    date: dateOf(index),
    open: close,
    high: close + 1,
    low: close - 1,
    close,
  }));
}

const linear = barsFromCloses(Array.from({ length: 60 }, (_, index) => index + 1));

describe('computeIndicators on a straight line of closes 1..60', () => {
  const indicators = computeIndicators(linear);

  test('simple moving averages are the means of the last N closes', () => {
    assert.equal(indicators.sma_10, 55.5); // mean of 51..60
    assert.equal(indicators.sma_50, 35.5); // mean of 11..60
  });

  test('an SMA-seeded EMA of a line lags it by (N - 1) / 2, so MACD is constant', () => {
    assert.equal(indicators.ema_12, 54.5);
    assert.equal(indicators.ema_26, 47.5);
    assert.equal(indicators.macd, 7);
    assert.equal(indicators.macd_signal, 7);
  });

  test('RSI of a series that only rises is 100', () => {
    assert.equal(indicators.rsi_14, 100);
  });

  test('Bollinger bands are the 20-bar mean plus/minus two population deviations', () => {
    const deviation = Math.sqrt((20 * 20 - 1) / 12); // population stdev of 20 consecutive integers
    assert.equal(indicators.bollinger_upper, Math.round((50.5 + 2 * deviation) * 100) / 100);
    assert.equal(indicators.bollinger_lower, Math.round((50.5 - 2 * deviation) * 100) / 100);
  });

  test('ATR equals the constant true range and returns follow the closes', () => {
    assert.equal(indicators.atr_14, 2);
    assert.equal(indicators.return_1, Math.round((60 / 59 - 1) * 10_000) / 10_000);
    assert.equal(indicators.return_20, 0.5); // 60 / 40 - 1
  });

  test('returns every named indicator and nothing else', () => {
    assert.deepEqual(Object.keys(indicators), [...INDICATOR_NAMES]);
  });
});

describe('computeIndicators on known and edge series', () => {
  test("RSI follows Wilder's worked example (StockCharts table, which rounds its averages, within 0.1)", () => {
    const closes = [
      44.34, 44.09, 44.15, 43.61, 44.33, 44.83, 45.1, 45.42, 45.84, 46.08, 45.89, 46.03, 45.61, 46.28, 46.28,
      46.0, 46.03, 46.41, 46.22, 45.64,
    ];
    const published = [70.53, 66.32, 66.55, 69.41, 66.36, 57.97];
    published.forEach((expected, offset) => {
      const rsi = computeIndicators(barsFromCloses(closes.slice(0, 15 + offset))).rsi_14 as number;
      assert.ok(
        Math.abs(rsi - expected) < 0.1,
        `RSI after ${15 + offset} closes: ${rsi}, published ${expected}`,
      );
    });
  });

  test('RSI stays within 0..100 on a noisy series, and is 0 on a series that only falls', () => {
    let seed = 7;
    const noisy = Array.from({ length: 200 }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return 100 + (seed / 2 ** 31) * 20;
    });
    const rsi = computeIndicators(barsFromCloses(noisy)).rsi_14 as number;
    assert.ok(rsi > 0 && rsi < 100, `rsi ${rsi}`);
    const falling = computeIndicators(barsFromCloses(Array.from({ length: 30 }, (_, index) => 100 - index)));
    assert.equal(falling.rsi_14, 0);
  });

  test('values are null where the window is too short', () => {
    const nine = computeIndicators(linear.slice(0, 9));
    assert.equal(nine.sma_10, null);
    assert.equal(nine.rsi_14, null);
    assert.equal(nine.return_1, Math.round((9 / 8 - 1) * 10_000) / 10_000);
    assert.equal(computeIndicators(linear.slice(0, 33)).macd_signal, null);
    assert.notEqual(computeIndicators(linear.slice(0, 34)).macd_signal, null);
    assert.equal(computeIndicators(linear.slice(0, 49)).sma_50, null);
    assert.equal(computeIndicators(linear.slice(0, 20)).volatility_20, null);
    assert.notEqual(computeIndicators(linear.slice(0, 21)).volatility_20, null);
    const empty = computeIndicators([]);
    assert.ok(Object.values(empty).every((value) => value === null));
  });

  test('volatility is annualised by the bar spacing: monthly bars by sqrt(12), daily by sqrt(252)', () => {
    const closes = Array.from({ length: 30 }, (_, index) => 100 * (1 + 0.01 * Math.sin(index)));
    const daily = computeIndicators(barsFromCloses(closes, dailyDate)).volatility_20 as number;
    const monthly = computeIndicators(barsFromCloses(closes, monthlyDate)).volatility_20 as number;
    assert.equal(periodsPerYear(barsFromCloses(closes, monthlyDate)), 12);
    assert.ok(Math.abs(daily / monthly - Math.sqrt(252 / 12)) < 0.01, `${daily} / ${monthly}`);
  });

  test('the EMA series starts at the simple average of its first N values', () => {
    assert.deepEqual(exponentialMovingAverageSeries([2, 4, 6, 8], 3), [4, 0.5 * 8 + 0.5 * 4]);
  });
});
