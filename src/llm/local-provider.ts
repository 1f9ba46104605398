import type { LlamaChatResponse } from 'node-llama-cpp' with { 'resolution-mode': 'import' };
import { FAILURE_TYPE } from '../core/failure-types';
import { FINISH_REASON, type FinishReason } from '../core/finish-reasons';
import { ProviderError, type ChatProvider, type ChatResult } from './provider';
import {
  abortReason,
  jsonSchemaGrammar,
  getLocalModel,
  runExclusive,
  toChatHistory,
  type LocalModel,
  type LocalModelOptions,
} from './local-model';

/** Temperature when the request names none: low, so that analyses repeat closely from run to run. */
export const LOCAL_DEFAULT_TEMPERATURE = 0.3;
/** Fixed sampling seed: the same prompt and temperature give the same answer on the same build. */
export const LOCAL_SEED = 42;
/** Repetition penalty over the last 128 tokens (llama.cpp's default window is 64, too short for looping sentences). */
export const LOCAL_REPEAT_PENALTY = {
  lastTokens: 128,
  penalty: 1.15,
  frequencyPenalty: 0.2,
  presencePenalty: 0.1,
};
/**
 * Prompt tokens evaluated per step before generation starts. llama.cpp cannot stop inside one evaluation, so
 * the prompt is fed in slices and the abort signal checked between them: at ~390 prompt tokens/s on 2 cores a
 * slice takes ~0.7 s. Slices of 256 read as fast as 512 here; 128 halved the speed.
 */
const PROMPT_SLICE_TOKENS = 256;

/** The local provider, with what a report needs to name it. */
export interface LocalChatProvider extends ChatProvider {
  readonly kind: 'local';
  readonly modelPath: string;
  readonly contextSize: number;
}

/**
 * A {@link ChatProvider} running a GGUF model in this process through node-llama-cpp (CPU only). The model
 * is loaded on the first request and shared by every provider naming the same file; generations run one at a
 * time per process. `request.model` is not consulted: the file decides the model.
 *
 * - The prompt is the model's own chat template applied to the messages; `serverUsage.inputTokens` counts the
 *   tokens of exactly that text, `outputTokens` the tokens generated (the end-of-turn token excluded), both
 *   with the model's tokenizer.
 * - Generation stops at `request.maxTokens` with finish reason `length`.
 * - A prompt that leaves no room for `maxTokens` in the context window fails with a non-retryable
 *   `ContextOverflow` before any evaluation; a missing or corrupt model file with `ModelUnavailable`.
 * - `request.signal` aborting stops evaluation within one prompt slice or one token and rejects with the
 *   signal's reason (a `DOMException` named `AbortError` when the reason is not an error), as the OpenAI
 *   provider does.
 */
export function createLocalProvider(options: LocalModelOptions): LocalChatProvider {
  return {
    kind: 'local',
    modelPath: options.modelPath,
    contextSize: options.contextSize,
    async stream(request, onDelta) {
      const signal = request.signal;
      if (signal?.aborted) throw abortReason(signal);
      if (!Number.isInteger(request.maxTokens) || request.maxTokens < 1) {
        // llama.cpp reads 0 as "no limit", which would run to the end of the context window.
        throw new ProviderError(
          `maxTokens must be a whole number of at least 1 (got ${request.maxTokens}); skip the call when no tokens are left.`,
          FAILURE_TYPE.BadRequest,
        );
      }
      try {
        const localModel = await getLocalModel(options);
        return await runExclusive(() => generate(localModel, options, request, onDelta), signal);
      } catch (error) {
        if (signal?.aborted) throw abortReason(signal);
        if (error instanceof ProviderError) throw error;
        throw new ProviderError(
          `The local model failed (${error instanceof Error ? error.message : String(error)}); the call will be retried.`,
          FAILURE_TYPE.ServerError,
        );
      }
    },
  };
}

async function generate(
  localModel: LocalModel,
  options: LocalModelOptions,
  request: Parameters<ChatProvider['stream']>[0],
  onDelta: Parameters<ChatProvider['stream']>[1],
): Promise<ChatResult> {
  const { LlamaChat } = await import('node-llama-cpp');
  const signal = request.signal;
  const promptTokens = localModel.tokenizeChat(request.messages);
  const sequence = await localModel.freshSequence(options);
  // llama.cpp may round the context up; the configured size is what the budget planned with.
  const window = Math.min(options.contextSize, sequence.contextSize);
  const overflow = promptTokens.length + request.maxTokens - window;
  if (overflow > 0) {
    throw new ProviderError(
      `The prompt is ${promptTokens.length} tokens and asks for up to ${request.maxTokens} more, ${overflow} tokens beyond the local model's ${window}-token context window; shorten the prompt or lower max tokens.`,
      FAILURE_TYPE.ContextOverflow,
    );
  }

  // Feed all but the last prompt token in slices so an abort is noticed during a long prompt; LlamaChat then
  // finds this prefix already evaluated and only decodes the last token before sampling.
  const prefixEnd = promptTokens.length - 1;
  for (let start = 0; start < prefixEnd; start += PROMPT_SLICE_TOKENS) {
    if (signal?.aborted) throw abortReason(signal);
    await sequence.evaluateWithoutGeneratingNewTokens(
      promptTokens.slice(start, Math.min(start + PROMPT_SLICE_TOKENS, prefixEnd)),
    );
    // Reading a long prompt on CPU takes many seconds with no text: an empty delta per slice lets the
    // invoke activity heartbeat, so the heartbeat timeout still tells a slow prompt from a hung one.
    onDelta({ text: '' });
  }
  if (signal?.aborted) throw abortReason(signal);

  const chat = new LlamaChat({ contextSequence: sequence, chatWrapper: localModel.chatWrapper });
  let outputTokens = 0;
  let response: LlamaChatResponse;
  try {
    const grammar = request.jsonSchema ? await jsonSchemaGrammar(request.jsonSchema) : undefined;
    response = await chat.generateResponse(toChatHistory(request.messages), {
      maxTokens: request.maxTokens,
      ...(grammar ? { grammar } : {}),
      // A 135M-parameter model loops on its own phrases ("The report is based on ...") without these.
      repeatPenalty: LOCAL_REPEAT_PENALTY,
      dryRepeatPenalty: { strength: 0.8 },
      temperature: request.temperature ?? LOCAL_DEFAULT_TEMPERATURE,
      seed: LOCAL_SEED,
      ...(signal ? { signal } : {}),
      onToken: (tokens) => {
        outputTokens += tokens.length;
      },
      onTextChunk: (text) => onDelta({ text }),
    });
  } finally {
    // Keeps the shared sequence: the next request clears its history instead of recreating the context.
    chat.dispose({ disposeSequence: false });
  }
  return {
    text: response.response,
    serverUsage: { inputTokens: promptTokens.length, outputTokens },
    finishReason: finishReasonOf(response.metadata.stopReason),
  };
}

function finishReasonOf(stopReason: LlamaChatResponse['metadata']['stopReason']): FinishReason {
  switch (stopReason) {
    case 'eogToken':
    case 'stopGenerationTrigger':
    case 'customStopTrigger':
      return FINISH_REASON.stop;
    case 'maxTokens':
      return FINISH_REASON.length;
    default:
      return FINISH_REASON.unknown;
  }
}
