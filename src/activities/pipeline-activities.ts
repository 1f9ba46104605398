import type { AgentName } from '../core/agents';
import {
  buildRepairMessages,
  enforceDecisionWordLimit,
  parseDecision as parseDecisionText,
} from '../core/decision';
import { enhanceDraft } from '../core/prompt-enhancer';
import { optimizeDraft, type OptimizedPrompt } from '../core/prompt-optimizer';
import { buildPromptDraft } from '../core/prompts';
import {
  DEFAULT_HEADROOM,
  DEFAULT_TOKENS_PER_WORD,
  estimateResponseTokens,
  maxTokensFor,
  percentageErrorMedian,
  wordLimitCeiling,
} from '../core/predictor';
import type { AgentCalibration, DecisionSummary } from '../core/run-types';
import type { AgentContext, PipelineMode, PromptDraft, TokenCounter } from '../core/types';
import { enforceWordLimit, enforceWordLimitOnStoppedAnswer, type WordLimitResult } from '../core/word-limit';

export interface EnhanceInput {
  agent: AgentName;
  context: AgentContext;
  mode: PipelineMode;
  round: number;
  totalRounds: number;
  /** Word limit to write into the prompt; undefined in baseline mode. */
  wordLimit?: number;
  /** Words of each report and older debate turn a downstream agent reads (key-fact digest). */
  digestWords?: number;
  /** Asks the risk manager to restate a malformed decision (the one bounded repair). */
  repair?: { malformedAnswer: string; error: string };
}

export interface OptimizeInput {
  draft: PromptDraft;
  mode: PipelineMode;
  model: string;
  /** Tokens the prompt may take; the context manager condenses and drops to fit. */
  contextBudgetTokens?: number;
}

export interface PredictInput {
  agent: AgentName;
  mode: PipelineMode;
  wordLimit?: number;
  promptTokens: number;
  /** Tokens the budget leaves for the response. */
  available: number;
  maxResponseTokens: number;
  calibration?: AgentCalibration;
  /** The call is a decision repair (structured output), predicted from past repairs, not from answers. */
  repair?: boolean;
}

export interface Prediction {
  predictedTokens?: number;
  maxTokens: number;
  basis: 'history' | 'word-limit' | 'default' | 'none';
}

export interface LimitInput {
  text: string;
  wordLimit?: number;
  /** False in baseline mode: compliance is measured but nothing is cut. */
  enforce: boolean;
  /**
   * `max_tokens` or the stream monitor stopped the answer (finish reason `length`, `limit` or `repetition`): it
   * may end inside a sentence, and it is not raw-compliant.
   */
  stoppedAtCap?: boolean;
}

export interface ParseDecisionInput {
  text: string;
  wordLimit?: number;
}

export type ParseDecisionResult = { ok: true; decision: DecisionSummary } | { ok: false; error: string };

