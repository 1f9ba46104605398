import type { PriceBar } from './types';

/**
 * Names of the indicators {@link computeIndicators} returns, in a stable order so prompts and tests see the
 * same table every time.
 */
export const INDICATOR_NAMES = [
  'sma_10',
  'sma_50',
  'ema_12',
  'ema_26',
  'macd',
  'macd_signal',
  'rsi_14',
  'bollinger_upper',
  'bollinger_lower',
  'atr_14',
  'return_1',
  'return_20',
  'volatility_20',
] as const;

export type IndicatorName = (typeof INDICATOR_NAMES)[number];

function round(value: number | null, decimals: number): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  const factor = 10 ** decimals;
  const rounded = Math.round(value * factor) / factor;
  // Avoid handing `-0` to a prompt or a JSON payload.
  return rounded === 0 ? 0 : rounded;
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Simple moving average of the last `period` values; null when there are fewer. */
export function simpleMovingAverage(values: readonly number[], period: number): number | null {
  if (values.length < period || period < 1) return null;
  return mean(values.slice(-period));
}

/**
 * Exponential moving average series (alpha = 2 / (period + 1)), seeded with the simple average of the first
 * `period` values as most charting tools do. Entry `i` of the result belongs to `values[i + period - 1]`;
 * empty when there are fewer than `period` values.
 */
export function exponentialMovingAverageSeries(values: readonly number[], period: number): number[] {
  if (values.length < period || period < 1) return [];
  const alpha = 2 / (period + 1);
  const series = [mean(values.slice(0, period))];
  for (let index = period; index < values.length; index += 1) {
    const previous = series[series.length - 1] as number;
    series.push(alpha * (values[index] as number) + (1 - alpha) * previous);
  }
  return series;
}

function last(values: readonly number[]): number | null {
  return values.length === 0 ? null : (values[values.length - 1] as number);
}

/** Wilder's RSI: averages of gains and losses seeded over the first `period` changes, then smoothed. */
function relativeStrengthIndex(closes: readonly number[], period: number): number | null {
  if (closes.length < period + 1) return null;
  let averageGain = 0;
  let averageLoss = 0;
  for (let index = 1; index <= period; index += 1) {
    const change = (closes[index] as number) - (closes[index - 1] as number);
    averageGain += Math.max(change, 0) / period;
    averageLoss += Math.max(-change, 0) / period;
  }
  for (let index = period + 1; index < closes.length; index += 1) {
    const change = (closes[index] as number) - (closes[index - 1] as number);
    averageGain = (averageGain * (period - 1) + Math.max(change, 0)) / period;
    averageLoss = (averageLoss * (period - 1) + Math.max(-change, 0)) / period;
  }
  if (averageLoss === 0) return averageGain === 0 ? 50 : 100;
  return 100 - 100 / (1 + averageGain / averageLoss);
}

/** Wilder's average true range; the true range needs the previous close, so `period + 1` bars are needed. */
function averageTrueRange(bars: readonly PriceBar[], period: number): number | null {
  if (bars.length < period + 1) return null;
  const trueRanges: number[] = [];
  for (let index = 1; index < bars.length; index += 1) {
    const bar = bars[index] as PriceBar;
    const previousClose = (bars[index - 1] as PriceBar).close;
    trueRanges.push(
      Math.max(bar.high - bar.low, Math.abs(bar.high - previousClose), Math.abs(bar.low - previousClose)),
    );
  }
  let average = mean(trueRanges.slice(0, period));
  for (let index = period; index < trueRanges.length; index += 1) {
    average = (average * (period - 1) + (trueRanges[index] as number)) / period;
  }
  return average;
}

function populationStandardDeviation(values: readonly number[]): number {
  const average = mean(values);
  return Math.sqrt(mean(values.map((value) => (value - average) ** 2)));
}

function sampleStandardDeviation(values: readonly number[]): number {
  const average = mean(values);
  return Math.sqrt(values.reduce((sum, value) => sum + (value - average) ** 2, 0) / (values.length - 1));
}

/**
 * Bars per year, guessed from the median spacing of the bars' dates: 252 for daily bars, 52 for weekly, 12 for
 * monthly. Used only to annualise volatility, so that monthly sample data is not annualised as if it were daily.
 */
