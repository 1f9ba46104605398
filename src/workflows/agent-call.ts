import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  proxyActivities,
  proxyLocalActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { PipelineActivities } from '../activities/pipeline-activities';
import type { InvokeHeartbeat, InvokeResult } from '../activities/invoke-activity';
import type { UsageActivities } from '../activities/usage-activities';
import type { AgentName, BudgetLine } from '../core/agents';
import { availableFor, reservationCeiling, reserve, settle, type BudgetState } from '../core/budget';
import { DEFAULT_HEADROOM, DEFAULT_TOKENS_PER_WORD } from '../core/predictor';
import { costUsd } from '../core/pricing';
import type { AgentCalibration, AnalysisRequest, CallSummary, RunSettings } from '../core/run-types';
import type { AgentContext } from '../core/types';

/** Failure types that end an agent call at once: retrying them only burns tokens. */
export const NON_RETRYABLE_INVOKE_TYPES = [
  'BadRequest',
  'AuthenticationFailed',
  'PermissionDenied',
  'ModelNotFound',
  'UnprocessableRequest',
  'ContextOverflow',
  'ModelUnavailable',
  'BudgetExhausted',
];

/** Fewest response tokens worth paying a prompt for. */
const MINIMUM_RESPONSE_TOKENS = 48;
/** Our count of a prompt may differ from the server's by a few tokens; reserve a margin so the cap holds. */
function promptMargin(promptTokens: number): number {
  return Math.ceil(promptTokens * 0.02) + 8;
}

export interface AgentCallRequest {
  agent: AgentName;
  round: number;
  totalRounds: number;
  /** Rounds this agent still has, including this one (its line keeps a share for them). */
  roundsLeft: number;
  context: AgentContext;
  budgetLine?: BudgetLine;
  repair?: { malformedAnswer: string; error: string };
  /** Word limit of this call in optimized mode (from config or the active calibration). */
  wordLimit?: number;
  /** Skip the word-limit step (the risk manager's decision is limited on its rationale). */
  skipLimit?: boolean;
  callSuffix?: string;
  /** Structured output for this call (the decision repair). */
  jsonSchema?: Readonly<Record<string, unknown>>;
}

export interface AgentCallOutcome {
  text: string;
  summary: CallSummary;
}

/** What the pipeline needs from the workflow: settings, budget and a place to put outcomes. */
export interface PipelineRunState {
  request: AnalysisRequest;
  settings: RunSettings;
  budget: BudgetState;
  calibration?: { version: string; agents: Partial<Record<AgentName, AgentCalibration>> };
  calls: CallSummary[];
  degradations: string[];
  onCallFinished: (summary: CallSummary) => void;
}

/** Builds the activity proxies of one run from its settings. */
export function createPipelineProxies(settings: RunSettings) {
  const pure = proxyLocalActivities<PipelineActivities>({
    startToCloseTimeout: '60s',
    retry: { maximumAttempts: 3 },
  });
  const { invokeModel } = proxyActivities<{ invokeModel: (input: unknown) => Promise<InvokeResult> }>({
    taskQueue: settings.invokeTaskQueue,
    startToCloseTimeout: `${settings.invoke.startToCloseSeconds}s`,
    heartbeatTimeout: `${settings.invoke.heartbeatTimeoutSeconds}s`,
    retry: {
      maximumAttempts: settings.invoke.maximumAttempts,
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      nonRetryableErrorTypes: NON_RETRYABLE_INVOKE_TYPES,
    },
  });
  const { trackUsage } = proxyActivities<UsageActivities>({
    startToCloseTimeout: '30s',
    retry: { maximumAttempts: 5 },
  });
  // Activity proxies are Proxy objects with no own keys: name each function, never spread them.
  return {
    enhancePrompt: pure.enhancePrompt,
    optimizePrompt: pure.optimizePrompt,
    predictResponse: pure.predictResponse,
    limitResponse: pure.limitResponse,
    parseDecision: pure.parseDecision,
    invokeModel,
    trackUsage,
  };
}

export type PipelineProxies = ReturnType<typeof createPipelineProxies>;