/** The pure steps of an agent call, run as local activities (see BENCHMARKS.md for the overhead measured). */
export function createPipelineActivities(deps: { counterFor: (model: string) => TokenCounter }) {
  return {
    /** Builds the agent's prompt from its context and writes the word limit into it. */
    async enhancePrompt(input: EnhanceInput): Promise<PromptDraft> {
      if (input.repair) {
        const messages = buildRepairMessages(input.repair.malformedAnswer, input.repair.error);
        const system = messages
          .filter((message) => message.role === 'system')
          .map((message) => message.content);
        const user = messages
          .filter((message) => message.role !== 'system')
          .map((message) => message.content);
        return {
          agent: input.agent,
          system: system.join('\n\n'),
          sections: [
            {
              id: 'repair',
              title: 'Repair',
              kind: 'instructions',
              text: `${user.join('\n\n')}\n\nIf you must answer in JSON, use the keys action, confidence and rationale.`,
              priority: 100,
              condensable: false,
            },
          ],
        };
      }
      const draft = buildPromptDraft(input.agent, input.context, {
        mode: input.mode,
        round: input.round,
        totalRounds: input.totalRounds,
        digestWords: input.digestWords,
      });
      return input.wordLimit !== undefined && input.mode === 'optimized'
        ? enhanceDraft(draft, input.wordLimit, { reminder: true })
        : draft;
    },

    /** Compresses and trims the prompt, and counts its tokens with the model's tokenizer. */
    async optimizePrompt(input: OptimizeInput): Promise<OptimizedPrompt> {
      return optimizeDraft(input.draft, {
        counter: deps.counterFor(input.model),
        mode: input.mode,
        contextBudgetTokens: input.contextBudgetTokens,
      });
    },

    /** Estimates the response and sets `max_tokens` from it and from what the budget leaves. */
    async predictResponse(input: PredictInput): Promise<Prediction> {
      if (input.mode === 'baseline') {
        return { maxTokens: Math.max(0, Math.min(input.available, input.maxResponseTokens)), basis: 'none' };
      }
      const calibration = input.calibration;
      const tokensPerWord = calibration?.tokensPerWord ?? DEFAULT_TOKENS_PER_WORD;
      // Tokens past what the word limit can use are cut by the limiter anyway: never pay for them, whatever
      // the history says (a model that rambles to its cap would otherwise teach the predictor a larger cap).
      const ceiling =
        input.wordLimit !== undefined ? wordLimitCeiling(input.wordLimit, tokensPerWord) : Infinity;
      const responseCap = Math.min(input.maxResponseTokens, ceiling);
      const learned = (): number | undefined => {
        if (input.repair) return calibration?.repairCompletionTokens;
        if (calibration?.capFraction !== undefined && Number.isFinite(ceiling)) {
          return calibration.capFraction * ceiling;
        }
        // Calibrations written before capFraction existed carry the expected tokens only.
        return calibration?.expectedCompletionTokens;
      };
      const history = learned();
      const { estimate, basis } = estimateResponseTokens({
        wordLimit: input.wordLimit,
        tokensPerWord,
        history: history !== undefined ? [history] : undefined,
        minimumSamples: 1,
        maxResponseTokens: input.maxResponseTokens,
      });
      // A decision repair writes structured output that must not be cut short, so its ceiling is the word
      // limit's whatever its (short) prediction says.
      const maxTokens = maxTokensFor({
        estimate: input.repair ? responseCap : estimate,
        headroom: input.repair ? 1 : DEFAULT_HEADROOM,
        available: input.available,
        responseCap,
      });
      // The answer the call will give under the max_tokens it really gets: recorded answers that ran on stop
      // at it too, so when usually-short answers set a low max_tokens, the long ones are predicted there.
      const fractions = input.repair ? undefined : calibration?.outcomeFractions;
      const underCap =
        fractions !== undefined && fractions.length > 0 && Number.isFinite(ceiling)
          ? percentageErrorMedian(fractions.map((fraction) => Math.min(fraction * ceiling, maxTokens)))
          : undefined;
      const predicted = Math.round(underCap ?? estimate);
      // A prediction above the ceiling cannot come true: the answer stops at max_tokens.
      return { predictedTokens: Math.min(predicted, maxTokens), maxTokens, basis };
    },

    /**
     * Cuts an over-long answer at the last full sentence within the word limit, and an answer `max_tokens`
     * stopped mid-sentence at its last full sentence.
     */
    async limitResponse(input: LimitInput): Promise<WordLimitResult> {
      if (input.wordLimit === undefined) {
        const measured = enforceWordLimit(input.text, Number.MAX_SAFE_INTEGER);
        return { ...measured, rawCompliant: true };
      }
      const result = input.stoppedAtCap
        ? enforceWordLimitOnStoppedAnswer(input.text, input.wordLimit)
        : enforceWordLimit(input.text, input.wordLimit);
      if (input.enforce) return result;
      return { ...result, text: input.text, words: result.rawWords, truncated: false };
    },

    /** Parses the risk manager's answer into a structured decision. */
    async parseDecision(input: ParseDecisionInput): Promise<ParseDecisionResult> {
      const parsed = parseDecisionText(input.text);
      if (!parsed.ok) return parsed;
      const decision =
        input.wordLimit !== undefined
          ? enforceDecisionWordLimit(parsed.decision, input.wordLimit)
          : parsed.decision;
      return { ok: true, decision };
    },
  };
}

export type PipelineActivities = ReturnType<typeof createPipelineActivities>;
