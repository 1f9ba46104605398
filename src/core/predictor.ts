/**
 * The Predictive Limiter's pure maths: estimate an agent's response tokens, turn the estimate into a
 * `max_tokens`, and measure how good the estimates were.
 */

/** Tokens per English word for GPT-style tokenizers on analytical prose (1.3-1.4 is the usual range). */
export const DEFAULT_TOKENS_PER_WORD = 1.35;
/** `max_tokens` = estimate x headroom, so an answer slightly longer than usual is not cut off. */
export const DEFAULT_HEADROOM = 1.25;
/**
 * Slack of the word-limit ceiling over word limit x tokens per word. Words past the limit are cut by the
 * limiter anyway (it keeps the last full sentence within the limit), so the ceiling only needs room for the
 * tokens-per-word ratio of one answer to differ from the agent's usual one.
 */
export const WORD_LIMIT_SLACK = 1.1;
/** Values further than this many robust standard deviations from the median are treated as outliers. */
const OUTLIER_CUTOFF = 3;
/** Scales the median absolute deviation to a standard deviation for normally distributed data. */
const MAD_TO_STANDARD_DEVIATION = 1.4826;

export interface ResponseEstimateInput {
  /** The agent's word limit; undefined when none applies (baseline mode). */
  wordLimit?: number;
  tokensPerWord: number;
  /** The agent's own recorded completion tokens, oldest first. */
  history?: readonly number[];
  /** Recorded calls needed before the history is trusted over the word limit. */
  minimumSamples: number;
  /** The run's per-response ceiling; no estimate exceeds it. */
  maxResponseTokens: number;
}

export interface ResponseEstimate {
  estimate: number;
  basis: 'history' | 'word-limit' | 'default';
}

function median(sorted: readonly number[]): number {
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? 0;
  if (sorted.length % 2 === 1) return upper;
  return ((sorted[middle - 1] ?? upper) + upper) / 2;
}

/**
 * Mean of the values within three robust standard deviations (median absolute deviation) of the median.
 * The median alone ignores outliers but moves in steps; the filtered mean is as robust and uses every
 * ordinary sample. When more than half the values are equal the deviation is 0 and only those values stay.
 */
export function robustMean(values: readonly number[]): number {
  if (values.length === 0) throw new Error('A robust mean needs at least one value.');
  const sorted = [...values].sort((a, b) => a - b);
  const center = median(sorted);
  const deviation = median(sorted.map((value) => Math.abs(value - center)).sort((a, b) => a - b));
  const spread = OUTLIER_CUTOFF * MAD_TO_STANDARD_DEVIATION * deviation;
  const kept = sorted.filter((value) => Math.abs(value - center) <= spread);
  return kept.reduce((sum, value) => sum + value, 0) / kept.length;
}

/**
 * Estimates an agent's response tokens: from its own history when it has at least `minimumSamples`
 * recorded calls (robust to outliers, see `robustMean`), else from its word limit x tokens per word, else
 * the response ceiling itself (no word limit and no history give no reason to expect a shorter answer).
 * The estimate is a whole number between 1 and `maxResponseTokens`.
 */
export function estimateResponseTokens(input: ResponseEstimateInput): ResponseEstimate {
  const { wordLimit, tokensPerWord, minimumSamples, maxResponseTokens } = input;
  if (!(tokensPerWord > 0) || !Number.isFinite(tokensPerWord)) {
    throw new Error(`tokensPerWord must be a positive number, got ${tokensPerWord}.`);
  }
  if (!Number.isInteger(maxResponseTokens) || maxResponseTokens < 1) {
    throw new Error(`maxResponseTokens must be a whole number of at least 1, got ${maxResponseTokens}.`);
  }
  const clamp = (value: number): number => Math.min(maxResponseTokens, Math.max(1, Math.ceil(value)));
  // Zero-token records are failed or cancelled calls, not answers; they would drag the estimate down.
  const samples = (input.history ?? []).filter((value) => Number.isFinite(value) && value > 0);
  if (samples.length > 0 && samples.length >= Math.max(1, minimumSamples)) {
    return { estimate: clamp(robustMean(samples)), basis: 'history' };
  }
  if (wordLimit !== undefined && wordLimit > 0) {
    return { estimate: clamp(wordLimit * tokensPerWord), basis: 'word-limit' };
  }
  return { estimate: maxResponseTokens, basis: 'default' };
}

