import { withCountCache } from '../core/token-counter';
import type { ChatMessage, TokenCounter } from '../core/types';
import { getLocalModel } from './local-model';

/**
 * A {@link TokenCounter} using a GGUF model's own tokenizer, so budgets count the tokens that model sees
 * rather than tiktoken's. `countMessages` applies the model's chat template exactly as the local provider
 * formats a request, so it equals the provider's reported `inputTokens` for the same messages. Counts are
 * cached by content (`cacheEntries`, the core default unless given; 0 disables the cache). Shares the
 * process-wide model loaded by {@link getLocalModel} and fails like it when the file is missing or corrupt.
 */
export async function createLocalTokenCounter(
  modelPath: string,
  options: { cacheEntries?: number } = {},
): Promise<TokenCounter> {
  const localModel = await getLocalModel({ modelPath });
  const counter: TokenCounter = {
    name: `gguf:${localModel.name}`,
    exact: true,
    count: (text: string) => (text === '' ? 0 : localModel.tokenize(text).length),
    countMessages: (messages: readonly ChatMessage[]) => localModel.tokenizeChat(messages).length,
  };
  return withCountCache(counter, options.cacheEntries);
}
