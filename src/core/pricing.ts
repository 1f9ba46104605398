import type { ModelSettings } from '../config/schema';
import type { TokenUsage } from './types';

/**
 * The price columns of a model's settings (USD per million tokens, and per hour of model time for a model
 * on a machine of one's own); a whole `ModelSettings` fits.
 */
export type ModelPrices = Pick<
  ModelSettings,
  'inputPerMillion' | 'cachedInputPerMillion' | 'outputPerMillion' | 'perHour'
>;

const PER_MILLION = 1_000_000;
const MILLISECONDS_PER_HOUR = 3_600_000;

/**
 * Cost of one usage in USD. Cached input tokens are part of the input tokens (OpenAI's convention), so they
 * are billed at the cached price and subtracted from the full-price input. With a `perHour` price,
 * `modelTimeMs` (the time the model worked on the call) is billed too. Returns undefined when input or
 * output tokens, or a model time to bill, are unknown: a cost from half the counts would look exact and be
 * wrong.
 */
export function costUsd(usage: TokenUsage, prices: ModelPrices, modelTimeMs?: number): number | undefined {
  const { inputTokens, outputTokens } = usage;
  if (inputTokens === undefined || outputTokens === undefined) return undefined;
  // A server cannot cache more than it was sent; clamp so a bad report never yields a negative input bill.
  const cached = Math.min(Math.max(usage.cachedInputTokens ?? 0, 0), inputTokens);
  const tokens =
    ((inputTokens - cached) * prices.inputPerMillion +
      cached * prices.cachedInputPerMillion +
      outputTokens * prices.outputPerMillion) /
    PER_MILLION;
  const perHour = prices.perHour ?? 0;
  if (perHour === 0) return tokens;
  if (modelTimeMs === undefined || !Number.isFinite(modelTimeMs) || modelTimeMs < 0) return undefined;
  return tokens + (modelTimeMs / MILLISECONDS_PER_HOUR) * perHour;
}

/**
 * Formats a cost for reports: `unknown` for an unknown cost, two decimals from one dollar up, four from a
 * cent up, and six below a cent, because a single agent call often costs a fraction of a cent.
 */
export function formatUsd(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return 'unknown';
  if (value === 0) return '$0.00';
  const magnitude = Math.abs(value);
  const decimals = magnitude >= 1 ? 2 : magnitude >= 0.01 ? 4 : 6;
  const sign = value < 0 ? '-' : '';
  return `${sign}$${magnitude.toFixed(decimals)}`;
}
