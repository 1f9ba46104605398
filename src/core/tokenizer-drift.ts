/**
 * How an endpoint's token counts compare with tokenflow's own tokenizer. OpenAI-compatible servers (vLLM,
 * llama.cpp, proxies in front of other vendors) tokenize with the model's own vocabulary, so a count made
 * locally is only an estimate of what they bill. Every call that carries the server's usage teaches the ratio;
 * estimates (streams tokenflow stops itself, lost attempts) and reservations are scaled by it. Pure: it lives in
 * workflow state and replays, and it is persisted per model with the calibration.
 */

/** Running sums of what the server reported and what tokenflow counted for the same text. */
export interface DriftTally {
  serverTokens: number;
  localTokens: number;
  samples: number;
}

export interface TokenizerDrift {
  prompt: DriftTally;
  completion: DriftTally;
}

/** The factors an attempt applies to its local counts. */
export interface DriftFactors {
  prompt: number;
  completion: number;
}

/**
 * Before any call has shown the server's counts, an estimate assumes the server counts this much more than
 * the local tokenizer: erring toward the bill, as far as tokenizers of one model family usually differ.
 */
export const UNLEARNED_ESTIMATE_FACTOR = 1.15;
/** Reservations before anything is learned cover this much drift on the prompt. */
export const UNLEARNED_RESERVATION_FACTOR = UNLEARNED_ESTIMATE_FACTOR;
/** Completions shorter than this (local tokens) say little about the ratio and are not learned from. */
export const MINIMUM_COMPLETION_SAMPLE = 16;
/** Tallies are halved past this many local tokens, so the ratio follows a model or server that changed. */
const TALLY_LIMIT = 2_000_000;

export function emptyDrift(): TokenizerDrift {
  return {
    prompt: { serverTokens: 0, localTokens: 0, samples: 0 },
    completion: { serverTokens: 0, localTokens: 0, samples: 0 },
  };
}

/** Server tokens per local token, or undefined when nothing has been learned. */
export function driftRatio(tally: DriftTally): number | undefined {
  return tally.samples > 0 && tally.localTokens > 0 ? tally.serverTokens / tally.localTokens : undefined;
}

/** The ratios learned so far, each absent while unknown; undefined when nothing is learned. */
export function learnedFactors(drift: TokenizerDrift): Partial<DriftFactors> | undefined {
  const prompt = driftRatio(drift.prompt);
  const completion = driftRatio(drift.completion);
  if (prompt === undefined && completion === undefined) return undefined;
  return {
    ...(prompt !== undefined ? { prompt } : {}),
    ...(completion !== undefined ? { completion } : {}),
  };
}

/**
 * Factor for the prompt part of a reservation: the learned ratio (never below 1: a server that counts fewer
 * tokens leaves the margin unused), or a conservative default. The caller adds a small share on top for
 * call-to-call variation.
 */
export function reservationPromptFactor(drift: TokenizerDrift | undefined): number {
  const learned = drift ? driftRatio(drift.prompt) : undefined;
  return learned === undefined ? UNLEARNED_RESERVATION_FACTOR : Math.max(learned, 1);
}

/**
 * What the server would bill for `localTokens` counted locally, never below `floor` (for a completion, the
 * number of streamed chunks: every chunk carried at least one token).
 */
export function estimateServerTokens(localTokens: number, factor: number, floor = 0): number {
  return Math.max(Math.ceil(floor), Math.ceil(Math.max(0, localTokens) * factor));
}

function addSample(tally: DriftTally, server: number, local: number): DriftTally {
  let next = {
    serverTokens: tally.serverTokens + server,
    localTokens: tally.localTokens + local,
    samples: tally.samples + 1,
  };
  if (next.localTokens > TALLY_LIMIT) {
    next = {
      serverTokens: next.serverTokens / 2,
      localTokens: next.localTokens / 2,
      samples: Math.ceil(next.samples / 2),
    };
  }
  return next;
}

/** One call whose usage the server reported, beside tokenflow's own counts of the same prompt and answer. */
export interface DriftObservation {
  localPromptTokens: number;
  serverPromptTokens: number;
  localCompletionTokens: number;
  serverCompletionTokens: number;
}

/** The drift after one more observed call (a new object; the argument is left as it was). */
export function observeDrift(drift: TokenizerDrift, observation: DriftObservation): TokenizerDrift {
  const next: TokenizerDrift = { prompt: { ...drift.prompt }, completion: { ...drift.completion } };
  if (observation.localPromptTokens > 0 && observation.serverPromptTokens > 0) {
    next.prompt = addSample(next.prompt, observation.serverPromptTokens, observation.localPromptTokens);
  }
  if (
    observation.localCompletionTokens >= MINIMUM_COMPLETION_SAMPLE &&
    observation.serverCompletionTokens > 0
  ) {
    next.completion = addSample(
      next.completion,
      observation.serverCompletionTokens,
      observation.localCompletionTokens,
    );
  }
  return next;
}

/** Adds two drifts (a calibration's and what a batch of records shows). */
export function combineDrift(left: TokenizerDrift, right: TokenizerDrift): TokenizerDrift {
  const add = (a: DriftTally, b: DriftTally): DriftTally => ({
    serverTokens: a.serverTokens + b.serverTokens,
    localTokens: a.localTokens + b.localTokens,
    samples: a.samples + b.samples,
  });
  return { prompt: add(left.prompt, right.prompt), completion: add(left.completion, right.completion) };
}

/** Reads a drift from untrusted JSON (a stored calibration); undefined when malformed. */
export function readDrift(value: unknown): TokenizerDrift | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const tally = (entry: unknown): DriftTally | undefined => {
    if (typeof entry !== 'object' || entry === null) return undefined;
    const { serverTokens, localTokens, samples } = entry as Partial<Record<keyof DriftTally, unknown>>;
    const valid = (number: unknown): number is number =>
      typeof number === 'number' && Number.isFinite(number) && number >= 0;
    if (!valid(serverTokens) || !valid(localTokens) || !valid(samples)) return undefined;
    return { serverTokens, localTokens, samples };
  };
  const { prompt, completion } = value as { prompt?: unknown; completion?: unknown };
  const promptTally = tally(prompt);
  const completionTally = tally(completion);
  return promptTally && completionTally ? { prompt: promptTally, completion: completionTally } : undefined;
}
