import { ApplicationFailure, Context } from '@temporalio/activity';
import type { AgentName } from '../core/agents';
import type { ChatMessage, TokenCounter } from '../core/types';
import { answerBeforeRepeat, RepetitionDetector, type RepetitionFound } from '../core/repetition-detector';
import { ProviderError, type ChatProvider, type ChatResult, type FinishReason } from '../llm/provider';

/** One model call as the workflow asks for it. Plain JSON; holds no secrets. */
export interface InvokeInput {
  /** Stable across retries of the call (`${workflowId}/${agent}/${round}`). */
  callId: string;
  agent: AgentName;
  provider: 'openai' | 'local';
  model: string;
  messages: ChatMessage[];
  /** Completion ceiling the predictive limiter set for this call. */
  maxTokens: number;
  /** Prompt tokens as the optimizer counted them with the model's tokenizer. */
  promptTokens: number;
  /**
   * Tokens the workflow reserved for this call, retries included. Each attempt asks for at most what is left
   * of it after the prompt and the tokens of earlier, lost attempts.
   */
  spendCeiling: number;
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
  usage: { inputTokens: number; outputTokens: number; cachedInputTokens?: number };
  /** `server` when the endpoint reported usage, `counted` when we counted with the model's tokenizer. */
  usageSource: 'server' | 'counted';
  /**
   * `repetition` when the stream monitor stopped an answer that had started repeating itself: `text` ends
   * before the repeat, while `usage` counts every token streamed (they were paid for).
   */
  finishReason: FinishReason;
  /** True when the answer ended at the token ceiling: the server's `length` or our stream monitor's `limit`. */
  stoppedByLimit: boolean;
  /** Temporal attempt that succeeded (1 on the first try). */
  attempt: number;
  /** Tokens spent by earlier, failed attempts of this call; they count against the budget too. */
  lostTokens: number;
  latencyMs: number;
}

/**
 * Heartbeat details of an invoke attempt. The next attempt reads them to learn what a lost attempt spent:
 * `lostTokens` is what attempts before this one lost, `inputTokens`/`outputTokens` what this one has spent so
 * far (input counts once the server has started answering).
 */
export interface InvokeHeartbeat {
  attempt: number;
  outputTokens: number;
  inputTokens: number;
  lostTokens: number;
}

/** Details of every failure the invoke activity throws, so the workflow settles the tokens it lost. */
export interface InvokeFailureDetails {
  lostTokens: number;
}

export interface InvokeActivityDependencies {
  providers: Partial<Record<'openai' | 'local', ChatProvider>>;
  /** The tokenizer of a model, used for the live count and when the server reports no usage. */
  counterFor: (model: string) => TokenCounter;
  /**
   * Least time between two heartbeats sent for streamed deltas; 0 (the default) heartbeats on every delta and
   * leaves throttling to the SDK. Heartbeats at the start and before a failure are always sent.
   */
  heartbeatEveryMs?: number;
}

/** Below this many completion tokens an answer is not worth asking for. */
export const MINIMUM_ATTEMPT_TOKENS = 16;

/**
 * Builds the invoke step of the token pipeline: streams one model call, heartbeating the live token count,
 * stops the stream when it runs past its ceiling or starts repeating itself (the stream monitor) or when the
 * activity is cancelled, and reports the tokens of lost attempts. Temporal owns retries: provider errors
 * become `ApplicationFailure`s typed with the provider's error type, retryable or not, honouring
 * `retry-after` through `nextRetryDelay`.
 */
