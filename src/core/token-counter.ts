import type { Tiktoken } from 'js-tiktoken/lite' with { 'resolution-mode': 'import' };
import type { ChatMessage, TokenCounter } from './types';

type TiktokenModule = typeof import('js-tiktoken/lite', { with: { 'resolution-mode': 'import' } });
type TiktokenRanks = ConstructorParameters<TiktokenModule['Tiktoken']>[0];

/** The js-tiktoken encodings tokenflow's model config can name. */
export type TiktokenEncodingName = 'o200k_base' | 'cl100k_base';

/**
 * Chat-format overhead as in OpenAI's cookbook (`num_tokens_from_messages`): every message costs 3 tokens
 * around its role and content, and 3 more prime the assistant's reply.
 */
export const TOKENS_PER_MESSAGE = 3;
export const TOKENS_PRIMING_REPLY = 3;

/** Default number of distinct texts whose counts are remembered per counter. */
export const DEFAULT_COUNT_CACHE_ENTRIES = 4096;

/** Texts longer than this are cached under a hash, so the cache does not keep whole reports alive. */
const HASHED_KEY_MIN_LENGTH = 256;

/**
 * js-tiktoken ships CommonJS builds with ESM-only typings, so it is required with the ESM types attached.
 * Rank tables are megabytes each and loaded only for the encodings used. The CommonJS build of a rank table
 * exports the object itself, not a `default`.
 */
const RANK_LOADERS: Record<TiktokenEncodingName, () => TiktokenRanks> = {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  o200k_base: () => require('js-tiktoken/ranks/o200k_base') as TiktokenRanks,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  cl100k_base: () => require('js-tiktoken/ranks/cl100k_base') as TiktokenRanks,
};

const encoders = new Map<TiktokenEncodingName, Tiktoken>();

/**
 * The process-wide js-tiktoken encoder of an encoding. Building one parses its rank table (hundreds of
 * milliseconds), so it is done once per encoding and process.
 */
export function getTiktokenEncoder(encoding: TiktokenEncodingName): Tiktoken {
  let encoder = encoders.get(encoding);
  if (encoder === undefined) {
    const loadRanks = RANK_LOADERS[encoding] as (() => TiktokenRanks) | undefined;
    if (loadRanks === undefined) {
      throw new Error(`Unknown tokenizer encoding "${String(encoding)}"; use o200k_base or cl100k_base.`);
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const lite = require('js-tiktoken/lite') as TiktokenModule;
    encoder = new lite.Tiktoken(loadRanks());
    encoders.set(encoding, encoder);
  }
  return encoder;
}

/** Hit and miss counts of a counter's cache, for benchmarks and diagnostics. */
export interface CountCacheStatistics {
  hits: number;
  misses: number;
  evictions: number;
  entries: number;
  capacity: number;
}

/**
 * A bounded map from text to token count. Recently used entries move to the back; the front is evicted
 * when full, which approximates least-recently-used at the cost of one delete and one set per hit.
 */
class CountCache {
  private readonly entries = new Map<string, number>();
  hits = 0;
  misses = 0;
  evictions = 0;

  constructor(readonly capacity: number) {}

  lookup(key: string, compute: () => number): number {
    if (this.capacity <= 0) {
      this.misses += 1;
      return compute();
    }
    const cached = this.entries.get(key);
    if (cached !== undefined) {
      this.hits += 1;
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached;
    }
    this.misses += 1;
    const value = compute();
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
      this.evictions += 1;
    }
    return value;
  }

  clear(): void {
    this.entries.clear();
    this.hits = 0;
    this.misses = 0;
    this.evictions = 0;
  }

  statistics(): CountCacheStatistics {
    return {
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
      entries: this.entries.size,
      capacity: this.capacity,
    };
  }
}

const cachesByCounter = new WeakMap<TokenCounter, CountCache>();

/**
 * A cache key for a text: the text itself when short, else its length and a 64-bit hash (two independent
 * 32-bit multiplicative hashes, cyrb53-style), which is far cheaper than encoding and keeps no reference to
 * the text.
 */
export function contentKey(text: string): string {
  if (text.length < HASHED_KEY_MIN_LENGTH) return text;
  let first = 0xdeadbeef;
  let second = 0x41c6ce57;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    first = Math.imul(first ^ code, 2654435761);
    second = Math.imul(second ^ code, 1597334677);
  }
  first = Math.imul(first ^ (first >>> 16), 2246822507) ^ Math.imul(second ^ (second >>> 13), 3266489909);
  second = Math.imul(second ^ (second >>> 16), 2246822507) ^ Math.imul(first ^ (first >>> 13), 3266489909);
  return `\u0000${text.length}:${(first >>> 0).toString(36)}:${(second >>> 0).toString(36)}`;
}

