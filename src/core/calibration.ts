import { AGENT_NAMES, type AgentName } from './agents';
import { FINISH_REASON } from './finish-reasons';
import { DEFAULT_TOKENS_PER_WORD, percentageErrorMedian, ranToCap, wordLimitCeiling } from './predictor';
import { driftRatio, type TokenizerDrift } from './tokenizer-drift';
import type { AgentCalibration, Calibration } from './run-types';

/** One recorded call, as the learning workflow reads it. */
export interface RecordedAnswer {
  completionTokens: number;
  /** Words of the answer before the limiter cut it. */
  rawWords: number;
  /** The word limit the call ran under; undefined when none applied. */
  wordLimit?: number;
  maxTokens: number;
  /** Whether the limiter cut the answer to its word limit. */
  truncated: boolean;
  /** How the answer ended (`repetition`: the stream monitor stopped it looping); absent when not recorded. */
  finishReason?: string;
}

/** Whether the stream monitor stopped the answer because it had started repeating itself. */
export function stoppedLooping(answer: { finishReason?: string }): boolean {
  return answer.finishReason === FINISH_REASON.repetition;
}

/** What the learning workflow knows of one agent from recorded usage. */
export interface AgentUsageProfile {
  agent: AgentName;
  calls: number;
  /** Recent answers with at least one completion token (failed calls left out), oldest first. */
  answers: RecordedAnswer[];
  /** Recent decision-repair calls of this agent (structured output, not an answer under a word limit). */
  repairs?: RecordedAnswer[];
  meanPromptTokens: number;
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
  /** Per model, the tokenizer drift shown by recent calls that carried the server's usage. */
  tokenizerDrift?: Record<string, TokenizerDrift>;
}

/** Repair calls are rare (one per run at most): this many are enough to predict the next one. */
const MINIMUM_REPAIR_SAMPLES = 3;
/** Recorded outcomes a calibration keeps per agent (it travels in every run's workflow input). */
const MAXIMUM_OUTCOMES_KEPT = 50;

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
 * Recalibrates every agent with enough recorded calls: its prediction (tokens per word, and the expected
 * answer as a fraction of its word-limit ceiling, counting answers that ran on to `max_tokens` as reaching
 * it), its word limit (tightened where answers always end well under it, loosened where the limiter often
 * cut answers that had ended by themselves) and its allocation (what its calls really need, with headroom),
 * each within ±`maximumAdjustment` of the configured value; and the length of its decision repairs, apart.
 * Agents without enough data keep their previous calibration.
 */
