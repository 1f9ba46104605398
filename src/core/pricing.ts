import type { ModelSettings } from '../config/schema';
import type { TokenUsage } from './types';

/** The price columns of a model's settings (USD per million tokens); a whole `ModelSettings` fits. */
export type ModelPrices = Pick<
  ModelSettings,
  'inputPerMillion' | 'cachedInputPerMillion' | 'outputPerMillion'
>;

const PER_MILLION = 1_000_000;

/**
 * Cost of one usage in USD. Cached input tokens are part of the input tokens (OpenAI's convention), so they
 * are billed at the cached price and subtracted from the full-price input. Returns undefined when input or
 * output tokens are unknown: a cost from half the counts would look exact and be wrong.
 */
export function costUsd(usage: TokenUsage, prices: ModelPrices): number | undefined {
  const { inputTokens, outputTokens } = usage;
  if (inputTokens === undefined || outputTokens === undefined) return undefined;
  // A server cannot cache more than it was sent; clamp so a bad report never yields a negative input bill.
  const cached = Math.min(Math.max(usage.cachedInputTokens ?? 0, 0), inputTokens);
  return (
    ((inputTokens - cached) * prices.inputPerMillion +
      cached * prices.cachedInputPerMillion +
      outputTokens * prices.outputPerMillion) /
    PER_MILLION
  );
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
