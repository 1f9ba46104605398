import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import type { AgentName } from '../core/agents';
import { FAILURE_TYPE, isRetryableFailureType, type FailureType } from '../core/failure-types';
import { FINISH_REASON, type FinishReason } from '../core/finish-reasons';
import {
  ATTEMPT_OUTCOME,
  USAGE_SOURCE,
  attemptsFromHeartbeat,
  attemptsTokens,
  type AttemptProgress,
  type AttemptRecord,
  type UsageSource,
} from '../core/ledger';
import { StreamMonitor } from '../core/stream-monitor';
import { AttemptHeartbeat } from './attempt-heartbeat';
import { UNLEARNED_ESTIMATE_FACTOR, estimateServerTokens } from '../core/tokenizer-drift';
import type { ChatMessage, PipelineMode, TokenCounter } from '../core/types';
import { ProviderError, type ChatProvider, type ChatResult } from '../llm/provider';
import type { RequestMetrics } from '../monitoring/tokenflow-metrics';

/** One model call as the workflow asks for it. Plain JSON; holds no secrets. */
export interface InvokeInput {
  /** Stable across retries of the call (`${workflowId}/${agent}/${round}`). */
  callId: string;
  agent: AgentName;
  provider: 'openai' | 'local';
  model: string;
  /** The run's mode, for the request metrics' `mode` label; absent in runs started before it was passed. */
  mode?: PipelineMode;
  messages: ChatMessage[];
  /** Completion ceiling the predictive limiter set for this call. */
  maxTokens: number;
  /** Prompt tokens as the optimizer counted them with tokenflow's tokenizer for the model. */
  promptTokens: number;
  /**
   * Tokens the workflow reserved for this call, retries included. Each attempt asks for at most what is left
   * of it after the prompt and the tokens of earlier, lost attempts.
   */
  spendCeiling: number;
  /**
   * Server tokens per local token, as the run has learned them for this endpoint (tokenizer drift); absent
   * while unknown. Estimates then err toward the bill ({@link UNLEARNED_ESTIMATE_FACTOR}).
   */
  drift?: { prompt?: number; completion?: number };
  temperature?: number;
  /** Structured output: constrain the answer to JSON matching this schema (the decision repair uses it). */
  jsonSchema?: Readonly<Record<string, unknown>>;
  /**
   * Stop a runaway answer: once this many words in a row repeat an earlier passage of the answer verbatim,
   * the stream stops and the answer ends before the repeat (finish reason `repetition`). Absent or below 2:
   * off (the baseline leaves models alone).
   */
  repetitionWindowWords?: number;
}

/** What one successful call returns to the workflow. */
export interface InvokeResult {
  text: string;
  /** What this attempt put on the bill: the server's figures, or estimates (see `usageSource`). */
  usage: { inputTokens: number; outputTokens: number; cachedInputTokens?: number };
  /** `server` when the endpoint reported usage, `estimated` when tokenflow counted (and scaled by drift). */
  usageSource: UsageSource;
  /**
   * tokenflow's own count of the same prompt and answer, from which the workflow learns the drift. Absent in
   * results recorded by older workers (histories replay them).
   */
  localUsage?: { inputTokens: number; outputTokens: number };
  /**
   * `repetition` when the stream monitor stopped an answer that had started repeating itself: `text` ends
   * before the repeat, while `usage` counts every token streamed (they were paid for).
   */
  finishReason: FinishReason;
  /** True when the answer ended at the token ceiling: the server's `length` or our stream monitor's `limit`. */
  stoppedByLimit: boolean;
  /** Temporal attempt that succeeded (1 on the first try). */
  attempt: number;
  /** Tokens spent by earlier attempts of this call; they count against the budget too. */
  lostTokens: number;
  /** Every attempt of the call, this one last; absent in results recorded by older workers. */
  attempts?: AttemptRecord[];
  latencyMs: number;
}