export function recalibrate(inputs: LearningInputs, version: string, createdAt: string): Calibration {
  const agents: Partial<Record<AgentName, AgentCalibration>> = { ...(inputs.previous?.agents ?? {}) };
  const reasons: string[] = [];
  const bound = inputs.maximumAdjustment;
  for (const agent of AGENT_NAMES) {
    const profile = inputs.profiles.find((candidate) => candidate.agent === agent);
    const base = inputs.base[agent];
    if (!profile || profile.answers.length === 0 || profile.answers.length < inputs.minimumSamples) {
      if (profile)
        reasons.push(
          `${agent}: ${profile.answers.length} usable calls, fewer than ${inputs.minimumSamples}; unchanged`,
        );
      continue;
    }
    const previous = agents[agent];
    const currentLimit = previous?.wordLimit ?? base.wordLimit;
    const answers = profile.answers;
    const percent = (share: number) => `${(share * 100).toFixed(0)}%`;
    // An answer stopped looping paid for the start of the repeat its words leave out: no measure of tokens/word.
    const ratios = answers
      .filter((answer) => !stoppedLooping(answer))
      .map((answer) => answer.completionTokens / Math.max(1, answer.rawWords))
      .filter((ratio) => Number.isFinite(ratio) && ratio > 0.3 && ratio < 5);
    const tokensPerWord =
      ratios.length > 0 ? Math.round(median(ratios) * 1000) / 1000 : DEFAULT_TOKENS_PER_WORD;

    // A cut answer that ended by itself lost its conclusion to the word limit: that is what a looser limit
    // fixes. An answer that ran on until max_tokens stopped it, or that the stream monitor stopped looping,
    // says nothing about the limit; loosening would only buy a rambling model more tokens to ramble with.
    const ranOn = answers.filter(ranToCap);
    const runOnRate = ranOn.length / answers.length;
    const runawayRate =
      answers.filter((answer) => ranToCap(answer) || stoppedLooping(answer)).length / answers.length;
    const ended = answers.filter((answer) => !ranToCap(answer) && !stoppedLooping(answer));
    const naturalCutRate = ended.filter((answer) => answer.truncated).length / answers.length;
    let wordLimit = currentLimit;
    const typicalWords = quantile(
      ended.map((answer) => answer.rawWords),
      0.9,
    );
    if (naturalCutRate > 0.2) {
      wordLimit = Math.round(currentLimit * 1.15);
      reasons.push(
        `${agent}: ${percent(naturalCutRate)} of answers ended by themselves past the word limit and were cut; word limit loosened`,
      );
    } else if (runawayRate < 0.1 && typicalWords > 0 && typicalWords < currentLimit * 0.6) {
      wordLimit = Math.round(Math.max(typicalWords * 1.25, currentLimit * 0.8));
      reasons.push(
        `${agent}: 90% of answers used at most ${typicalWords} of ${currentLimit} words; word limit tightened`,
      );
    }
    if (runOnRate > 0.2) {
      reasons.push(
        `${agent}: ${percent(runOnRate)} of answers ran on until max_tokens stopped them; they count as reaching the ceiling, and do not loosen the word limit`,
      );
    }
    const loopRate = answers.filter(stoppedLooping).length / answers.length;
    if (loopRate > 0.2) {
      reasons.push(
        `${agent}: ${percent(loopRate)} of answers were stopped repeating themselves; they count at their length, and do not move the word limit`,
      );
    }
    wordLimit = Math.round(clamp(wordLimit, base.wordLimit * (1 - bound), base.wordLimit * (1 + bound)));

    // Each recorded answer as it would come out under the new limit: one that ran on reaches the new
    // ceiling too; one that ended by itself keeps its length relative to its word limit, within the ceiling.
    const ceiling = wordLimitCeiling(wordLimit, tokensPerWord);
    const outcomes = answers.map((answer) =>
      ranToCap(answer)
        ? ceiling
        : Math.min(ceiling, (answer.completionTokens * wordLimit) / (answer.wordLimit ?? wordLimit)),
    );
    const predicted = percentageErrorMedian(outcomes) ?? ceiling;
    const outcomeFractions = outcomes
      .slice(-MAXIMUM_OUTCOMES_KEPT)
      .map((outcome) => Math.round((outcome / ceiling) * 1000) / 1000);
    const capFraction = Math.round((predicted / ceiling) * 1000) / 1000;
    const expected = Math.round(capFraction * ceiling);

    const need = profile.meanPromptTokens + expected * 1.3;
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
      `${agent}: predicted completion ${expected} tokens, ${capFraction} x its ${ceiling}-token ceiling (${tokensPerWord} tokens/word, ${wordLimit} words), from ${answers.length} calls`,
    );
    const calibrated: AgentCalibration = {
      wordLimit,
      allocation,
      tokensPerWord,
      expectedCompletionTokens: expected,
      capFraction,
      outcomeFractions,
      runOnRate: Math.round(runOnRate * 1000) / 1000,
    };
    const repairs = profile.repairs ?? [];
    const repairPrediction =
      repairs.length >= MINIMUM_REPAIR_SAMPLES
        ? percentageErrorMedian(repairs.map((repair) => repair.completionTokens))
        : previous?.repairCompletionTokens;
    if (repairPrediction !== undefined) {
      calibrated.repairCompletionTokens = Math.round(repairPrediction);
      if (repairs.length >= MINIMUM_REPAIR_SAMPLES) {
        reasons.push(
          `${agent}: predicted decision repair ${calibrated.repairCompletionTokens} tokens from ${repairs.length} repairs`,
        );
      }
    }
    agents[agent] = calibrated;
  }
  const calibration: Calibration = { version, createdAt, reasons, agents };
  // Drift learned from recent calls replaces a model's older figure; models not called lately keep theirs.
  const drift = { ...inputs.previous?.tokenizerDrift, ...inputs.tokenizerDrift };
  for (const [model, learned] of Object.entries(inputs.tokenizerDrift ?? {})) {
    const prompt = driftRatio(learned.prompt);
    const completion = driftRatio(learned.completion);
    reasons.push(
      `${model}: the endpoint counts ${prompt === undefined ? 'unknown' : `x${prompt.toFixed(3)}`} prompt and ${completion === undefined ? 'unknown' : `x${completion.toFixed(3)}`} completion tokens per local token (from ${learned.prompt.samples} calls with server usage)`,
    );
  }
  if (Object.keys(drift).length > 0) calibration.tokenizerDrift = drift;
  return calibration;
}