function messagesKey(messages: readonly ChatMessage[]): string {
  let key = '\u0001';
  for (const message of messages) key += `${message.role}\u0002${contentKey(message.content)}\u0003`;
  return key;
}

/** Texts shorter than this are encoded whole; longer ones are counted heading by heading. */
const SPLIT_MIN_LENGTH = 2048;

/**
 * Splits a text before every line that starts with `#` (each `## section` of a prompt), the newlines staying
 * with the piece before. The sum of the pieces' token counts equals the whole text's count: the o200k_base
 * and cl100k_base pre-tokenizers never join a newline run with a following `#` (a punctuation run only
 * absorbs trailing newlines and `/`), and BPE merges never cross pre-tokens. So a report re-sent inside ten
 * different prompts is encoded once, not ten times.
 */
export function splitAtHeadings(text: string): string[] {
  const pieces: string[] = [];
  let start = 0;
  for (let index = text.indexOf('\n#'); index >= 0; index = text.indexOf('\n#', index + 1)) {
    pieces.push(text.slice(start, index + 1));
    start = index + 1;
  }
  pieces.push(text.slice(start));
  return pieces;
}

/**
 * Tokens of a chat request as OpenAI's cookbook counts them: 3 per message plus its role and content, and 3
 * priming the reply.
 */
export function countChatMessages(messages: readonly ChatMessage[], count: (text: string) => number): number {
  let total = TOKENS_PRIMING_REPLY;
  for (const message of messages) total += TOKENS_PER_MESSAGE + count(message.role) + count(message.content);
  return total;
}

/**
 * A counter for OpenAI models through js-tiktoken. Counts are cached by content (`cacheEntries`, default
 * {@link DEFAULT_COUNT_CACHE_ENTRIES}; 0 disables the cache), and long texts are counted as the sum of their
 * `#`-headed pieces ({@link splitAtHeadings}), so a report counted for ten agents' prompts is encoded once.
 * Special-token text such as `<|endoftext|>` in user data is counted as ordinary text, as the API
 * treats it.
 */
export function createTiktokenCounter(
  encoding: TiktokenEncodingName,
  options: { cacheEntries?: number } = {},
): TokenCounter {
  const encoder = getTiktokenEncoder(encoding);
  const cache = new CountCache(options.cacheEntries ?? DEFAULT_COUNT_CACHE_ENTRIES);
  const encodeCount = (text: string): number => encoder.encode(text, [], []).length;
  const countPieces = (text: string): number => {
    if (text.length < SPLIT_MIN_LENGTH || !text.includes('\n#')) return encodeCount(text);
    let total = 0;
    for (const piece of splitAtHeadings(text))
      total += cache.lookup(contentKey(piece), () => encodeCount(piece));
    return total;
  };
  const count = (text: string): number =>
    text === '' ? 0 : cache.lookup(contentKey(text), () => countPieces(text));
  const counter: TokenCounter = {
    name: encoding,
    count,
    countMessages: (messages: readonly ChatMessage[]): number => countChatMessages(messages, count),
  };
  cachesByCounter.set(counter, cache);
  return counter;
}

const sharedCounters = new Map<TiktokenEncodingName, TokenCounter>();

/**
 * One cached counter per encoding for the whole process, so every activity in a worker shares the counts
 * (the same reports reach many agents' prompts).
 */
export function sharedTiktokenCounter(encoding: TiktokenEncodingName): TokenCounter {
  let counter = sharedCounters.get(encoding);
  if (counter === undefined) {
    counter = createTiktokenCounter(encoding);
    sharedCounters.set(encoding, counter);
  }
  return counter;
}

/**
 * Adds a content cache to any counter (e.g. the local model's own tokenizer). Both `count` and
 * `countMessages` are cached; the latter by the roles and contents of the messages, since a foreign chat
 * template's overhead cannot be split per message.
 */
export function withCountCache(
  counter: TokenCounter,
  cacheEntries: number = DEFAULT_COUNT_CACHE_ENTRIES,
): TokenCounter {
  const cache = new CountCache(cacheEntries);
  const cached: TokenCounter = {
    name: counter.name,
    ...(counter.exact === undefined ? {} : { exact: counter.exact }),
    count: (text: string): number => cache.lookup(contentKey(text), () => counter.count(text)),
    countMessages: (messages: readonly ChatMessage[]): number =>
      cache.lookup(messagesKey(messages), () => counter.countMessages(messages)),
  };
  cachesByCounter.set(cached, cache);
  return cached;
}

/** Hits and misses of a counter made by this module; undefined for a counter without a cache. */
export function countCacheStatistics(counter: TokenCounter): CountCacheStatistics | undefined {
  return cachesByCounter.get(counter)?.statistics();
}

/** Empties a counter's cache and resets its statistics (for cold-cache benchmarks). */
export function clearCountCache(counter: TokenCounter): void {
  cachesByCounter.get(counter)?.clear();
}