/**
 * The most response tokens an answer under `wordLimit` can use: word limit x tokens per word x
 * {@link WORD_LIMIT_SLACK}. Tokens past it would be cut by the limiter, so `max_tokens` never exceeds it.
 */
export function wordLimitCeiling(wordLimit: number, tokensPerWord: number): number {
  return Math.ceil(wordLimit * tokensPerWord * WORD_LIMIT_SLACK);
}

/** Whether an answer stopped at its `max_tokens` (the model ran on) rather than ending by itself. */
export function ranToCap(answer: { completionTokens: number; maxTokens: number }): boolean {
  return answer.maxTokens > 0 && answer.completionTokens >= answer.maxTokens;
}

/**
 * The single prediction with the least mean absolute percentage error over `values`: the median weighted by
 * 1/value (each value's error counts relative to itself, so small values weigh more). Like the plain
 * median it ignores how far away an outlier is, which makes it robust. Values <= 0 are ignored; undefined
 * when none remains.
 */
export function percentageErrorMedian(values: readonly number[]): number | undefined {
  const usable = values.filter((value) => Number.isFinite(value) && value > 0).sort((a, b) => a - b);
  if (usable.length === 0) return undefined;
  const total = usable.reduce((sum, value) => sum + 1 / value, 0);
  let cumulative = 0;
  for (const value of usable) {
    cumulative += 1 / value;
    if (cumulative >= total / 2) return value;
  }
  return usable[usable.length - 1];
}

export interface MaxTokensInput {
  estimate: number;
  headroom: number;
  /** Tokens the budget still allows this call for its answer. */
  available: number;
  /** The per-response ceiling from config. */
  responseCap: number;
}

/** `max_tokens` for a call: min(ceil(estimate x headroom), available, responseCap), never below 0. */
export function maxTokensFor(input: MaxTokensInput): number {
  const wanted = Math.ceil(input.estimate * input.headroom);
  const limit = Math.min(wanted, Math.floor(input.available), Math.floor(input.responseCap));
  return Number.isFinite(limit) ? Math.max(0, limit) : 0;
}

/**
 * Mean absolute percentage error of predictions, as a fraction (0.2 = 20%). Pairs whose actual value is 0
 * are skipped (their percentage error is undefined); NaN when no pair remains.
 */
export function meanAbsolutePercentageError(pairs: readonly { predicted: number; actual: number }[]): number {
  const usable = pairs.filter((pair) => pair.actual !== 0 && Number.isFinite(pair.actual));
  if (usable.length === 0) return Number.NaN;
  const total = usable.reduce(
    (sum, pair) => sum + Math.abs(pair.predicted - pair.actual) / Math.abs(pair.actual),
    0,
  );
  return total / usable.length;
}

/**
 * Median absolute percentage error, as a fraction, over the same pairs as
 * {@link meanAbsolutePercentageError}: the typical call's error, which a few very short answers (whose
 * percentage errors run to hundreds) cannot dominate. NaN when no pair remains.
 */
export function medianAbsolutePercentageError(
  pairs: readonly { predicted: number; actual: number }[],
): number {
  const errors = pairs
    .filter((pair) => pair.actual !== 0 && Number.isFinite(pair.actual))
    .map((pair) => Math.abs(pair.predicted - pair.actual) / Math.abs(pair.actual))
    .sort((a, b) => a - b);
  return errors.length === 0 ? Number.NaN : median(errors);
}
