import { AGENT_NAMES, type AgentName } from './agents';
import type { AgentCalibration, Calibration } from './run-types';

/** What the learning workflow knows of one agent from recorded usage. */
export interface AgentUsageProfile {
  agent: AgentName;
  calls: number;
  /** Completion tokens of recent calls (answers the limiter cut included), newest last. */
  completionHistory: number[];
  /** Words of the same calls, aligned with `completionHistory`. */
  wordHistory: number[];
  meanPromptTokens: number;
  truncationRate: number;
  rawComplianceRate?: number;
}

export interface LearningInputs {
  profiles: AgentUsageProfile[];
  /** The configured word limits and allocations: calibration never moves further than the bounds from these. */
  base: Record<AgentName, { wordLimit: number; allocation: number }>;
  previous?: Calibration;
  minimumSamples: number;
  /** Fraction a word limit or allocation may move from its configured value (0.5 = ±50%). */
  maximumAdjustment: number;
}

const DEFAULT_TOKENS_PER_WORD = 1.35;

function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return 0;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function quantile(values: number[], fraction: number): number {
  const sorted = [...values].sort((left, right) => left - right);
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index] as number;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/**
 * Robust centre of recent completion lengths: the median of the values within 3 MADs of the median, so one
 * runaway answer or one empty answer does not move the prediction.
 */
export function robustCompletionEstimate(history: number[]): number | undefined {
  if (history.length === 0) return undefined;
  const centre = median(history);
  const deviation = median(history.map((value) => Math.abs(value - centre))) || Math.max(1, centre * 0.1);
  const kept = history.filter((value) => Math.abs(value - centre) <= 3 * deviation);
  return Math.round(median(kept.length > 0 ? kept : history));
}

/**
 * Recalibrates every agent with enough recorded calls: its prediction (tokens per word and expected
 * completion tokens), its word limit (tightened where answers are always well under it, loosened where the
 * limiter often cut conclusions) and its allocation (what its calls really need, with headroom), each within
 * ±`maximumAdjustment` of the configured value. Agents without enough data keep their previous calibration.
 */
export function recalibrate(inputs: LearningInputs, version: string, createdAt: string): Calibration {
  const agents: Partial<Record<AgentName, AgentCalibration>> = { ...(inputs.previous?.agents ?? {}) };
  const reasons: string[] = [];
  const bound = inputs.maximumAdjustment;
  for (const agent of AGENT_NAMES) {
    const profile = inputs.profiles.find((candidate) => candidate.agent === agent);
    const base = inputs.base[agent];
    if (!profile || profile.completionHistory.length < inputs.minimumSamples) {
      if (profile)
        reasons.push(
          `${agent}: ${profile.completionHistory.length} usable calls, fewer than ${inputs.minimumSamples}; unchanged`,
        );
      continue;
    }
    const previous = agents[agent];
    const currentLimit = previous?.wordLimit ?? base.wordLimit;
    const ratios = profile.completionHistory
      .map((tokens, index) => tokens / Math.max(1, profile.wordHistory[index] ?? 0))
      .filter((ratio) => Number.isFinite(ratio) && ratio > 0.3 && ratio < 5);
    const tokensPerWord =
      ratios.length > 0 ? Math.round(median(ratios) * 1000) / 1000 : DEFAULT_TOKENS_PER_WORD;
    const expected = robustCompletionEstimate(profile.completionHistory);

    let wordLimit = currentLimit;
    const typicalWords = quantile(profile.wordHistory, 0.9);
    if (profile.truncationRate > 0.2) {
      wordLimit = Math.round(currentLimit * 1.15);
      reasons.push(
        `${agent}: ${(profile.truncationRate * 100).toFixed(0)}% of answers were cut; word limit loosened`,
      );
    } else if (typicalWords > 0 && typicalWords < currentLimit * 0.6) {
      wordLimit = Math.round(Math.max(typicalWords * 1.25, currentLimit * 0.8));
      reasons.push(
        `${agent}: 90% of answers used at most ${typicalWords} of ${currentLimit} words; word limit tightened`,
      );
    }
    wordLimit = Math.round(clamp(wordLimit, base.wordLimit * (1 - bound), base.wordLimit * (1 + bound)));

    const need = profile.meanPromptTokens + (expected ?? wordLimit * tokensPerWord) * 1.3;
    const allocation = Math.round(
      clamp(
        Math.max(need, base.allocation * (1 - bound)),
        base.allocation * (1 - bound),
        base.allocation * (1 + bound),
      ),
    );
    if (allocation !== base.allocation) {
      reasons.push(
        `${agent}: allocation ${base.allocation} -> ${allocation} from mean prompt ${Math.round(profile.meanPromptTokens)} and expected completion ${expected}`,
      );
    }
    reasons.push(
      `${agent}: predicted completion ${expected} tokens (${tokensPerWord} tokens/word) from ${profile.completionHistory.length} calls`,
    );
    agents[agent] = { wordLimit, allocation, tokensPerWord, expectedCompletionTokens: expected };
  }
  return { version, createdAt, reasons, agents };
}