/**
 * Heartbeat details of an invoke attempt. If the worker dies, the next attempt reads the last ones it sent:
 * `attempts` holds the attempts that ended (this one too once it has), `current` what this one has spent so
 * far. The prompt counts from the first heartbeat, sent as the request goes out: a server bills a prompt it
 * has started on, and the ledger errs toward the bill.
 *
 * `lostTokens`, `inputTokens` and `outputTokens` repeat those totals in the shape older workflow code reads.
 */
export interface InvokeHeartbeat {
  attempt: number;
  attempts: AttemptRecord[];
  current?: AttemptProgress;
  lostTokens: number;
  inputTokens: number;
  outputTokens: number;
}

/** Details of every failure the invoke activity throws, so the workflow settles and records what was spent. */
export interface InvokeFailureDetails {
  lostTokens: number;
  attempts: AttemptRecord[];
}

export interface InvokeActivityDependencies {
  providers: Partial<Record<'openai' | 'local', ChatProvider>>;
  /** The tokenizer of a model, used for the live count and when the server reports no usage. */
  counterFor: (model: string) => TokenCounter;
  /**
   * Least time between two heartbeats sent for streamed deltas; 0 (the default) heartbeats on every delta and
   * leaves throttling to the SDK. Heartbeats at the start, while waiting and before a failure are always sent.
   */
  heartbeatEveryMs?: number;
  /** Where each request's duration and time to first chunk go (the worker's metrics); absent, nowhere. */
  metrics?: RequestMetrics;
}

/** Below this many completion tokens an answer is not worth asking for. */
export const MINIMUM_ATTEMPT_TOKENS = 16;

/**
 * Builds the invoke step of the token pipeline: streams one model call, heartbeating what it has put on the
 * bill (also while a busy server holds the request), stops the stream when it runs past its ceiling or starts
 * repeating itself (the stream monitor) or when the activity is cancelled, and accounts for every attempt:
 * completed, failed, cancelled, or lost with a worker that died. Temporal owns retries: provider errors become
 * `ApplicationFailure`s typed with the provider's error type, retryable or not, honouring `retry-after`
 * through `nextRetryDelay`.
 */