export function periodsPerYear(bars: readonly PriceBar[]): number {
  if (bars.length < 2) return 252;
  const gaps: number[] = [];
  for (let index = 1; index < bars.length; index += 1) {
    const days =
      (Date.parse(`${(bars[index] as PriceBar).date}T00:00:00Z`) -
        Date.parse(`${(bars[index - 1] as PriceBar).date}T00:00:00Z`)) /
      86_400_000;
    if (Number.isFinite(days)) gaps.push(days);
  }
  gaps.sort((left, right) => left - right);
  const median = gaps[Math.floor(gaps.length / 2)] ?? 1;
  if (median >= 20) return 12;
  if (median >= 5) return 52;
  return 252;
}

/**
 * Technical indicators at the last bar of `bars` (oldest first), computed from those bars only. Each value is
 * null when the bars are too few for its window.
 *
 * - `sma_10`, `sma_50`: simple moving averages of the close.
 * - `ema_12`, `ema_26`: exponential moving averages seeded with a simple average.
 * - `macd` = ema_12 - ema_26; `macd_signal`: 9-bar EMA of the MACD line (needs 34 bars).
 * - `rsi_14`: Wilder's relative strength index, 0 to 100 (15 bars).
 * - `bollinger_upper` / `bollinger_lower`: 20-bar SMA plus/minus two population standard deviations.
 * - `atr_14`: Wilder's average true range (15 bars).
 * - `return_1`, `return_20`: simple returns over 1 and 20 bars, as fractions (0.0123 = 1.23 %).
 * - `volatility_20`: sample standard deviation of the last 20 one-bar returns, annualised by the square root of
 *   {@link periodsPerYear} (so for monthly bars it is 20 monthly returns times sqrt(12), for daily bars sqrt(252)).
 *
 * Bars are counted, not calendar days: on monthly data `sma_10` is a 10-month average. Price-level values are
 * rounded to 2 decimals; MACD, returns and volatility to 4; RSI to 2.
 */
export function computeIndicators(bars: readonly PriceBar[]): Record<IndicatorName, number | null> {
  const closes = bars.map((bar) => bar.close);
  const ema12Series = exponentialMovingAverageSeries(closes, 12);
  const ema26Series = exponentialMovingAverageSeries(closes, 26);
  // Align the two EMA series on the bars where both exist (ema26 starts 14 bars after ema12).
  const macdSeries = ema26Series.map((ema26, index) => (ema12Series[index + 14] as number) - ema26);
  const latestClose = last(closes);

  const bollingerMiddle = simpleMovingAverage(closes, 20);
  const bollingerWidth = closes.length >= 20 ? 2 * populationStandardDeviation(closes.slice(-20)) : null;

  const returns = closes.slice(1).map((close, index) => close / (closes[index] as number) - 1);
  const close20Ago = closes.length >= 21 ? (closes[closes.length - 21] as number) : null;

  return {
    sma_10: round(simpleMovingAverage(closes, 10), 2),
    sma_50: round(simpleMovingAverage(closes, 50), 2),
    ema_12: round(last(ema12Series), 2),
    ema_26: round(last(ema26Series), 2),
    macd: round(last(macdSeries), 4),
    macd_signal: round(last(exponentialMovingAverageSeries(macdSeries, 9)), 4),
    rsi_14: round(relativeStrengthIndex(closes, 14), 2),
    bollinger_upper: round(
      bollingerMiddle !== null && bollingerWidth !== null ? bollingerMiddle + bollingerWidth : null,
      2,
    ),
    bollinger_lower: round(
      bollingerMiddle !== null && bollingerWidth !== null ? bollingerMiddle - bollingerWidth : null,
      2,
    ),
    atr_14: round(averageTrueRange(bars, 14), 2),
    return_1: round(returns.length >= 1 ? (last(returns) as number) : null, 4),
    return_20: round(latestClose !== null && close20Ago !== null ? latestClose / close20Ago - 1 : null, 4),
    volatility_20: round(
      returns.length >= 20
        ? sampleStandardDeviation(returns.slice(-20)) * Math.sqrt(periodsPerYear(bars))
        : null,
      4,
    ),
  };
}
