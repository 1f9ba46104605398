import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  TimeoutFailure,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { PipelineActivities } from '../activities/pipeline-activities';
import type { InvokeInput, InvokeResult } from '../activities/invoke-activity';
import type { UsageActivities } from '../activities/usage-activities';
import type { AgentName, BudgetLine } from '../core/agents';
import { availableFor, reservationCeiling, reserve, settle, type BudgetState } from '../core/budget';
import {
  ATTEMPT_OUTCOME,
  USAGE_SOURCE,
  attemptsFromHeartbeat,
  attemptsTokens,
  attemptsUsage,
  normalizeUsageSource,
  readAttemptRecords,
  type AttemptRecord,
} from '../core/ledger';
import { DEFAULT_HEADROOM, DEFAULT_TOKENS_PER_WORD } from '../core/predictor';
import { costUsd } from '../core/pricing';
import type { AgentCalibration, AnalysisRequest, CallSummary, RunSettings } from '../core/run-types';
import {
  estimateServerTokens,
  learnedFactors,
  observeDrift,
  reservationPromptFactor,
  type TokenizerDrift,
} from '../core/tokenizer-drift';
import type { AgentContext, UsageRecord } from '../core/types';
import { LEDGER_RECORDS_FAILURES } from './patches';

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

/**
 * The server counts a prompt with its own tokenizer: what it may bill beyond our count, by the drift learned so
 * far (or a conservative default before any is). It joins the reservation's allowance from the buffer line, so
 * an agent's share is not cut for it; when the buffer cannot pay it, the invoke step asks for fewer completion
 * tokens instead, since it keeps each attempt within the ceiling by the same estimate.
 */
function driftMargin(promptTokens: number, drift: TokenizerDrift): number {
  return Math.ceil(promptTokens * Math.max(0, reservationPromptFactor(drift) - 1));
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
  /** The endpoint's tokenizer drift as the run has learned it so far (calibration, then every call). */
  drift: TokenizerDrift;
  onCallFinished: (summary: CallSummary) => void;
}