export function createInvokeActivity(deps: InvokeActivityDependencies) {
  const heartbeatEveryMs = deps.heartbeatEveryMs ?? 0;

  return {
    async invokeModel(input: InvokeInput): Promise<InvokeResult> {
      const context = Context.current();
      const attempt = context.info.attempt;
      const startedAt = Date.now();
      const counter = deps.counterFor(input.model);
      // The model's own tokenizer counts what the model processes; any other only estimates it.
      const unlearned = counter.exact ? 1 : UNLEARNED_ESTIMATE_FACTOR;
      const factors = {
        prompt: input.drift?.prompt ?? unlearned,
        completion: input.drift?.completion ?? unlearned,
      };
      const promptEstimate = estimateServerTokens(input.promptTokens, factors.prompt);
      const earlier = attemptsFromHeartbeat(context.info.heartbeatDetails, attempt, {
        promptTokens: promptEstimate,
        maxTokens: input.maxTokens,
        spendCeiling: input.spendCeiling,
      });
      const lostBefore = attemptsTokens(earlier);
      const failureDetails = (attempts: AttemptRecord[]): InvokeFailureDetails => ({
        lostTokens: attemptsTokens(attempts),
        attempts,
      });

      const provider = deps.providers[input.provider];
      if (!provider) {
        throw typedFailure(
          FAILURE_TYPE.ProviderNotConfigured,
          `No "${input.provider}" model provider is configured on this worker; start the worker with that provider or route the call to one that has it.`,
          failureDetails(earlier),
        );
      }

      const attemptMaxTokens = Math.min(input.maxTokens, input.spendCeiling - lostBefore - promptEstimate);
      if (attemptMaxTokens < MINIMUM_ATTEMPT_TOKENS) {
        throw typedFailure(
          FAILURE_TYPE.BudgetExhausted,
          `The ${input.agent.replace(/_/g, ' ')} call has ${Math.max(0, attemptMaxTokens)} response tokens left of the ${input.spendCeiling} reserved for it ` +
            `(prompt ${promptEstimate}, spent by earlier attempts ${lostBefore}); raise the run budget or shorten the prompt.`,
          failureDetails(earlier),
        );
      }

      let started = false;
      const monitor = new StreamMonitor({
        counter,
        maxTokens: attemptMaxTokens,
        completionFactor: input.drift?.completion ?? 1,
        estimateFactor: factors.completion,
        repetitionWindowWords: input.repetitionWindowWords,
      });
      const progress = (): AttemptProgress => ({
        promptTokens: promptEstimate,
        completionTokens: monitor.completionEstimate(),
        maxTokens: attemptMaxTokens,
      });

      const heartbeat = new AttemptHeartbeat(
        context,
        { attempt, earlier, everyMs: heartbeatEveryMs },
        progress,
      );

      const controller = new AbortController();
      const onCancel = (): void => controller.abort(context.cancellationSignal.reason);
      if (context.cancellationSignal.aborted) onCancel();
      else context.cancellationSignal.addEventListener('abort', onCancel, { once: true });
      heartbeat.startWaiting();

      // The request goes out now: from here on its prompt is on the bill if the worker dies.
      heartbeat.beat(true);
      const requestSentAt = Date.now();
      let firstChunkAt: number | undefined;
      const observeRequest = (errorType?: string): void => {
        deps.metrics?.observeRequest({
          agent: input.agent,
          provider: input.provider,
          model: input.model,
          mode: input.mode ?? 'unknown',
          durationSeconds: (Date.now() - requestSentAt) / 1000,
          ...(firstChunkAt === undefined
            ? {}
            : { timeToFirstChunkSeconds: (firstChunkAt - requestSentAt) / 1000 }),
          ...(errorType === undefined ? {} : { errorType }),
        });
      };
      let result: ChatResult | undefined;
      try {
        result = await provider.stream(
          {
            model: input.model,
            messages: input.messages,
            maxTokens: attemptMaxTokens,
            callId: input.callId,
            ...(input.temperature === undefined ? {} : { temperature: input.temperature }),
            ...(input.jsonSchema === undefined ? {} : { jsonSchema: input.jsonSchema }),
            signal: controller.signal,
          },
          (delta) => {
            // Deltas the SDK had buffered before the monitor stopped the stream are not part of the answer.
            if (controller.signal.aborted) return;
            started = true;
            firstChunkAt ??= Date.now();
            const stop = monitor.observe(delta.text);
            // Past the ceiling the server did not stop at max_tokens: stop reading and pay for no more. A runaway
            // is rewriting what it already wrote and will not end by itself.
            if (stop === FINISH_REASON.limit)
              controller.abort(new Error('stream monitor: completion passed its token ceiling'));
            else if (stop === FINISH_REASON.repetition)
              controller.abort(new Error('stream monitor: the answer started repeating itself'));
            heartbeat.beat(false);
          },
        );
      } catch (error) {
        if (!monitor.stopped) {
          const cancelled = context.cancellationSignal.aborted;
          // A request the server refused (an HTTP error, no connection) cost nothing; one it had started on, or
          // was holding when we gave up or were cancelled, is billed for its prompt.
          const promptBilled = started || cancelled || heldByServer(error);
          const record: AttemptRecord = {
            attempt,
            outcome: cancelled ? ATTEMPT_OUTCOME.cancelled : ATTEMPT_OUTCOME.failed,
            promptTokens: promptBilled ? promptEstimate : 0,
            completionTokens: monitor.completionEstimate(),
            source: USAGE_SOURCE.estimated,
          };
          if (!cancelled) record.failureType = failureTypeOfError(error);
          observeRequest(record.failureType ?? ATTEMPT_OUTCOME.cancelled);
          const attempts = [...earlier, record];
          heartbeat.ended(attempts);
          if (cancelled) {
            throw new CancelledFailure(
              `The ${input.agent.replace(/_/g, ' ')} call was cancelled while it streamed.`,
              [failureDetails(attempts)],
            );
          }
          throw toFailure(error, failureDetails(attempts));
        }
      } finally {
        heartbeat.stop();
        context.cancellationSignal.removeEventListener('abort', onCancel);
      }

      observeRequest();
      const outputCounted = counter.count(monitor.text);
      const serverUsage = monitor.stopped ? undefined : result?.serverUsage;
      const fromServer = serverUsage?.inputTokens !== undefined && serverUsage.outputTokens !== undefined;
      const usage: InvokeResult['usage'] = {
        inputTokens: fromServer ? (serverUsage.inputTokens ?? promptEstimate) : promptEstimate,
        outputTokens: fromServer
          ? (serverUsage.outputTokens ?? 0)
          : estimateServerTokens(outputCounted, factors.completion, monitor.chunks),
      };
      if (serverUsage?.cachedInputTokens !== undefined)
        usage.cachedInputTokens = serverUsage.cachedInputTokens;
      const finishReason: FinishReason = monitor.stopped ?? result?.finishReason ?? FINISH_REASON.unknown;
      const usageSource = fromServer ? USAGE_SOURCE.server : USAGE_SOURCE.estimated;

      return {
        text: monitor.answer(),
        usage,
        usageSource,
        localUsage: { inputTokens: input.promptTokens, outputTokens: outputCounted },
        finishReason,
        stoppedByLimit: finishReason === FINISH_REASON.limit || finishReason === FINISH_REASON.length,
        attempt,
        lostTokens: lostBefore,
        attempts: [
          ...earlier,
          {
            attempt,
            outcome: ATTEMPT_OUTCOME.completed,
            promptTokens: usage.inputTokens,
            completionTokens: usage.outputTokens,
            source: usageSource,
          },
        ],
        latencyMs: Date.now() - startedAt,
      };
    },
  };
}

