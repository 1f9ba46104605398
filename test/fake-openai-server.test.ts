import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatMessage } from '../src/core/types';
import {
  countChatPromptTokens,
  countTextTokens,
  startFakeOpenAiServer,
  type FakeOpenAiServer,
} from './support/fake-openai-server';
import { countWords, detectRole, extractFacts, findWordLimit, scriptAnswer } from './support/scripted-model';

interface StreamedChunk {
  choices: Array<{ delta: { role?: string; content?: string }; finish_reason: string | null }>;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

/** Posts a chat request with plain fetch and parses the SSE frames, so the wire format itself is checked. */
async function postChat(
  server: FakeOpenAiServer,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ status: number; contentType: string | null; raw: string; chunks: StreamedChunk[] }> {
  const response = await fetch(`${server.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const raw = await response.text();
  const chunks = raw
    .split('\n\n')
    .filter((frame) => frame.startsWith('data: ') && frame !== 'data: [DONE]')
    .map((frame) => JSON.parse(frame.slice('data: '.length)) as StreamedChunk);
  return { status: response.status, contentType: response.headers.get('content-type'), raw, chunks };
}

function textOf(chunks: StreamedChunk[]): string {
  return chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
}

function contentOf(chunks: StreamedChunk[]): string[] {
  return chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').filter((content) => content !== '');
}

/** Starts a chat request and resolves with the response as soon as its headers arrive. */
function openChat(
  server: FakeOpenAiServer,
  body: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(`${server.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

/**
 * Reads the SSE frames of `response` as they arrive, until the stream ends (`broken` when it was cut off) or
 * `enough` says the test has what it wants.
 */
async function readStream(
  response: Response,
  enough: (chunks: StreamedChunk[]) => boolean = () => false,
): Promise<{ chunks: StreamedChunk[]; broken: boolean }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const chunks: StreamedChunk[] = [];
  let pending = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { chunks, broken: false };
      const frames = (pending + decoder.decode(value, { stream: true })).split('\n\n');
      pending = frames.pop() ?? '';
      for (const frame of frames)
        if (frame.startsWith('data: ') && frame !== 'data: [DONE]')
          chunks.push(JSON.parse(frame.slice('data: '.length)) as StreamedChunk);
      if (enough(chunks)) return { chunks, broken: false };
    }
  } catch {
    return { chunks, broken: true };
  }
}

function delay(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  for (let wait = 0; wait < 300 && !condition(); wait++) await delay(10);
  assert.ok(condition(), `timed out waiting until ${what}`);
}

const MARKET_PROMPT: ChatMessage[] = [
  { role: 'system', content: 'You are the market analyst of a trading desk. The trader reads your report.' },
  {
    role: 'user',
    content:
      'Ticker: AAPL\nDate: 2020-03-02\ndate,close\n2020-02-27,273.52\n2020-02-28,273.36\n2020-03-02,298.81\nRSI(14) 41.27, 50-day SMA 305.11, volume 85,349,300.\nWrite at most 150 words.',
  },
];

function withoutLimit(messages: ChatMessage[]): ChatMessage[] {
  return messages.map((message) => ({
    ...message,
    content: message.content.replace(/Write at most \d+ words\./, ''),
  }));
}

describe('fake OpenAI server', () => {
  let server: FakeOpenAiServer;
  before(async () => {
    server = await startFakeOpenAiServer({ seed: 7 });
  });
  after(async () => {
    await server.close();
  });

  test('streams real server-sent events, ending with a usage chunk and [DONE]', async () => {
    const { status, contentType, raw, chunks } = await postChat(server, {
      model: 'gpt-4o-mini',
      messages: MARKET_PROMPT,
      stream: true,
      stream_options: { include_usage: true },
    });
    assert.equal(status, 200);
    assert.equal(contentType, 'text/event-stream');
    assert.ok(raw.endsWith('data: [DONE]\n\n'));
    assert.equal(chunks[0]?.choices[0]?.delta.role, 'assistant');
    const contentChunks = chunks.filter((chunk) => (chunk.choices[0]?.delta.content ?? '') !== '');
    assert.ok(contentChunks.length > 10, `expected many content chunks, got ${contentChunks.length}`);
    const finish = chunks.find((chunk) => chunk.choices[0]?.finish_reason);
    assert.equal(finish?.choices[0]?.finish_reason, 'stop');
    const usage = chunks.at(-1)?.usage;
    const text = textOf(chunks);
    assert.equal(usage?.prompt_tokens, countChatPromptTokens(MARKET_PROMPT));
    assert.equal(usage?.completion_tokens, countTextTokens(text));
    assert.equal(usage?.total_tokens, (usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0));
    assert.equal(text, server.preview(MARKET_PROMPT).text);
  });

  test('counts prompt tokens with 3 tokens per message and 3 priming the reply', () => {
    // 3 (message) + 1 ("user") + 2 ("hello world") + 3 (reply priming), as in OpenAI's cookbook.
    assert.equal(countChatPromptTokens([{ role: 'user', content: 'hello world' }]), 9);
  });

  test('stops at max_tokens with finish_reason length', async () => {
    const { chunks } = await postChat(server, {
      model: 'gpt-4o-mini',
      messages: withoutLimit(MARKET_PROMPT),
      max_tokens: 25,
      stream: true,
      stream_options: { include_usage: true },
    });
    assert.equal(
      chunks.find((chunk) => chunk.choices[0]?.finish_reason)?.choices[0]?.finish_reason,
      'length',
    );
    assert.equal(countTextTokens(textOf(chunks)), 25);
    assert.equal(chunks.at(-1)?.usage?.completion_tokens, 25);
  });

  test('keeps streaming past max_tokens when told to ignore it', async () => {
    server.setBehaviour({ ignoreMaxTokens: true });
    try {
      const { chunks } = await postChat(server, {
        model: 'gpt-4o-mini',
        messages: withoutLimit(MARKET_PROMPT),
        max_tokens: 25,
        stream: true,
      });
      assert.equal(
        chunks.find((chunk) => chunk.choices[0]?.finish_reason)?.choices[0]?.finish_reason,
        'stop',
      );
      assert.ok(countTextTokens(textOf(chunks)) > 200);
    } finally {
      server.setBehaviour({ ignoreMaxTokens: false });
    }
  });

  test('sends no usage chunk unless asked, or when the omit-usage fault says so', async () => {
    const unasked = await postChat(server, { model: 'm', messages: MARKET_PROMPT, stream: true });
    assert.equal(
      unasked.chunks.some((chunk) => chunk.usage),
      false,
    );
    server.enqueueFault({ kind: 'omit-usage' });
    const omitted = await postChat(server, {
      model: 'm',
      messages: MARKET_PROMPT,
      stream: true,
      stream_options: { include_usage: true },
    });
    assert.equal(
      omitted.chunks.some((chunk) => chunk.usage),
      false,
    );
    assert.ok(omitted.raw.endsWith('data: [DONE]\n\n'));
  });

  test('injects a status fault once, with retry-after, then answers normally', async () => {
    server.enqueueFault({ kind: 'status', status: 429, retryAfterSeconds: 4 });
    const response = await fetch(`${server.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: MARKET_PROMPT, stream: true }),
    });
    assert.equal(response.status, 429);
    assert.equal(response.headers.get('retry-after'), '4');
    const body = (await response.json()) as { error: { message: string } };
    assert.match(body.error.message, /429/);
    const next = await postChat(server, { model: 'm', messages: MARKET_PROMPT, stream: true });
    assert.equal(next.status, 200);
  });

  test('drops the connection mid-stream', async () => {
    server.enqueueFault({ kind: 'drop', afterChunks: 3 });
    const response = await fetch(`${server.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: MARKET_PROMPT, stream: true }),
    });
    assert.equal(response.status, 200);
    await assert.rejects(response.text());
  });

