import type { ChatMessage } from '../../src/core/types';
import { encodeText } from './completion-plan';

/**
 * A prompt prefix cache for the fake server and the benches: it remembers the token sequences of the last
 * prompts it saw and reports, for a new prompt, the longest token prefix it shares with any of them, served as
 * a rule says ({@link OPENAI_PREFIX_CACHE} by default). `cached_tokens` in a usage is that served part.
 */

/** How a server's prefix cache decides what part of a prompt it served. */
export interface PrefixCacheRule {
  /** A match shorter than this is not served from the cache at all. */
  minimumTokens: number;
  /** The cache serves whole blocks of this many tokens. */
  blockTokens: number;
  /** Prompts remembered; the oldest is forgotten first. */
  rememberedPrompts: number;
}

/**
 * OpenAI's documented rule: prompts of 1,024 tokens or more are cached, a hit needs an exact prefix match, and
 * the cached part grows in 128-token steps past the first 1,024.
 */
export const OPENAI_PREFIX_CACHE: Readonly<PrefixCacheRule> = {
  minimumTokens: 1024,
  blockTokens: 128,
  rememberedPrompts: 256,
};

/**
 * A cache that serves any shared prefix, token by token, as llama.cpp's server does when it reuses a slot's
 * cache (`cache_prompt`); this one compares with every remembered prompt, not one slot's last, so it is the
 * most such a server could serve.
 */
export const ANY_PREFIX_CACHE: Readonly<PrefixCacheRule> = {
  minimumTokens: 1,
  blockTokens: 1,
  rememberedPrompts: 256,
};

/*
 * Stand-ins for the chat format's tokens around each message and before the reply, so a prompt's sequence has
 * exactly as many tokens as `countChatPromptTokens` counts (3 per message around its role and content, 3 more
 * priming the reply). Negative, so they never equal a real token.
 */
const MESSAGE_START = [-1, -2, -3];
const REPLY_START = [-4, -5, -6];

/**
 * The tokens of a chat prompt in the order a server reads them: per message the format's tokens, the role and
 * the content (each in o200k_base), then the tokens that prime the reply.
 */
export function chatPromptTokenSequence(messages: readonly ChatMessage[]): number[] {
  const sequence: number[] = [];
  for (const message of messages) {
    sequence.push(...MESSAGE_START, ...encodeText(message.role), ...encodeText(message.content));
  }
  sequence.push(...REPLY_START);
  return sequence;
}

/** Tokens the two sequences share from their start. */
export function commonPrefixLength(left: readonly number[], right: readonly number[]): number {
  const limit = Math.min(left.length, right.length);
  let length = 0;
  while (length < limit && left[length] === right[length]) length += 1;
  return length;
}

/** The cached part of a prompt whose longest match is `matchedTokens`: whole blocks, none below the minimum. */
export function cachedTokensFor(matchedTokens: number, rule: Readonly<PrefixCacheRule>): number {
  if (matchedTokens < rule.minimumTokens) return 0;
  return Math.floor(matchedTokens / rule.blockTokens) * rule.blockTokens;
}

/** Throws when a rule would cache nonsensically. */
export function checkPrefixCacheRule(rule: Readonly<PrefixCacheRule>): void {
  for (const name of ['minimumTokens', 'blockTokens', 'rememberedPrompts'] as const) {
    if (!(Number.isInteger(rule[name]) && rule[name] >= 1))
      throw new Error(`prefixCache.${name} must be a whole number of at least 1; got ${rule[name]}.`);
  }
}

/** Remembers recent prompts and says how much of the next one a prefix cache would have served. */
export class PrefixCache {
  private readonly prompts: number[][] = [];

  constructor(readonly rule: Readonly<PrefixCacheRule> = OPENAI_PREFIX_CACHE) {
    checkPrefixCacheRule(rule);
  }

  /**
   * The longest prefix `sequence` shares with a remembered prompt, in the sequence's tokens; then remembers it,
   * forgetting the oldest prompt when full. {@link cachedTokensFor} turns the match into what the cache served.
   */
  matchAndRemember(sequence: readonly number[]): number {
    let longest = 0;
    for (const earlier of this.prompts) longest = Math.max(longest, commonPrefixLength(earlier, sequence));
    this.prompts.push([...sequence]);
    if (this.prompts.length > this.rule.rememberedPrompts) this.prompts.shift();
    return longest;
  }

  /** The cached tokens of a chat prompt under the rule, counted as `countChatPromptTokens` counts. */
  lookUpAndRemember(messages: readonly ChatMessage[]): number {
    return cachedTokensFor(this.matchAndRemember(chatPromptTokenSequence(messages)), this.rule);
  }
}
