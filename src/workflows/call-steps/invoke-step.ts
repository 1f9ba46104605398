import { ApplicationFailure, isCancellation, patched, workflowInfo } from '@temporalio/workflow';
import type { InvokeInput, InvokeResult } from '../../activities/invoke-activity';
import { reservationCeiling, settle } from '../../core/budget';
import { FAILURE_TYPE } from '../../core/failure-types';
import { ATTEMPT_OUTCOME, USAGE_SOURCE, attemptsTokens } from '../../core/ledger';
import type { OptimizedPrompt } from '../../core/prompt-optimizer';
import {
  estimateServerTokens,
  learnedFactors,
  observeDrift,
  reservationPromptFactor,
} from '../../core/tokenizer-drift';
import { LEDGER_RECORDS_FAILURES } from '../patches';
import type { CallFrame } from './call-frame';
import { attemptsOf, failureMessageOf, failureTypeOf } from './invoke-failures';
import type { ResponsePlan } from './plan-response';
import { recordUnansweredCall, type UsageBase } from './usage-tracker';

/** The model's input of one call: the optimized prompt, its `max_tokens`, its ceiling and the stream monitor. */
function invokeInputOf(frame: CallFrame, prompt: OptimizedPrompt, plan: ResponsePlan): InvokeInput {
  const { settings, request } = frame.state;
  const drift = learnedFactors(frame.state.drift);
  const jsonSchema = frame.call.jsonSchema;
  return {
    callId: frame.callId,
    agent: frame.call.agent,
    provider: settings.provider,
    model: settings.model,
    mode: request.mode,
    messages: prompt.messages,
    maxTokens: plan.maxTokens,
    promptTokens: prompt.promptTokens,
    spendCeiling: reservationCeiling(plan.reservation),
    ...(drift ? { drift } : {}),
    ...(jsonSchema !== undefined ? { jsonSchema } : {}),
    // The stream monitor's runaway check is part of the limiter: not for the baseline, nor for structured
    // output, whose grammar already bounds it.
    ...(request.mode === 'optimized' &&
    jsonSchema === undefined &&
    settings.repetitionWindowWords !== undefined
      ? { repetitionWindowWords: settings.repetitionWindowWords }
      : {}),
  };
}

/** The usage record's identity fields of one call. */
export function usageBaseOf(frame: CallFrame): UsageBase {
  const { state, call } = frame;
  return {
    callId: frame.callId,
    workflowId: workflowInfo().workflowId,
    runId: workflowInfo().runId,
    ticker: state.request.ticker,
    agent: call.agent,
    round: call.round,
    mode: state.request.mode,
    provider: state.settings.provider,
    model: state.settings.model,
    calibrationVersion: state.calibration?.version,
  };
}

/** Charges the call's reservation with what it spent; an overrun of the ceiling stops the run's calls. */
function settleCharging(frame: CallFrame, plan: ResponsePlan, spent: number): void {
  const { overrun } = settle(frame.state.budget, plan.reservation, spent);
  if (overrun) {
    frame.state.degradations.push(
      `${frame.label}: the endpoint billed ${overrun.spent} tokens, ${overrun.spent - overrun.ceiling} more than the ${overrun.ceiling} reserved for it; the run makes no more calls, so its cap still holds against what it knows`,
    );
  }
}

/**
 * The invoke step (the Stream Monitor runs inside the activity): the model's answer, charged to the budget and
 * teaching the run the endpoint's tokenizer drift. A call that fails for good is charged and recorded with every
 * attempt it made, then ends the run; one whose retries used up its reservation returns undefined.
 */
export async function invokeStep(
  frame: CallFrame,
  prompt: OptimizedPrompt,
  plan: ResponsePlan,
): Promise<InvokeResult | undefined> {
  const { state, proxies } = frame;
  let result: InvokeResult;
  try {
    result = await proxies.invokeModel(invokeInputOf(frame, prompt, plan));
  } catch (error) {
    return handleInvokeFailure(frame, prompt, plan, error);
  }
  settleCharging(frame, plan, result.usage.inputTokens + result.usage.outputTokens + result.lostTokens);
  if (result.usageSource === USAGE_SOURCE.server && result.localUsage) {
    state.drift = observeDrift(state.drift, {
      localPromptTokens: result.localUsage.inputTokens,
      serverPromptTokens: result.usage.inputTokens,
      localCompletionTokens: result.localUsage.outputTokens,
      serverCompletionTokens: result.usage.outputTokens,
    });
  }
  return result;
}

async function handleInvokeFailure(
  frame: CallFrame,
  prompt: OptimizedPrompt,
  plan: ResponsePlan,
  error: unknown,
): Promise<undefined> {
  const { state, call, label } = frame;
  const ceiling = reservationCeiling(plan.reservation);
  const promptEstimate = estimateServerTokens(prompt.promptTokens, reservationPromptFactor(state.drift));
  const attempts = attemptsOf(error, {
    promptTokens: Math.min(promptEstimate, ceiling),
    maxTokens: plan.maxTokens,
    spendCeiling: ceiling,
    maximumAttempts: state.settings.invoke.maximumAttempts,
  }) ?? [
    // Nothing is known of what the attempts spent: charge everything they could have.
    {
      attempt: 1,
      outcome: ATTEMPT_OUTCOME.lost,
      promptTokens: Math.min(promptEstimate, ceiling),
      completionTokens: Math.max(0, ceiling - promptEstimate),
      source: USAGE_SOURCE.reserved,
    },
  ];
  const lost = attemptsTokens(attempts);
  settleCharging(frame, plan, lost);
  const cancelled = isCancellation(error);
  const type = cancelled ? ATTEMPT_OUTCOME.cancelled : (failureTypeOf(error) ?? FAILURE_TYPE.InvokeFailed);
  const message = failureMessageOf(error);
  if (patched(LEDGER_RECORDS_FAILURES)) {
    await recordUnansweredCall(frame, {
      usageBase: usageBaseOf(frame),
      originalPromptTokens: prompt.originalPromptTokens,
      maxTokens: plan.maxTokens,
      attempts,
      finishReason: cancelled ? ATTEMPT_OUTCOME.cancelled : ATTEMPT_OUTCOME.failed,
      failure: message,
    });
  }
  if (cancelled) throw error;
  if (type === FAILURE_TYPE.BudgetExhausted) {
    state.degradations.push(
      `${label}: stopped, its retries used up the tokens reserved for it (${lost} lost)`,
    );
    return undefined;
  }
  throw ApplicationFailure.create({
    message: `The ${call.agent.replace(/_/g, ' ')} call failed: ${message}`,
    type,
    nonRetryable: true,
    details: [{ agent: call.agent, lostTokens: lost }],
  });
}
