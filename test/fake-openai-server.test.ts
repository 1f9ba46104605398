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
