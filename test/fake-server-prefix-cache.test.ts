import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatMessage } from '../src/core/types';
import {
  ANY_PREFIX_CACHE,
  OPENAI_PREFIX_CACHE,
  countChatPromptTokens,
  startFakeOpenAiServer,
  type FakeOpenAiServer,
} from './support/fake-openai-server';
import {
  PrefixCache,
  cachedTokensFor,
  chatPromptTokenSequence,
  commonPrefixLength,
} from './support/prefix-cache';

interface UsageChunk {
  usage?: { prompt_tokens: number; prompt_tokens_details?: { cached_tokens?: number } };
}

/** The usage a streamed chat request reports. */
async function usageOf(server: FakeOpenAiServer, messages: ChatMessage[]): Promise<UsageChunk['usage']> {
  const response = await fetch(`${server.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    }),
  });
  const frames = (await response.text())
    .split('\n\n')
    .filter((frame) => frame.startsWith('data: ') && frame !== 'data: [DONE]')
    .map((frame) => JSON.parse(frame.slice('data: '.length)) as UsageChunk);
  return frames.find((frame) => frame.usage !== undefined)?.usage;
}

/** A long shared context and a short question: what downstream agents of one run look like to a server. */
const shared = Array.from(
  { length: 300 },
  (_, index) => `Line ${index}: the close was ${2700 + index}.25 on volume ${index * 13}.`,
).join('\n');
const prompt = (question: string): ChatMessage[] => [
  { role: 'system', content: 'You are a member of a trading research team.' },
  { role: 'user', content: `${shared}\n\n## Task\n${question}` },
];

describe('prefix cache rule', () => {
  test("OpenAI's rule: nothing below 1,024 tokens, then whole 128-token blocks", () => {
    assert.equal(cachedTokensFor(1023, OPENAI_PREFIX_CACHE), 0);
    assert.equal(cachedTokensFor(1024, OPENAI_PREFIX_CACHE), 1024);
    assert.equal(cachedTokensFor(1151, OPENAI_PREFIX_CACHE), 1024);
    assert.equal(cachedTokensFor(1152, OPENAI_PREFIX_CACHE), 1152);
    assert.equal(cachedTokensFor(5, ANY_PREFIX_CACHE), 5);
  });

  test('a chat prompt has as many tokens as the server counts, and matches another up to where they part', () => {
    const first = chatPromptTokenSequence(prompt('Buy or sell?'));
    const second = chatPromptTokenSequence(prompt('How large a position?'));
    assert.equal(first.length, countChatPromptTokens(prompt('Buy or sell?')));
    const common = commonPrefixLength(first, second);
    assert.ok(common > 1024 && common < first.length - 3, `common prefix ${common} of ${first.length}`);
  });

  test('remembers a bounded number of prompts', () => {
    const cache = new PrefixCache({ ...ANY_PREFIX_CACHE, rememberedPrompts: 1 });
    cache.matchAndRemember([1, 2, 3, 4]);
    cache.matchAndRemember([9, 9]);
    assert.equal(cache.matchAndRemember([1, 2, 3, 5]), 0, 'the first prompt was forgotten');
  });
});

describe('fake server with a prefix cache', () => {
  let plain: FakeOpenAiServer;
  let caching: FakeOpenAiServer;
  before(async () => {
    plain = await startFakeOpenAiServer();
    caching = await startFakeOpenAiServer({ prefixCache: OPENAI_PREFIX_CACHE });
  });
  after(async () => {
    await Promise.all([plain.close(), caching.close()]);
  });

  test('reports and bills the shared prefix as cached, in 128-token blocks', async () => {
    const first = await usageOf(caching, prompt('Buy or sell?'));
    assert.equal(first?.prompt_tokens_details?.cached_tokens, 0, 'nothing cached yet');
    const second = await usageOf(caching, prompt('How large a position?'));
    const cached = second?.prompt_tokens_details?.cached_tokens ?? 0;
    const common = commonPrefixLength(
      chatPromptTokenSequence(prompt('Buy or sell?')),
      chatPromptTokenSequence(prompt('How large a position?')),
    );
    assert.equal(cached, Math.floor(common / 128) * 128);
    assert.ok(cached >= 1024);
    assert.equal(caching.requests.at(-1)?.billed?.cachedPromptTokens, cached);
    assert.equal(caching.billedTotals().cachedPromptTokens, cached);
  });

  test('a short prompt is never cached, even when repeated', async () => {
    const short: ChatMessage[] = [{ role: 'user', content: 'Buy or sell SPX?' }];
    await usageOf(caching, short);
    assert.equal((await usageOf(caching, short))?.prompt_tokens_details?.cached_tokens, 0);
  });

  test('without the option the server reports 0 cached and bills as before', async () => {
    await usageOf(plain, prompt('Buy or sell?'));
    assert.equal((await usageOf(plain, prompt('Buy?')))?.prompt_tokens_details?.cached_tokens, 0);
    assert.equal(plain.requests.at(-1)?.billed?.cachedPromptTokens, undefined);
    assert.equal(plain.billedTotals().cachedPromptTokens, undefined);
  });
});
