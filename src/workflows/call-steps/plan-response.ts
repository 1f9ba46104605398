import type { Prediction } from '../../activities/pipeline-activities';
import { reserve, type BudgetReservation } from '../../core/budget';
import type { OptimizedPrompt } from '../../core/prompt-optimizer';
import { reservationPromptFactor, type TokenizerDrift } from '../../core/tokenizer-drift';
import {
  MINIMUM_RESPONSE_TOKENS,
  availableTo,
  budgetShortfall,
  promptMargin,
  type CallFrame,
} from './call-frame';

/** What the Predictive Limiter settled for one call: its `max_tokens` and the budget reservation behind it. */
export interface ResponsePlan {
  prediction: Prediction;
  maxTokens: number;
  reservation: BudgetReservation;
}

/**
 * The server counts a prompt with its own tokenizer: what it may bill beyond our count, by the drift learned so
 * far (or a conservative default before any is). It joins the reservation's allowance from the buffer line, so
 * an agent's share is not cut for it; when the buffer cannot pay it, the invoke step asks for fewer completion
 * tokens instead, since it keeps each attempt within the ceiling by the same estimate.
 */
function driftMargin(promptTokens: number, drift: TokenizerDrift): number {
  return Math.ceil(promptTokens * Math.max(0, reservationPromptFactor(drift) - 1));
}

/**
 * The Predictive Limiter step: predicts the answer, sets `max_tokens` within what the agent's line has left and
 * reserves prompt, margin and answer. Undefined (with the reason recorded) when the budget has no room.
 */
export async function planResponse(
  frame: CallFrame,
  prompt: OptimizedPrompt,
): Promise<ResponsePlan | undefined> {
  const { state, proxies, call, agent, label } = frame;
  const { settings, budget } = state;
  const available = () => availableTo(frame);
  const margin = promptMargin(prompt.promptTokens);
  const prediction = await proxies.predictResponse({
    agent: call.agent,
    mode: state.request.mode,
    wordLimit: agent.wordLimit,
    promptTokens: prompt.promptTokens,
    available: Math.min(
      available() - prompt.promptTokens - margin,
      settings.contextWindow - prompt.promptTokens,
    ),
    maxResponseTokens: settings.maxResponseTokens,
    calibration: agent.calibration,
    repair: call.repair !== undefined,
  });
  if (prediction.maxTokens < MINIMUM_RESPONSE_TOKENS) {
    budgetShortfall(frame, `${label}: skipped, only ${prediction.maxTokens} response tokens left for it`);
    return undefined;
  }

  // Concurrent agents (the analysts) may have reserved since the prediction: clamp to what is left now.
  const maxTokens = Math.min(prediction.maxTokens, available() - prompt.promptTokens - margin);
  if (maxTokens < MINIMUM_RESPONSE_TOKENS) {
    budgetShortfall(frame, `${label}: skipped, only ${Math.max(0, maxTokens)} response tokens left for it`);
    return undefined;
  }
  // A call that may pause does not start with less room than its predicted answer when the budget is what holds
  // it back (not `maxResponseTokens` or the window, which no raise changes): it waits for a raise.
  const wanted =
    prediction.predictedTokens === undefined
      ? undefined
      : Math.min(
          prediction.predictedTokens,
          settings.maxResponseTokens,
          settings.contextWindow - prompt.promptTokens,
        );
  if (frame.pausable && wanted !== undefined && maxTokens < wanted) {
    budgetShortfall(
      frame,
      `${label}: only ${maxTokens} response tokens left for an answer predicted at ${wanted}`,
    );
    return undefined;
  }
  const amount = prompt.promptTokens + margin + maxTokens;
  // The allowance pays for retries and for what the server may count beyond our count of the prompt.
  const allowance = amount + driftMargin(prompt.promptTokens, state.drift);
  const reservation = reserve(budget, frame.callId, frame.line, amount, allowance, call.roundsLeft);
  if (!reservation) {
    budgetShortfall(frame, `${label}: skipped, the budget could not reserve ${amount} tokens`);
    return undefined;
  }
  return { prediction, maxTokens, reservation };
}