function isProviderError(error: unknown): error is ProviderError {
  if (error instanceof ProviderError) return true;
  // A second copy of the module (bundling, tests) breaks instanceof; the shape is enough.
  return (
    error instanceof Error &&
    error.name === 'ProviderError' &&
    typeof (error as Partial<ProviderError>).type === 'string' &&
    typeof (error as Partial<ProviderError>).retryable === 'boolean'
  );
}

/** Failures after which the server may well have processed the prompt: it held the request, then we gave up. */
const HELD_REQUEST_FAILURES: ReadonlySet<string> = new Set([
  FAILURE_TYPE.FirstByteTimeout,
  FAILURE_TYPE.StreamDropped,
]);

function heldByServer(error: unknown): boolean {
  return isProviderError(error) && error.status === undefined && HELD_REQUEST_FAILURES.has(error.type);
}

function failureTypeOfError(error: unknown): string {
  if (isProviderError(error)) return error.type;
  return error instanceof Error && error.name ? error.name : 'Error';
}

/** A failure of one of tokenflow's own types, retryable as the failure-type table says. */
function typedFailure(type: FailureType, message: string, details: InvokeFailureDetails): ApplicationFailure {
  return ApplicationFailure.create({
    message,
    type,
    nonRetryable: !isRetryableFailureType(type),
    details: [details],
  });
}

function toFailure(error: unknown, details: InvokeFailureDetails): ApplicationFailure {
  if (isProviderError(error)) {
    return ApplicationFailure.create({
      message: error.message,
      type: error.type,
      nonRetryable: !error.retryable,
      details: [details],
      ...(error.retryable && error.retryAfterMs !== undefined && error.retryAfterMs > 0
        ? { nextRetryDelay: error.retryAfterMs }
        : {}),
    });
  }
  // Anything else is a bug or an unforeseen failure: retry it, but keep the tokens spent.
  const cause = error instanceof Error ? error : new Error(String(error));
  return ApplicationFailure.create({
    message: `The model call failed unexpectedly: ${cause.message}`,
    type: cause.name || 'Error',
    nonRetryable: false,
    details: [details],
    cause,
  });
}
