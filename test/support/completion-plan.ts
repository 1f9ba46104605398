import type { Tiktoken } from 'js-tiktoken/lite' with { 'resolution-mode': 'import' };
import type { ChatMessage } from '../../src/core/types';
import { scriptAnswer, seededRandom, hashString, type ScriptOptions } from './scripted-model';

/**
 * How the fake OpenAI server counts and cuts an answer into streamed chunks: o200k_base tokens, converted to
 * the server's own tokens by a factor when it plays a server with another tokenizer. Chunks are whole tokens,
 * so the bill of a stream cut short is the sum of the chunks written, and the bill of a whole stream is the
 * usage count exactly.
 */

let encoder: Tiktoken | undefined;
/** The o200k_base encoder, built once per process (building it takes a noticeable fraction of a second). */
function o200k(): Tiktoken {
  if (encoder) return encoder;
  // js-tiktoken ships CommonJS builds but ESM-only typings, so it is required with the ESM types attached.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lite = require('js-tiktoken/lite') as typeof import('js-tiktoken/lite', {
    with: { 'resolution-mode': 'import' },
  });
  // The CommonJS build of the ranks exports the object itself, not a `default`.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ranks = require('js-tiktoken/ranks/o200k_base') as ConstructorParameters<typeof lite.Tiktoken>[0];
  encoder = new lite.Tiktoken(ranks);
  return encoder;
}

/**
 * Prompt tokens the way OpenAI's cookbook counts a chat request: 3 tokens per message, the role and content
 * tokens, and 3 tokens priming the reply.
 */
export function countChatPromptTokens(messages: readonly ChatMessage[]): number {
  let total = 3;
  for (const message of messages)
    total += 3 + o200k().encode(message.role).length + o200k().encode(message.content).length;
  return total;
}

/** The o200k_base tokens of `text`, as the server reads a message (its prefix cache compares these). */
export function encodeText(text: string): number[] {
  return o200k().encode(text);
}

/** Tokens of `text` in o200k_base, as the server counts a completion. */
export function countTextTokens(text: string): number {
  return o200k().encode(text).length;
}

/** What shapes a completion besides the prompt (see the server's `Behaviour`). */
export interface CompletionSettings extends ScriptOptions {
  completionTokenFactor: number;
  tokensPerChunk?: number;
  ignoreMaxTokens: boolean;
  /** Answers with this text instead of the scripted one when it returns a string (a model gone wrong). */
  answerOverride?: (messages: readonly ChatMessage[]) => string | undefined;
}

/** A piece of the answer as one event streams it, with the o200k tokens it carries. */
export interface StreamChunk {
  text: string;
  tokenCount: number;
}

/** An answer ready to stream. */
export interface CompletionPlan {
  chunks: StreamChunk[];
  finishReason: 'stop' | 'length';
  /** Server tokens of the whole completion, as the usage chunk reports them. */
  completionTokens: number;
  /** Server tokens of the first `o200kTokens` tokens of the completion. */
  countCompletion(o200kTokens: number): number;
}

/**
 * What the server streams for `messages`: the scripted answer (or, for `loop`, its first paragraph repeated
 * past the limit), cut to `limit` server tokens, in chunks.
 */
