import { CancellationScope } from '@temporalio/workflow';
import type { InvokeResult } from '../../activities/invoke-activity';
import {
  ATTEMPT_OUTCOME,
  USAGE_SOURCE,
  attemptsUsage,
  normalizeUsageSource,
  type AttemptRecord,
} from '../../core/ledger';
import { costUsd } from '../../core/pricing';
import type { OptimizedPrompt } from '../../core/prompt-optimizer';
import type { CallSummary } from '../../core/run-types';
import type { UsageRecord } from '../../core/types';
import type { CallFrame } from './call-frame';
import { failureMessageOf } from './invoke-failures';
import type { limitStep } from './limit-step';
import type { ResponsePlan } from './plan-response';

/** The usage record's identity fields of one call. */
export type UsageBase = Pick<
  UsageRecord,
  | 'callId'
  | 'workflowId'
  | 'runId'
  | 'ticker'
  | 'agent'
  | 'round'
  | 'mode'
  | 'provider'
  | 'model'
  | 'calibrationVersion'
  | 'localPromptTokens'
  | 'localCompletionTokens'
>;

/** The attempts of an answered call; a result of an older worker gives its earlier attempts as one total. */
function answeredAttempts(result: InvokeResult): AttemptRecord[] {
  if (result.attempts) return result.attempts;
  return [
    ...(result.lostTokens > 0
      ? [
          {
            attempt: 1,
            outcome: ATTEMPT_OUTCOME.failed,
            promptTokens: result.lostTokens,
            completionTokens: 0,
            source: USAGE_SOURCE.estimated,
          },
        ]
      : []),
    {
      attempt: result.attempt,
      outcome: ATTEMPT_OUTCOME.completed,
      promptTokens: result.usage.inputTokens,
      completionTokens: result.usage.outputTokens,
      source: normalizeUsageSource(result.usageSource),
    },
  ];
}

/** The ledger's line of an answered call: every attempt is billed, this one included. */
export function answeredCallSummary(
  frame: CallFrame,
  prompt: OptimizedPrompt,
  plan: ResponsePlan,
  result: InvokeResult,
  limited: Awaited<ReturnType<typeof limitStep>>,
): CallSummary {
  const attempts = answeredAttempts(result);
  const billed = attemptsUsage(attempts);
  const { prediction, maxTokens } = plan;
  return {
    callId: frame.callId,
    agent: frame.call.agent,
    round: frame.call.round,
    budgetLine: frame.line,
    promptTokens: result.usage.inputTokens,
    originalPromptTokens: prompt.originalPromptTokens,
    completionTokens: result.usage.outputTokens,
    cachedPromptTokens: result.usage.cachedInputTokens,
    lostTokens: result.lostTokens,
    usageSource: normalizeUsageSource(result.usageSource),
    maxTokens,
    // The clamp may have lowered max_tokens after the prediction; the answer cannot pass it.
    predictedTokens:
      prediction.predictedTokens === undefined ? undefined : Math.min(prediction.predictedTokens, maxTokens),
    predictionBasis: prediction.basis,
    rawWords: limited.rawWords,
    words: limited.words,
    wordLimit: frame.agent.measuredWordLimit,
    rawCompliant: limited.rawCompliant,
    truncated: limited.truncated,
    limitEnforced: limited.enforced,
    costUsd: costUsd(
      {
        inputTokens: billed.promptTokens,
        outputTokens: billed.completionTokens,
        cachedInputTokens: result.usage.cachedInputTokens,
      },
      frame.state.settings.prices,
      // Model time of the answer (a local model's machine has a price per hour, tokens none).
      result.latencyMs,
    ),
    latencyMs: result.latencyMs,
    attempts: result.attempt,
    attemptRecords: attempts,
    finishReason: result.finishReason,
  };
}

/**
 * The Usage Tracker step: the call joins the run's ledger and its usage record is written. The write runs even
 * in a cancelled run (the tokens were spent), retries on Temporal's schedule, and a write that still fails costs
 * the run a degradation, never the run.
 */
export async function trackCall(frame: CallFrame, summary: CallSummary, base: UsageBase): Promise<void> {
  const { state, proxies } = frame;
  const record: UsageRecord = {
    ...base,
    promptTokens: summary.promptTokens,
    completionTokens: summary.completionTokens,
    cachedPromptTokens: summary.cachedPromptTokens,
    lostTokens: summary.lostTokens,
    usageSource: summary.usageSource,
    rawWords: summary.rawWords,
    words: summary.words,
    wordLimit: summary.wordLimit,
    rawCompliant: summary.rawCompliant,
    truncated: summary.truncated,
    predictedTokens: summary.predictedTokens,
    maxTokens: summary.maxTokens,
    costUsd: summary.costUsd,
    latencyMs: summary.latencyMs,
    attempts: summary.attempts,
    attemptRecords: summary.attemptRecords,
    finishReason: summary.finishReason,
  };
  try {
    await CancellationScope.nonCancellable(() => proxies.trackUsage(record));
  } catch (error) {
    state.degradations.push(
      `${summary.agent} round ${summary.round}: its usage record could not be written (${failureMessageOf(error)}); the run's result still counts its tokens`,
    );
  }
  // After the write, as the command order of recorded histories has it (the search attributes follow).
  state.calls.push(summary);
  state.onCallFinished(summary);
}

/**
 * Records a call that got no answer but may have spent tokens (a failed or cancelled invoke): every attempt
 * it made is on the bill, so it is in the ledger too.
 */
export async function recordUnansweredCall(
  frame: CallFrame,
  call: {
    usageBase: UsageBase;
    originalPromptTokens: number;
    maxTokens: number;
    attempts: AttemptRecord[];
    finishReason: string;
    failure: string;
  },
): Promise<void> {
  const { promptTokens, completionTokens } = attemptsUsage(call.attempts);
  const estimated = call.attempts.some((attempt) => attempt.source !== USAGE_SOURCE.server);
  const summary: CallSummary = {
    callId: call.usageBase.callId,
    agent: call.usageBase.agent,
    round: call.usageBase.round,
    budgetLine: frame.line,
    promptTokens: 0,
    originalPromptTokens: call.originalPromptTokens,
    completionTokens: 0,
    lostTokens: promptTokens + completionTokens,
    usageSource: estimated ? USAGE_SOURCE.estimated : USAGE_SOURCE.server,
    maxTokens: call.maxTokens,
    rawWords: 0,
    words: 0,
    wordLimit: frame.agent.measuredWordLimit,
    truncated: false,
    limitEnforced: false,
    costUsd: costUsd(
      { inputTokens: promptTokens, outputTokens: completionTokens },
      frame.state.settings.prices,
    ),
    latencyMs: 0,
    attempts: call.attempts.length,
    attemptRecords: call.attempts,
    finishReason: call.finishReason,
    failure: call.failure,
  };
  await trackCall(frame, summary, call.usageBase);
}