/** Tokens a failed invoke spent, from its failure details or last heartbeat; undefined when unknown. */
export function lostTokensOf(error: unknown): number | undefined {
  let cause: unknown = error instanceof ActivityFailure ? error.cause : error;
  while (cause) {
    if (cause instanceof ApplicationFailure) {
      const detail = cause.details?.[0] as { lostTokens?: unknown } | undefined;
      if (detail && typeof detail.lostTokens === 'number') return detail.lostTokens;
    }
    if (cause instanceof TimeoutFailure) {
      const heartbeat = cause.lastHeartbeatDetails as InvokeHeartbeat | undefined;
      if (heartbeat && typeof heartbeat.lostTokens === 'number') {
        return heartbeat.lostTokens + (heartbeat.inputTokens ?? 0) + (heartbeat.outputTokens ?? 0);
      }
    }
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The failure type of an activity error (`AuthenticationFailed`, `BudgetExhausted`, …). */
export function failureTypeOf(error: unknown): string | undefined {
  let cause: unknown = error;
  while (cause) {
    if (cause instanceof ApplicationFailure && cause.type) return cause.type;
    if (cause instanceof TimeoutFailure) return 'Timeout';
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

function failureMessageOf(error: unknown): string {
  let cause: unknown = error;
  let message = error instanceof Error ? error.message : String(error);
  while (cause) {
    if (cause instanceof ApplicationFailure || cause instanceof TimeoutFailure) message = cause.message;
    cause = (cause as { cause?: unknown }).cause;
  }
  return message;
}

/**
 * One agent call through the token pipeline: enhance -> optimize -> predict -> invoke -> limit -> track.
 * Returns undefined when the budget cannot pay for the call even with a trimmed prompt (the reason is
 * recorded in `state.degradations`); throws a non-retryable failure when the model call fails for good.
 */
export async function runAgentCall(
  state: PipelineRunState,
  proxies: PipelineProxies,
  call: AgentCallRequest,
): Promise<AgentCallOutcome | undefined> {
  const { settings, request, budget } = state;
  const mode = request.mode;
  const line: BudgetLine = call.budgetLine ?? call.agent;
  const calibration = state.calibration?.agents[call.agent];
  const wordLimit =
    mode === 'optimized'
      ? (call.wordLimit ?? calibration?.wordLimit ?? settings.agents[call.agent].wordLimit)
      : undefined;
  const callId = `${workflowInfo().workflowId}/${call.agent}/${call.round}${call.callSuffix ?? ''}`;
  const label = `${call.agent} round ${call.round}${call.callSuffix ?? ''}`;

  const draft = await proxies.enhancePrompt({
    agent: call.agent,
    context: call.context,
    mode,
    round: call.round,
    totalRounds: call.totalRounds,
    wordLimit,
    digestWords: settings.digestWords,
    repair: call.repair,
  });

  const responseGuess =
    wordLimit !== undefined
      ? Math.ceil(wordLimit * DEFAULT_TOKENS_PER_WORD * DEFAULT_HEADROOM)
      : MINIMUM_RESPONSE_TOKENS;
  const available = () => availableFor(budget, line, call.roundsLeft);
  const contextLimit = (room: number) =>
    Math.max(
      0,
      Math.min(settings.maxPromptTokens, settings.contextWindow - responseGuess, room - responseGuess),
    );

  let optimized = await proxies.optimizePrompt({
    draft,
    mode,
    model: settings.model,
    contextBudgetTokens: mode === 'optimized' ? contextLimit(available()) : undefined,
  });
  const fits = (promptTokens: number) =>
    promptTokens + promptMargin(promptTokens) + MINIMUM_RESPONSE_TOKENS <= available() &&
    promptTokens + MINIMUM_RESPONSE_TOKENS <= settings.contextWindow;
  if (!fits(optimized.promptTokens) && mode === 'optimized') {
    const room = available() - promptMargin(optimized.promptTokens);
    const tighter = Math.max(0, Math.min(settings.contextWindow, room) - MINIMUM_RESPONSE_TOKENS);
    optimized = await proxies.optimizePrompt({
      draft,
      mode,
      model: settings.model,
      contextBudgetTokens: tighter,
    });
    if (fits(optimized.promptTokens)) {
      state.degradations.push(
        `${label}: context trimmed to ${optimized.promptTokens} prompt tokens to fit the budget`,
      );
    }
  }
  if (!fits(optimized.promptTokens)) {
    state.degradations.push(
      optimized.promptTokens + MINIMUM_RESPONSE_TOKENS > settings.contextWindow
        ? `${label}: skipped, its prompt needs ${optimized.promptTokens} tokens plus a response, more than the model's ${settings.contextWindow}-token window`
        : `${label}: skipped, its prompt needs ${optimized.promptTokens} tokens plus a response but only ${available()} remain for it`,
    );
    return undefined;
  }

  const margin = promptMargin(optimized.promptTokens);
  const prediction = await proxies.predictResponse({
    agent: call.agent,
    mode,
    wordLimit,
    promptTokens: optimized.promptTokens,
    available: Math.min(
      available() - optimized.promptTokens - margin,
      settings.contextWindow - optimized.promptTokens,
    ),
    maxResponseTokens: settings.maxResponseTokens,
    calibration,
    repair: call.repair !== undefined,
  });
  if (prediction.maxTokens < MINIMUM_RESPONSE_TOKENS) {
    state.degradations.push(`${label}: skipped, only ${prediction.maxTokens} response tokens left for it`);
    return undefined;
  }

  // Concurrent agents (the analysts) may have reserved since the prediction: clamp to what is left now.
  const maxTokens = Math.min(prediction.maxTokens, available() - optimized.promptTokens - margin);
  if (maxTokens < MINIMUM_RESPONSE_TOKENS) {
    state.degradations.push(`${label}: skipped, only ${Math.max(0, maxTokens)} response tokens left for it`);
    return undefined;
  }
  const amount = optimized.promptTokens + margin + maxTokens;
  const reservation = reserve(budget, callId, line, amount, amount, call.roundsLeft);
  if (!reservation) {
    state.degradations.push(`${label}: skipped, the budget could not reserve ${amount} tokens`);
    return undefined;
  }

  let result: InvokeResult;
  try {
    result = await proxies.invokeModel({
      callId,
      agent: call.agent,
      provider: settings.provider,
      model: settings.model,
      messages: optimized.messages,
      maxTokens,
      promptTokens: optimized.promptTokens,
      spendCeiling: reservationCeiling(reservation),
      jsonSchema: call.jsonSchema,
      // The stream monitor's runaway check is part of the limiter: not for the baseline, nor for structured
      // output, whose grammar already bounds it.
      repetitionWindowWords:
        mode === 'optimized' && call.jsonSchema === undefined ? settings.repetitionWindowWords : undefined,
    });
  } catch (error) {
    const lost = lostTokensOf(error) ?? reservationCeiling(reservation);
    settle(budget, reservation, lost);
    const type = failureTypeOf(error) ?? 'InvokeFailed';
    if (type === 'BudgetExhausted') {
      state.degradations.push(
        `${label}: stopped, its retries used up the tokens reserved for it (${lost} lost)`,
      );
      return undefined;
    }
    throw ApplicationFailure.create({
      message: `The ${call.agent.replace(/_/g, ' ')} call failed: ${failureMessageOf(error)}`,
      type,
      nonRetryable: true,
      details: [{ agent: call.agent, lostTokens: lost }],
    });
  }
  const spent = result.usage.inputTokens + result.usage.outputTokens + result.lostTokens;
  settle(budget, reservation, spent);

  const limitEnforced = mode === 'optimized' && !call.skipLimit;
  const limited = await proxies.limitResponse({
    text: result.text,
    wordLimit: wordLimit ?? settings.agents[call.agent].wordLimit,
    enforce: limitEnforced,
    // Stopped at its token ceiling, or by the stream monitor as a runaway: it may end mid-sentence, and it
    // did not keep to its limit by itself.
    stoppedAtCap: result.stoppedByLimit || result.finishReason === 'repetition',
  });

  const cost = costUsd(
    {
      inputTokens: result.usage.inputTokens + result.lostTokens,
      outputTokens: result.usage.outputTokens,
      cachedInputTokens: result.usage.cachedInputTokens,
    },
    settings.prices,
    // Model time of the answer (a local model's machine has a price per hour, tokens none).
    result.latencyMs,
  );

  const summary: CallSummary = {
    callId,
    agent: call.agent,
    round: call.round,
    budgetLine: line,
    promptTokens: result.usage.inputTokens,
    originalPromptTokens: optimized.originalPromptTokens,
    completionTokens: result.usage.outputTokens,
    cachedPromptTokens: result.usage.cachedInputTokens,
    lostTokens: result.lostTokens,
    usageSource: result.usageSource,
    maxTokens,
    // The clamp above may have lowered max_tokens after the prediction; the answer cannot pass it.
    predictedTokens:
      prediction.predictedTokens === undefined ? undefined : Math.min(prediction.predictedTokens, maxTokens),
    predictionBasis: prediction.basis,
    rawWords: limited.rawWords,
    words: limited.words,
    wordLimit: wordLimit ?? settings.agents[call.agent].wordLimit,
    rawCompliant: limited.rawCompliant,
    truncated: limited.truncated,
    limitEnforced,
    costUsd: cost,
    latencyMs: result.latencyMs,
    attempts: result.attempt,
    finishReason: result.finishReason,
  };

  await proxies.trackUsage({
    callId,
    workflowId: workflowInfo().workflowId,
    runId: workflowInfo().runId,
    ticker: request.ticker,
    agent: call.agent,
    round: call.round,
    mode,
    provider: settings.provider,
    model: settings.model,
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
    finishReason: summary.finishReason,
    calibrationVersion: state.calibration?.version,
  });

  state.calls.push(summary);
  state.onCallFinished(summary);
  return { text: limited.text, summary };
}
