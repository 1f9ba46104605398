import type { TokenUsage } from './types';

/**
 * Adds two counts where `undefined` means unknown: unknown + unknown stays unknown, unknown + n is n
 * (the known part is still a lower bound worth reporting). Same rule as vercel/ai's `addLanguageModelUsage`.
 */
function addCounts(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined && b === undefined) return undefined;
  return (a ?? 0) + (b ?? 0);
}

/** Sums two usages field by field, keeping a field unknown only when it is unknown on both sides. */
export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  const sum: TokenUsage = {};
  const inputTokens = addCounts(a.inputTokens, b.inputTokens);
  const outputTokens = addCounts(a.outputTokens, b.outputTokens);
  const cachedInputTokens = addCounts(a.cachedInputTokens, b.cachedInputTokens);
  // Absent rather than `undefined`-valued keys, so the result stays a small plain JSON payload.
  if (inputTokens !== undefined) sum.inputTokens = inputTokens;
  if (outputTokens !== undefined) sum.outputTokens = outputTokens;
  if (cachedInputTokens !== undefined) sum.cachedInputTokens = cachedInputTokens;
  return sum;
}

/**
 * Input plus output tokens; undefined when both are unknown. Cached input tokens are part of the input
 * tokens, so they are not added again.
 */
export function totalTokens(usage: TokenUsage): number | undefined {
  return addCounts(usage.inputTokens, usage.outputTokens);
}