/** Builds the activity proxies of one run from its settings. */
export function createPipelineProxies(settings: RunSettings) {
  const pure = proxyLocalActivities<PipelineActivities>({
    startToCloseTimeout: '60s',
    retry: { maximumAttempts: 3 },
  });
  const { invokeModel } = proxyActivities<{ invokeModel: (input: InvokeInput) => Promise<InvokeResult> }>({
    taskQueue: settings.invokeTaskQueue,
    startToCloseTimeout: `${settings.invoke.startToCloseSeconds}s`,
    heartbeatTimeout: `${settings.invoke.heartbeatTimeoutSeconds}s`,
    // A cancelled run waits for the attempt to close its stream and report what it spent.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      maximumAttempts: settings.invoke.maximumAttempts,
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      nonRetryableErrorTypes: NON_RETRYABLE_INVOKE_TYPES,
    },
  });
  // The tokens are spent whatever the store does: a failing write retries on Temporal's schedule (a locked or
  // full database gets time to recover) and, past that, costs the run a degradation, never the run.
  const { trackUsage } = proxyActivities<UsageActivities>({
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: '15m',
    retry: { maximumAttempts: Number.POSITIVE_INFINITY, maximumInterval: '30s' },
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

/**
 * The attempts of a failed or cancelled invoke: from the failure's details, or the last heartbeat of an attempt
 * that timed out; undefined when nothing is known (the caller then charges the whole reservation).
 */
export function attemptsOf(
  error: unknown,
  fallback: { promptTokens: number; maxTokens: number; spendCeiling: number; maximumAttempts: number },
): AttemptRecord[] | undefined {
  let cause: unknown = error instanceof ActivityFailure ? error.cause : error;
  while (cause) {
    if (cause instanceof ApplicationFailure || cause instanceof CancelledFailure) {
      const detail = cause.details?.[0] as { lostTokens?: unknown; attempts?: unknown } | undefined;
      if (detail && Array.isArray(detail.attempts)) return readAttemptRecords(detail.attempts);
      if (detail && typeof detail.lostTokens === 'number') {
        // Details of older workers: one total.
        return [
          {
            attempt: 1,
            outcome: ATTEMPT_OUTCOME.failed,
            promptTokens: 0,
            completionTokens: Math.max(0, Math.ceil(detail.lostTokens)),
            source: USAGE_SOURCE.estimated,
          },
        ];
      }
      // Cancelled before it started (no details): it sent nothing.
      if (cause instanceof CancelledFailure) return [];
    }
    if (cause instanceof TimeoutFailure && cause.lastHeartbeatDetails !== undefined) {
      // A timeout ends the call only once every attempt was made; attempts after the last heartbeat left nothing.
      return attemptsFromHeartbeat(cause.lastHeartbeatDetails, fallback.maximumAttempts + 1, fallback);
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
  // The allowance pays for retries and for what the server may count beyond our count of the prompt.
  const allowance = amount + driftMargin(optimized.promptTokens, state.drift);
  const reservation = reserve(budget, callId, line, amount, allowance, call.roundsLeft);
  if (!reservation) {
    state.degradations.push(`${label}: skipped, the budget could not reserve ${amount} tokens`);
    return undefined;
  }

  const ceiling = reservationCeiling(reservation);
  const drift = learnedFactors(state.drift);
  const invokeInput: InvokeInput = {
    callId,
    agent: call.agent,
    provider: settings.provider,
    model: settings.model,
    messages: optimized.messages,
    maxTokens,
    promptTokens: optimized.promptTokens,
    spendCeiling: ceiling,
    ...(drift ? { drift } : {}),
    ...(call.jsonSchema !== undefined ? { jsonSchema: call.jsonSchema } : {}),
    // The stream monitor's runaway check is part of the limiter: not for the baseline, nor for structured
    // output, whose grammar already bounds it.
    ...(mode === 'optimized' && call.jsonSchema === undefined && settings.repetitionWindowWords !== undefined
      ? { repetitionWindowWords: settings.repetitionWindowWords }
      : {}),
  };
  const usageBase = {
    callId,
    workflowId: workflowInfo().workflowId,
    runId: workflowInfo().runId,
    ticker: request.ticker,
    agent: call.agent,
    round: call.round,
    mode,
    provider: settings.provider,
    model: settings.model,
    calibrationVersion: state.calibration?.version,
  };
  const settleCharging = (spent: number): void => {
    const { overrun } = settle(budget, reservation, spent);
    if (overrun) {
      state.degradations.push(
        `${label}: the endpoint billed ${overrun.spent} tokens, ${overrun.spent - overrun.ceiling} more than the ${overrun.ceiling} reserved for it; the run makes no more calls, so its cap still holds against what it knows`,
      );
    }
  };

  let result: InvokeResult;
  try {
    result = await proxies.invokeModel(invokeInput);
  } catch (error) {
    const promptEstimate = estimateServerTokens(optimized.promptTokens, reservationPromptFactor(state.drift));
    const attempts = attemptsOf(error, {
      promptTokens: Math.min(promptEstimate, ceiling),
      maxTokens,
      spendCeiling: ceiling,
      maximumAttempts: settings.invoke.maximumAttempts,
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
    settleCharging(lost);
    const cancelled = isCancellation(error);
    const type = cancelled ? ATTEMPT_OUTCOME.cancelled : (failureTypeOf(error) ?? 'InvokeFailed');
    const message = failureMessageOf(error);
    if (patched(LEDGER_RECORDS_FAILURES)) {
      await recordUnansweredCall(state, proxies, {
        usageBase,
        line,
        originalPromptTokens: optimized.originalPromptTokens,
        maxTokens,
        wordLimit: wordLimit ?? settings.agents[call.agent].wordLimit,
        attempts,
        finishReason: cancelled ? ATTEMPT_OUTCOME.cancelled : ATTEMPT_OUTCOME.failed,
        failure: message,
      });
    }
    if (cancelled) throw error;
    if (type === 'BudgetExhausted') {
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
  const spent = result.usage.inputTokens + result.usage.outputTokens + result.lostTokens;
  settleCharging(spent);
  if (result.usageSource === USAGE_SOURCE.server && result.localUsage) {
    state.drift = observeDrift(state.drift, {
      localPromptTokens: result.localUsage.inputTokens,
      serverPromptTokens: result.usage.inputTokens,
      localCompletionTokens: result.localUsage.outputTokens,
      serverCompletionTokens: result.usage.outputTokens,
    });
  }
  const limitEnforced = mode === 'optimized' && !call.skipLimit;
  const limited = await proxies.limitResponse({
    text: result.text,
    wordLimit: wordLimit ?? settings.agents[call.agent].wordLimit,
    enforce: limitEnforced,
    // Stopped at its token ceiling, or by the stream monitor as a runaway: it may end mid-sentence, and it
    // did not keep to its limit by itself.
    stoppedAtCap: result.stoppedByLimit || result.finishReason === 'repetition',
  });

  const attempts: AttemptRecord[] = result.attempts ?? [
    // A result of an older worker: its earlier attempts as one total.
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
  // Every attempt is billed, this one included.
  const billed = attemptsUsage(attempts);
  const cost = costUsd(
    {
      inputTokens: billed.promptTokens,
      outputTokens: billed.completionTokens,
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
    usageSource: normalizeUsageSource(result.usageSource),
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
    attemptRecords: attempts,
    finishReason: result.finishReason,
  };

  await trackCall(state, proxies, summary, {
    ...usageBase,
    ...(result.localUsage
      ? {
          localPromptTokens: result.localUsage.inputTokens,
          localCompletionTokens: result.localUsage.outputTokens,
        }
      : {}),
  });
  return { text: limited.text, summary };
}

type UsageBase = Pick<
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

/**
 * The track step: the call joins the run's ledger and its usage record is written. The write runs even in a
 * cancelled run (the tokens were spent), retries on Temporal's schedule, and a write that still fails costs the
 * run a degradation, never the run.
 */
async function trackCall(
  state: PipelineRunState,
  proxies: PipelineProxies,
  summary: CallSummary,
  base: UsageBase,
): Promise<void> {
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
async function recordUnansweredCall(
  state: PipelineRunState,
  proxies: PipelineProxies,
  call: {
    usageBase: UsageBase;
    line: BudgetLine;
    originalPromptTokens: number;
    maxTokens: number;
    wordLimit: number;
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
    budgetLine: call.line,
    promptTokens: 0,
    originalPromptTokens: call.originalPromptTokens,
    completionTokens: 0,
    lostTokens: promptTokens + completionTokens,
    usageSource: estimated ? USAGE_SOURCE.estimated : USAGE_SOURCE.server,
    maxTokens: call.maxTokens,
    rawWords: 0,
    words: 0,
    wordLimit: call.wordLimit,
    truncated: false,
    limitEnforced: false,
    costUsd: costUsd({ inputTokens: promptTokens, outputTokens: completionTokens }, state.settings.prices),
    latencyMs: 0,
    attempts: call.attempts.length,
    attemptRecords: call.attempts,
    finishReason: call.finishReason,
    failure: call.failure,
  };
  await trackCall(state, proxies, summary, call.usageBase);
}
