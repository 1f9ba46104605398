import type { OptimizedPrompt } from '../../core/prompt-optimizer';
import { DEFAULT_HEADROOM, DEFAULT_TOKENS_PER_WORD } from '../../core/predictor';
import {
  MINIMUM_RESPONSE_TOKENS,
  availableTo,
  budgetShortfall,
  promptMargin,
  type CallFrame,
} from './call-frame';

/**
 * The Prompt Enhancer and Token Optimizer steps: the agent's draft with its word limit, compressed and, in
 * optimized mode, trimmed to the context the budget can pay for. Undefined (with the reason recorded) when even
 * the trimmed prompt leaves no room for an answer.
 */
export async function preparePrompt(frame: CallFrame): Promise<OptimizedPrompt | undefined> {
  const { state, proxies, call, agent, label } = frame;
  const { settings, request } = state;
  const mode = request.mode;
  const draft = await proxies.enhancePrompt({
    agent: call.agent,
    context: call.context,
    mode,
    round: call.round,
    totalRounds: call.totalRounds,
    wordLimit: agent.wordLimit,
    digestWords: settings.digestWords,
    repair: call.repair,
  });

  const responseGuess =
    agent.wordLimit !== undefined
      ? Math.ceil(agent.wordLimit * DEFAULT_TOKENS_PER_WORD * DEFAULT_HEADROOM)
      : MINIMUM_RESPONSE_TOKENS;
  const available = () => availableTo(frame);
  const contextLimit = (room: number) =>
    Math.max(
      0,
      Math.min(settings.maxPromptTokens, settings.contextWindow - responseGuess, room - responseGuess),
    );
  const optimize = (contextBudgetTokens: number | undefined) =>
    proxies.optimizePrompt({ draft, mode, model: settings.model, contextBudgetTokens });

  // A call that may pause is not trimmed to the budget's room: it waits for room instead.
  let optimized = await optimize(
    mode === 'optimized' ? contextLimit(frame.pausable ? Number.POSITIVE_INFINITY : available()) : undefined,
  );
  const withinWindow = (promptTokens: number) =>
    promptTokens + MINIMUM_RESPONSE_TOKENS <= settings.contextWindow;
  const fits = (promptTokens: number) =>
    promptTokens + promptMargin(promptTokens) + MINIMUM_RESPONSE_TOKENS <= available() &&
    withinWindow(promptTokens);
  if (!fits(optimized.promptTokens) && withinWindow(optimized.promptTokens) && frame.pausable) {
    budgetShortfall(
      frame,
      `${label}: its prompt needs ${optimized.promptTokens} tokens plus a response but only ${available()} remain for it`,
    );
    return undefined;
  }
  if (!fits(optimized.promptTokens) && mode === 'optimized') {
    const room = available() - promptMargin(optimized.promptTokens);
    optimized = await optimize(Math.max(0, Math.min(settings.contextWindow, room) - MINIMUM_RESPONSE_TOKENS));
    if (fits(optimized.promptTokens)) {
      state.degradations.push(
        `${label}: context trimmed to ${optimized.promptTokens} prompt tokens to fit the budget`,
      );
    }
  }
  if (fits(optimized.promptTokens)) return optimized;
  if (!withinWindow(optimized.promptTokens)) {
    state.degradations.push(
      `${label}: skipped, its prompt needs ${optimized.promptTokens} tokens plus a response, more than the model's ${settings.contextWindow}-token window`,
    );
  } else {
    budgetShortfall(
      frame,
      `${label}: skipped, its prompt needs ${optimized.promptTokens} tokens plus a response but only ${available()} remain for it`,
    );
  }
  return undefined;
}