export function planCompletion(
  messages: readonly ChatMessage[],
  request: { limit: number | undefined; loop: boolean },
  behaviour: CompletionSettings,
): CompletionPlan {
  const { limit } = request;
  const factor = behaviour.completionTokenFactor;
  const countCompletion = (o200kTokens: number): number => Math.ceil(o200kTokens * factor);
  const override = behaviour.answerOverride?.(messages);
  const answer = override === undefined ? scriptAnswer(messages, behaviour) : { text: override };
  let answerText = answer.text;
  if (request.loop) {
    const paragraph = answer.text.split('\n\n')[0] ?? answer.text;
    const room = limit ?? 2000;
    answerText = paragraph;
    while (countCompletion(o200k().encode(answerText).length) <= room)
      answerText += `\n\n###\n\n${paragraph}`;
  }
  let tokens = o200k().encode(answerText);
  let finishReason: 'stop' | 'length' = 'stop';
  if (limit !== undefined && !behaviour.ignoreMaxTokens) {
    const kept = longestPrefixWithin(limit, tokens.length, countCompletion);
    if (kept < tokens.length) {
      tokens = tokens.slice(0, kept);
      finishReason = 'length';
    }
  }
  const pieces = wholeCharacterPieces(tokens);
  let chunks: StreamChunk[];
  if (behaviour.tokensPerChunk !== undefined) {
    chunks = groupPieces(pieces, behaviour.tokensPerChunk);
  } else {
    const completion = pieces.map((piece) => piece.text).join('');
    const words = splitIntoChunks(
      completion,
      seededRandom(hashString(`${behaviour.seed}|${completion.length}`)),
    );
    chunks = alignToPieces(words, pieces);
  }
  return { chunks, finishReason, completionTokens: countCompletion(tokens.length), countCompletion };
}

/** The most of `available` tokens whose server count stays within `limit` (the count never falls as n grows). */
function longestPrefixWithin(limit: number, available: number, count: (tokens: number) => number): number {
  if (count(0) > limit) return 0;
  let low = 0;
  let high = available;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (count(middle) <= limit) low = middle;
    else high = middle - 1;
  }
  return low;
}

/**
 * The tokens in the smallest runs that decode to whole characters: a token can end inside a multi-byte
 * character, and servers hold such a token back until the character is complete. Billing per chunk adds up
 * these token counts instead of re-encoding what was sent, so the total is the usage count exactly.
 */
function wholeCharacterPieces(tokens: readonly number[]): StreamChunk[] {
  const pieces: StreamChunk[] = [];
  let start = 0;
  for (let end = 1; end <= tokens.length; end++) {
    const text = o200k().decode(tokens.slice(start, end));
    if (text.endsWith('\uFFFD') && end < tokens.length) continue;
    pieces.push({ text, tokenCount: end - start });
    start = end;
  }
  return pieces;
}

/** Chunks of `size` tokens (more only when a character spans the boundary). */
function groupPieces(pieces: readonly StreamChunk[], size: number): StreamChunk[] {
  const chunks: StreamChunk[] = [];
  let current: StreamChunk = { text: '', tokenCount: 0 };
  for (const piece of pieces) {
    current = { text: current.text + piece.text, tokenCount: current.tokenCount + piece.tokenCount };
    if (current.tokenCount >= size) {
      chunks.push(current);
      current = { text: '', tokenCount: 0 };
    }
  }
  if (current.tokenCount > 0) chunks.push(current);
  return chunks;
}

/**
 * The word chunks made of whole tokens, as a model streams them: each chunk ends at the first token boundary
 * at or after its last word, so a token spanning two chunks goes with the first.
 */
function alignToPieces(words: readonly string[], pieces: readonly StreamChunk[]): StreamChunk[] {
  const chunks: StreamChunk[] = [];
  let pieceIndex = 0;
  let sentLength = 0;
  let wantedLength = 0;
  for (const word of words) {
    wantedLength += word.length;
    const chunk: StreamChunk = { text: '', tokenCount: 0 };
    for (let piece = pieces[pieceIndex]; piece && sentLength < wantedLength; piece = pieces[++pieceIndex]) {
      chunk.text += piece.text;
      chunk.tokenCount += piece.tokenCount;
      sentLength += piece.text.length;
    }
    if (chunk.tokenCount > 0) chunks.push(chunk);
  }
  return chunks;
}

/** Pieces of one to three words, each with its leading whitespace, as a model streams tokens. */
function splitIntoChunks(text: string, random: () => number): string[] {
  const words: string[] = [...(text.match(/\s*\S+/g) ?? [])];
  const tail = text.slice(words.join('').length);
  if (tail) words.push(tail);
  const chunks: string[] = [];
  for (let index = 0; index < words.length;) {
    const size = 1 + Math.floor(random() * 3);
    chunks.push(words.slice(index, index + size).join(''));
    index += size;
  }
  return chunks;
}