  test('a hung stream stays open until the client leaves', async () => {
    server.enqueueFault({ kind: 'hang', afterChunks: 2 });
    const controller = new AbortController();
    const response = await fetch(`${server.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: MARKET_PROMPT, stream: true }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    const first = await reader.read();
    assert.equal(first.done, false);
    const stalled = await Promise.race([
      reader
        .read()
        .then(async () => reader.read())
        .then(async () => reader.read())
        .then(() => 'data'),
      new Promise<string>((resolve) => setTimeout(() => resolve('silence'), 300)),
    ]);
    assert.equal(stalled, 'silence');
    assert.equal(server.openStreamCount(), 1);
    controller.abort();
    await reader.read().catch(() => undefined);
    for (let wait = 0; wait < 50 && server.openStreamCount() > 0; wait++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(server.openStreamCount(), 0);
  });

  test('lists models and records requests without the key', async () => {
    const response = await fetch(`${server.url}/models`, {
      headers: { authorization: 'Bearer sk-secret-value' },
    });
    const body = (await response.json()) as { data: Array<{ id: string }> };
    assert.ok(body.data.some((model) => model.id === 'gpt-4o-mini'));
    const recorded = server.requests.at(-1);
    assert.equal(recorded?.path, '/v1/models');
    assert.equal(recorded?.headers.authorization, '[redacted]');
    assert.equal(JSON.stringify(server.requests).includes('sk-secret-value'), false);
  });

  test('answers 401 when a required key is missing or wrong', async () => {
    const guarded = await startFakeOpenAiServer({ requireApiKey: 'sk-right' });
    try {
      const wrong = await postChat(
        guarded,
        { model: 'm', messages: MARKET_PROMPT, stream: true },
        { authorization: 'Bearer sk-wrong' },
      );
      assert.equal(wrong.status, 401);
      const right = await postChat(
        guarded,
        { model: 'm', messages: MARKET_PROMPT, stream: true },
        { authorization: 'Bearer sk-right' },
      );
      assert.equal(right.status, 200);
    } finally {
      await guarded.close();
    }
  });
});

describe('fake OpenAI server as the bill', () => {
  const streamWithUsage = { stream: true, stream_options: { include_usage: true } };
  let server: FakeOpenAiServer;
  before(async () => {
    server = await startFakeOpenAiServer({ seed: 7 });
  });
  after(async () => {
    await server.close();
  });

  test('bills a finished stream exactly its usage chunk, whether or not the chunk is sent', async () => {
    const { chunks } = await postChat(server, { model: 'm', messages: MARKET_PROMPT, ...streamWithUsage });
    const usage = chunks.at(-1)?.usage;
    assert.ok(usage && usage.completion_tokens > 0);
    const expected = { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens };
    assert.deepEqual(server.requests.at(-1)?.billed, expected);
    server.enqueueFault({ kind: 'omit-usage' });
    await postChat(server, { model: 'm', messages: MARKET_PROMPT, ...streamWithUsage });
    assert.deepEqual(server.requests.at(-1)?.billed, expected, 'omit-usage still bills');
    await postChat(server, { model: 'm', messages: MARKET_PROMPT, stream: true });
    assert.deepEqual(server.requests.at(-1)?.billed, expected, 'not asking for usage still bills');
  });

  test('bills a dropped stream the prompt and only the chunks written before the drop', async () => {
    server.enqueueFault({ kind: 'drop', afterChunks: 5 });
    const { chunks, broken } = await readStream(
      await openChat(server, { model: 'm', messages: MARKET_PROMPT, stream: true }),
    );
    assert.ok(broken);
    assert.equal(contentOf(chunks).length, 5);
    const billed = server.requests.at(-1)?.billed;
    assert.equal(billed?.promptTokens, server.countPromptTokens(MARKET_PROMPT));
    assert.equal(billed?.completionTokens, countTextTokens(textOf(chunks)));
    assert.ok((billed?.completionTokens ?? 0) > 0);
  });

  test('bills a client that aborts mid-stream only what was written before it left', async () => {
    server.setBehaviour({ chunkDelayMs: 40 });
    try {
      const controller = new AbortController();
      const response = await openChat(
        server,
        { model: 'm', messages: MARKET_PROMPT, stream: true },
        controller.signal,
      );
      const { chunks } = await readStream(response, (received) => contentOf(received).length >= 3);
      controller.abort();
      await waitUntil(() => server.openStreamCount() === 0, 'the server saw the client leave');
      // Long enough for further chunks to have been written had the server not noticed.
      await delay(120);
      const received = countTextTokens(textOf(chunks));
      assert.equal(server.requests.at(-1)?.billed?.completionTokens, received);
      assert.ok(received < countTextTokens(server.preview(MARKET_PROMPT).text));
    } finally {
      server.setBehaviour({ chunkDelayMs: 0 });
    }
  });

  test('bills nothing for requests answered with an error status, or that are not chat streams', async () => {
    const guarded = await startFakeOpenAiServer({ requireApiKey: 'sk-right' });
    try {
      const right = { authorization: 'Bearer sk-right' };
      const chat = { model: 'm', messages: MARKET_PROMPT, ...streamWithUsage };
      assert.equal((await postChat(guarded, chat, { authorization: 'Bearer sk-wrong' })).status, 401);
      guarded.enqueueFault({ kind: 'status', status: 503 });
      assert.equal((await postChat(guarded, chat, right)).status, 503);
      assert.equal((await postChat(guarded, { ...chat, stream: false }, right)).status, 400);
      assert.equal((await fetch(`${guarded.url}/models`, { headers: right })).status, 200);
      assert.equal(guarded.requests.length, 4);
      assert.ok(guarded.requests.every((request) => request.billed === undefined));
      assert.deepEqual(guarded.billedTotals(), {
        requests: 0,
        promptTokens: 0,
        completionTokens: 0,
        totalTokens: 0,
      });
    } finally {
      await guarded.close();
    }
  });

  test('billedTotals sums the bill of every request, or of those a filter keeps', async () => {
    const fresh = await startFakeOpenAiServer({ seed: 3 });
    try {
      const usages: Array<{ model: string; usage: StreamedChunk['usage'] }> = [];
      for (const [model, messages, limit] of [
        ['alpha', MARKET_PROMPT, undefined],
        ['beta', withoutLimit(MARKET_PROMPT), 30],
        ['alpha', withoutLimit(MARKET_PROMPT), 45],
      ] as const) {
        const { chunks } = await postChat(fresh, { model, messages, max_tokens: limit, ...streamWithUsage });
        usages.push({ model, usage: chunks.at(-1)?.usage });
      }
      fresh.enqueueFault({ kind: 'status', status: 500 });
      await postChat(fresh, { model: 'alpha', messages: MARKET_PROMPT, ...streamWithUsage });
      const sum = (model?: string): { requests: number; promptTokens: number; completionTokens: number } => {
        const kept = usages.filter((entry) => model === undefined || entry.model === model);
        return {
          requests: kept.length,
          promptTokens: kept.reduce((total, entry) => total + (entry.usage?.prompt_tokens ?? 0), 0),
          completionTokens: kept.reduce((total, entry) => total + (entry.usage?.completion_tokens ?? 0), 0),
        };
      };
      const all = sum();
      assert.deepEqual(fresh.billedTotals(), {
        ...all,
        totalTokens: all.promptTokens + all.completionTokens,
      });
      const alpha = sum('alpha');
      assert.equal(alpha.requests, 2);
      assert.deepEqual(
        fresh.billedTotals((request) => request.body?.model === 'alpha'),
        {
          ...alpha,
          totalTokens: alpha.promptTokens + alpha.completionTokens,
        },
      );
    } finally {
      await fresh.close();
    }
  });

  test('a foreign tokenizer changes the usage, the bill and where max_tokens cuts', async () => {
    const foreign = await startFakeOpenAiServer({
      seed: 7,
      promptTokenFactor: 1.25,
      completionTokenFactor: 1.5,
    });
    try {
      const promptTokens = Math.ceil(countChatPromptTokens(MARKET_PROMPT) * 1.25);
      assert.notEqual(promptTokens, countChatPromptTokens(MARKET_PROMPT));
      assert.equal(foreign.countPromptTokens(MARKET_PROMPT), promptTokens);
      const whole = await postChat(foreign, { model: 'm', messages: MARKET_PROMPT, ...streamWithUsage });
      const usage = whole.chunks.at(-1)?.usage;
      assert.equal(usage?.prompt_tokens, promptTokens);
      assert.equal(usage?.completion_tokens, Math.ceil(countTextTokens(textOf(whole.chunks)) * 1.5));
      assert.deepEqual(foreign.requests.at(-1)?.billed, {
        promptTokens,
        completionTokens: usage?.completion_tokens,
      });

      // 16 o200k tokens count as 24 server tokens and a 17th would make 26, so max_tokens 25 keeps 16.
      const cut = await postChat(foreign, {
        model: 'm',
        messages: withoutLimit(MARKET_PROMPT),
        max_tokens: 25,
        ...streamWithUsage,
      });
      assert.equal(
        cut.chunks.find((chunk) => chunk.choices[0]?.finish_reason)?.choices[0]?.finish_reason,
        'length',
      );
      assert.equal(countTextTokens(textOf(cut.chunks)), 16);
      assert.equal(cut.chunks.at(-1)?.usage?.completion_tokens, 24);
      assert.equal(foreign.requests.at(-1)?.billed?.completionTokens, 24);
    } finally {
      await foreign.close();
    }
  });

  test('tokensPerChunk puts exactly that many tokens in every chunk but the last', async () => {
    const batching = await startFakeOpenAiServer({ seed: 7, tokensPerChunk: 4 });
    try {
      const { chunks } = await postChat(batching, {
        model: 'm',
        messages: MARKET_PROMPT,
        ...streamWithUsage,
      });
      const contents = contentOf(chunks);
      const text = contents.join('');
      assert.equal(text, batching.preview(MARKET_PROMPT).text);
      const total = countTextTokens(text);
      assert.equal(contents.length, Math.ceil(total / 4));
      // Chunks are whole tokens, so each prefix of the stream encodes to a multiple of 4 tokens.
      let prefix = '';
      for (const [index, content] of contents.slice(0, -1).entries()) {
        prefix += content;
        assert.equal(countTextTokens(prefix), 4 * (index + 1), `after chunk ${index}`);
      }
      assert.equal(chunks.at(-1)?.usage?.completion_tokens, total);
    } finally {
      await batching.close();
    }
  });

  test('firstChunkDelayMs sends the headers, then pauses before the first chunk', async () => {
    const slow = await startFakeOpenAiServer({ seed: 7, firstChunkDelayMs: 500 });
    try {
      const response = await openChat(slow, { model: 'm', messages: MARKET_PROMPT, stream: true });
      const headersAt = performance.now();
      assert.equal(response.status, 200);
      await readStream(response, (received) => received.length > 0);
      const pause = performance.now() - headersAt;
      assert.ok(pause >= 300, `first chunk ${Math.round(pause)} ms after the headers`);
    } finally {
      await slow.close();
    }
  });
});

describe('fake OpenAI server with few slots', () => {
  const chat = (model: string): Record<string, unknown> => ({ model, messages: MARKET_PROMPT, stream: true });

  test('serves one stream at a time, in arrival order, writing nothing to those waiting', async () => {
    const busy = await startFakeOpenAiServer({ seed: 7, slots: 1, chunkDelayMs: 5 });
    try {
      const served = (model: string): Promise<{ headersAt: number; endedAt: number; model?: string }> =>
        openChat(busy, chat(model)).then(async (response) => {
          const headersAt = performance.now();
          const { chunks } = await readStream(response);
          return { headersAt, endedAt: performance.now(), model: (chunks[0] as { model?: string }).model };
        });
      const first = served('first');
      await waitUntil(() => busy.openStreamCount() === 1, 'the first stream started');
      const second = served('second');
      await waitUntil(() => busy.queuedRequestCount() === 1, 'the second request waits');
      const third = served('third');
      await waitUntil(() => busy.queuedRequestCount() === 2, 'the third request waits');
      assert.equal(busy.openStreamCount(), 1);
      assert.equal(busy.requests[1]?.billed, undefined, 'a waiting request is not billed yet');

      const [one, two, three] = await Promise.all([first, second, third]);
      assert.deepEqual([one.model, two.model, three.model], ['first', 'second', 'third']);
      assert.ok(two.headersAt >= one.endedAt, 'the second answer began after the first ended');
      assert.ok(three.headersAt >= two.endedAt, 'the third answer began after the second ended');
      assert.equal(busy.queuedRequestCount(), 0);
      assert.equal(busy.billedTotals().requests, 3);
    } finally {
      await busy.close();
    }
  });

  test('a waiting request whose client leaves is never served nor billed', async () => {
    const busy = await startFakeOpenAiServer({ seed: 7, slots: 1 });
    try {
      busy.enqueueFault({ kind: 'hang', afterChunks: 2 });
      const holder = new AbortController();
      const hung = await readStream(
        await openChat(busy, chat('hung'), holder.signal),
        (received) => contentOf(received).length >= 2,
      );
      const leaver = new AbortController();
      const leaving = openChat(busy, chat('leaver'), leaver.signal).then(
        () => 'answered',
        () => 'failed',
      );
      await waitUntil(() => busy.queuedRequestCount() === 1, 'the second request waits');
      leaver.abort();
      assert.equal(await leaving, 'failed');
      await waitUntil(() => busy.queuedRequestCount() === 0, 'the request left the queue');
      assert.equal(busy.openStreamCount(), 1, 'only the hung stream holds the slot');

      holder.abort();
      await waitUntil(() => busy.openStreamCount() === 0, 'the hung stream closed');
      const next = await postChat(busy, chat('next'));
      assert.equal(next.status, 200);
      assert.ok(next.raw.endsWith('data: [DONE]\n\n'), 'the freed slot serves the next request');

      assert.deepEqual(
        busy.requests.map((request) => request.body?.model),
        ['hung', 'leaver', 'next'],
      );
      assert.equal(busy.requests[1]?.billed, undefined);
      assert.equal(busy.requests[0]?.billed?.completionTokens, countTextTokens(textOf(hung.chunks)));
      assert.equal(busy.billedTotals().requests, 2);
    } finally {
      await busy.close();
    }
  });

  test('close ends hung streams and waiting requests alike', async () => {
    const busy = await startFakeOpenAiServer({ seed: 7, slots: 1 });
    let closing: Promise<void> | undefined;
    try {
      busy.enqueueFault({ kind: 'hang', afterChunks: 1 });
      const hungResponse = await openChat(busy, chat('hung'));
      const waiting = openChat(busy, chat('waiting')).then(
        () => 'answered',
        () => 'failed',
      );
      await waitUntil(() => busy.queuedRequestCount() === 1, 'the second request waits');
      closing = busy.close();
      const closed = await Promise.race([closing.then(() => 'closed'), delay(3000).then(() => 'still open')]);
      assert.equal(closed, 'closed');
      assert.equal(busy.queuedRequestCount(), 0);
      assert.equal(busy.openStreamCount(), 0);
      assert.equal((await readStream(hungResponse)).broken, true);
      assert.equal(await waiting, 'failed');
    } finally {
      await (closing ?? busy.close());
    }
  });
});

describe('scripted model', () => {
  const options = { verbosity: 'compliant' as const, complianceRate: 0.9, seed: 3 };

  test('is deterministic in the request and the seed', () => {
    const first = scriptAnswer(MARKET_PROMPT, options);
    assert.equal(scriptAnswer(MARKET_PROMPT, options).text, first.text);
    assert.notEqual(scriptAnswer(MARKET_PROMPT, { ...options, seed: 4 }).text, first.text);
  });

  test('detects the agent role from the system prompt, leniently', () => {
    const role = (system: string): string =>
      detectRole([
        { role: 'system', content: system },
        { role: 'user', content: 'go' },
      ]);
    assert.equal(role('You are the market analyst. Your report goes to the trader.'), 'market_analyst');
    assert.equal(role('You are a News Analyst.'), 'news_analyst');
    assert.equal(role('Role: social_media_analyst'), 'social_analyst');
    assert.equal(role('You are the fundamentals analyst.'), 'fundamentals_analyst');
    assert.equal(role('You are the Bull Researcher arguing for the stock.'), 'bull_researcher');
    assert.equal(role('You are the bear researcher.'), 'bear_researcher');
    assert.equal(role('You are the research manager: judge the bull and bear debate.'), 'research_manager');
    assert.equal(role('You are the trader.'), 'trader');
    assert.equal(role('You are the aggressive risk debater.'), 'aggressive_debater');
    assert.equal(role('You are the conservative risk debater.'), 'conservative_debater');
    assert.equal(role('You are the neutral risk debater.'), 'neutral_debater');
    assert.equal(
      role('You are the risk manager; weigh the aggressive, conservative and neutral views.'),
      'risk_manager',
    );
    assert.equal(role('Summarize the news for the desk.'), 'news_analyst');
    assert.equal(role('Hello.'), 'unknown');
  });

  test('reads the word limit and the facts of the prompt, and reuses them', () => {
    assert.equal(findWordLimit(MARKET_PROMPT), 150);
    assert.equal(
      findWordLimit([{ role: 'user', content: 'Keep it to no more than 80 words, at most 120 words.' }]),
      80,
    );
    assert.equal(findWordLimit(withoutLimit(MARKET_PROMPT)), undefined);
    const facts = extractFacts(MARKET_PROMPT);
    assert.equal(facts.ticker, 'AAPL');
    assert.deepEqual(facts.dates, ['2020-03-02', '2020-02-27', '2020-02-28']);
    assert.ok(facts.figures.includes('273.52') && facts.figures.includes('85,349,300'));
    assert.equal(facts.figures.includes('150'), false, 'the word limit is not a fact');
    const answer = scriptAnswer(withoutLimit(MARKET_PROMPT), options);
    assert.match(answer.text, /AAPL/);
    assert.match(answer.text, /2020-03-02/);
    assert.match(answer.text, /273\.52/);
    assert.match(answer.text, /Conclusion: the market analyst is (bullish|bearish|neutral) on AAPL/);
    assert.ok(answer.text.trim().endsWith('.'), 'answers end on a full sentence');
  });

  test('answers in the labelled decision format when asked', () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'You are the risk manager.' },
      {
        role: 'user',
        content:
          'Ticker: MSFT, date 2020-01-31. Last close 170.23.\nConclusion: the market analyst is bullish on MSFT.\nConclusion: the news analyst is bullish on MSFT.\nConclusion: the social analyst is neutral on MSFT.\n' +
          'Answer in this format:\nDECISION: BUY|HOLD|SELL\nCONFIDENCE: 0.00-1.00\nENTRY: price\nSTOP: price\nRATIONALE: text\nUse at most 120 words.',
      },
    ];
    const answer = scriptAnswer(messages, { ...options, complianceRate: 1 });
    const lines = answer.text.split('\n');
    assert.equal(lines[0], 'DECISION: BUY');
    assert.match(lines[1] ?? '', /^CONFIDENCE: 0\.\d\d$/);
    assert.equal(lines[2], 'ENTRY: 170.23');
    assert.equal(lines[3], `STOP: ${Math.round(170.23 * 0.94 * 100) / 100}`);
    assert.match(lines[4] ?? '', /^RATIONALE: \S/);
    assert.ok(answer.words <= 120);
    const bearish = messages.map((message) => ({
      ...message,
      content: message.content.replace(/bullish/g, 'bearish'),
    }));
    assert.match(scriptAnswer(bearish, options).text, /^DECISION: SELL/);
  });

  test('baseline verbosity is far longer than compliant answers, per the origin project', () => {
    const compliant = scriptAnswer(MARKET_PROMPT, { ...options, complianceRate: 1 });
    const baseline = scriptAnswer(MARKET_PROMPT, { ...options, verbosity: 'baseline' });
    const unlimited = scriptAnswer(withoutLimit(MARKET_PROMPT), options);
    assert.ok(compliant.words <= 150);
    assert.ok(
      baseline.words >= 700 && baseline.words <= 1000 + 40,
      `analyst baseline ${baseline.words} words`,
    );
    assert.ok(unlimited.words >= 700, 'no word limit in the prompt means baseline length');
    assert.ok(baseline.words > 4 * compliant.words);
    const trader = scriptAnswer(
      [
        { role: 'system', content: 'You are the trader.' },
        { role: 'user', content: 'AAPL plan.' },
      ],
      {
        ...options,
        verbosity: 'baseline',
      },
    );
    assert.ok(trader.words >= 200 && trader.words <= 350 + 40, `trader baseline ${trader.words} words`);
  });

  test('keeps the word limit at the configured rate over 50 requests, and overshoots by 10-40% otherwise', () => {
    for (const rate of [0.9, 0.6]) {
      let within = 0;
      for (let index = 0; index < 50; index++) {
        const messages: ChatMessage[] = [
          { role: 'system', content: 'You are the news analyst.' },
          {
            role: 'user',
            content: `Ticker: NVDA. Headline ${index}: revenue rose ${10 + index}.5%. Write at most 200 words.`,
          },
        ];
        const answer = scriptAnswer(messages, { ...options, complianceRate: rate });
        assert.equal(countWords(answer.text), answer.words);
        if (answer.words <= 200) within++;
        else assert.ok(answer.words >= 220 && answer.words <= 280 + 40, `overshoot of ${answer.words} words`);
      }
      assert.ok(Math.abs(within / 50 - rate) <= 0.12, `rate ${rate}: ${within}/50 within the limit`);
    }
  });
});