export function createInvokeActivity(deps: InvokeActivityDependencies) {
  const heartbeatEveryMs = deps.heartbeatEveryMs ?? 0;

  return {
    async invokeModel(input: InvokeInput): Promise<InvokeResult> {
      const context = Context.current();
      const attempt = context.info.attempt;
      const startedAt = Date.now();
      const lostBefore = attempt > 1 ? lostTokensFromHeartbeat(context.info.heartbeatDetails) : 0;

      const provider = deps.providers[input.provider];
      if (!provider) {
        throw ApplicationFailure.create({
          message: `No "${input.provider}" model provider is configured on this worker; start the worker with that provider or route the call to one that has it.`,
          type: 'ProviderNotConfigured',
          nonRetryable: true,
          details: [{ lostTokens: lostBefore } satisfies InvokeFailureDetails],
        });
      }

      const attemptMaxTokens = Math.min(
        input.maxTokens,
        input.spendCeiling - lostBefore - input.promptTokens,
      );
      if (attemptMaxTokens < MINIMUM_ATTEMPT_TOKENS) {
        throw ApplicationFailure.create({
          message:
            `The ${input.agent.replace(/_/g, ' ')} call has ${Math.max(0, attemptMaxTokens)} response tokens left of the ${input.spendCeiling} reserved for it ` +
            `(prompt ${input.promptTokens}, lost to failed attempts ${lostBefore}); raise the run budget or shorten the prompt.`,
          type: 'BudgetExhausted',
          nonRetryable: true,
          details: [{ lostTokens: lostBefore } satisfies InvokeFailureDetails],
        });
      }

      const counter = deps.counterFor(input.model);
      const live = new LiveTokenCount(counter);
      let text = '';
      let started = false;
      let stoppedByMonitor = false;
      // Off (it finds nothing) when the window is absent or below 2 words.
      const repetition = new RepetitionDetector(input.repetitionWindowWords ?? 0);
      let repeat: RepetitionFound | undefined;
      let lastHeartbeatAt = 0;
      const heartbeat = (force: boolean): void => {
        const now = Date.now();
        if (!force && heartbeatEveryMs > 0 && now - lastHeartbeatAt < heartbeatEveryMs) return;
        lastHeartbeatAt = now;
        context.heartbeat({
          attempt,
          outputTokens: live.tokens,
          inputTokens: started ? input.promptTokens : 0,
          lostTokens: lostBefore,
        } satisfies InvokeHeartbeat);
      };
      // Tokens this attempt spent so far, reported if it fails.
      const partialTokens = (): number =>
        (started ? input.promptTokens : 0) + (text === '' ? 0 : counter.count(text));

      const controller = new AbortController();
      const onCancel = (): void => controller.abort(context.cancellationSignal.reason);
      if (context.cancellationSignal.aborted) onCancel();
      else context.cancellationSignal.addEventListener('abort', onCancel, { once: true });

      heartbeat(true);
      let result: ChatResult | undefined;
      try {
        result = await provider.stream(
          {
            model: input.model,
            messages: input.messages,
            maxTokens: attemptMaxTokens,
            ...(input.temperature === undefined ? {} : { temperature: input.temperature }),
            ...(input.jsonSchema === undefined ? {} : { jsonSchema: input.jsonSchema }),
            signal: controller.signal,
          },
          (delta) => {
            // Deltas the SDK had buffered before the monitor stopped the stream are not part of the answer.
            if (controller.signal.aborted) return;
            started = true;
            if (delta.text !== '') {
              text += delta.text;
              live.add(delta.text);
            }
            if (live.tokens > attemptMaxTokens) {
              // The server did not stop at max_tokens: stop reading and pay for no more.
              stoppedByMonitor = true;
              controller.abort(new Error('stream monitor: completion passed its token ceiling'));
            } else if (delta.text !== '') {
              repeat = repetition.update(text);
              if (repeat) {
                // A runaway: the model is rewriting what it already wrote and will not end by itself.
                stoppedByMonitor = true;
                controller.abort(new Error('stream monitor: the answer started repeating itself'));
              }
            }
            heartbeat(false);
          },
        );
      } catch (error) {
        if (!stoppedByMonitor) {
          const lostTokens = lostBefore + partialTokens();
          heartbeat(true);
          if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason ?? error;
          throw toFailure(error, lostTokens);
        }
      } finally {
        context.cancellationSignal.removeEventListener('abort', onCancel);
      }

      const outputCounted = counter.count(text);
      const serverUsage = stoppedByMonitor ? undefined : result?.serverUsage;
      const fromServer = serverUsage?.inputTokens !== undefined && serverUsage.outputTokens !== undefined;
      const usage: InvokeResult['usage'] = {
        inputTokens: fromServer ? (serverUsage.inputTokens ?? input.promptTokens) : input.promptTokens,
        outputTokens: fromServer ? (serverUsage.outputTokens ?? outputCounted) : outputCounted,
      };
      if (serverUsage?.cachedInputTokens !== undefined)
        usage.cachedInputTokens = serverUsage.cachedInputTokens;
      const finishReason: FinishReason = repeat
        ? 'repetition'
        : stoppedByMonitor
          ? 'limit'
          : (result?.finishReason ?? 'unknown');

      return {
        text: repeat ? answerBeforeRepeat(text, repeat.repeatStart) : text,
        usage,
        usageSource: fromServer ? 'server' : 'counted',
        finishReason,
        stoppedByLimit: finishReason === 'limit' || finishReason === 'length',
        attempt,
        lostTokens: lostBefore,
        latencyMs: Date.now() - startedAt,
      };
    },
  };
}

/** What earlier attempts lost, from the previous attempt's last heartbeat (0 when there is none). */
function lostTokensFromHeartbeat(details: unknown): number {
  if (typeof details !== 'object' || details === null) return 0;
  const heartbeat = details as Partial<Record<keyof InvokeHeartbeat, unknown>>;
  const number = (value: unknown): number =>
    typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
  return number(heartbeat.lostTokens) + number(heartbeat.inputTokens) + number(heartbeat.outputTokens);
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

function toFailure(error: unknown, lostTokens: number): ApplicationFailure {
  const details: InvokeFailureDetails[] = [{ lostTokens }];
  if (isProviderError(error)) {
    return ApplicationFailure.create({
      message: error.message,
      type: error.type,
      nonRetryable: !error.retryable,
      details,
      ...(error.retryable && error.retryAfterMs !== undefined && error.retryAfterMs > 0
        ? { nextRetryDelay: error.retryAfterMs }
        : {}),
    });
  }
  // Anything else is a bug or an unforeseen failure: retry it, but keep the lost tokens.
  const cause = error instanceof Error ? error : new Error(String(error));
  return ApplicationFailure.create({
    message: `The model call failed unexpectedly: ${cause.message}`,
    type: cause.name || 'Error',
    nonRetryable: false,
    details,
    cause,
  });
}

/**
 * Live completion token count that stays cheap on long answers: text up to a recent word boundary is counted
 * once and kept as a running total, only the short tail since is recounted on each delta. Splitting before a
 * space matches how BPE pre-tokenizers split, so the total stays within a token or two of a full recount.
 */
class LiveTokenCount {
  private committed = 0;
  private tail = '';
  tokens = 0;

  constructor(private readonly counter: TokenCounter) {}

  add(text: string): void {
    this.tail += text;
    if (this.tail.length > 256) {
      const boundary = this.tail.lastIndexOf(' ', this.tail.length - 16);
      if (boundary > 0) {
        this.committed += this.counter.count(this.tail.slice(0, boundary));
        this.tail = this.tail.slice(boundary);
      }
    }
    this.tokens = this.committed + this.counter.count(this.tail);
  }
}
