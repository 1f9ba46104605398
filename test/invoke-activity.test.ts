import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Info } from '@temporalio/activity';
import type { ChatMessage, TokenCounter } from '../src/core/types';
import {
  createInvokeActivity,
  type InvokeHeartbeat,
  type InvokeInput,
  type InvokeResult,
} from '../src/activities/invoke-activity';
import { createOpenAiProvider } from '../src/llm/openai-provider';
import {
  countChatPromptTokens,
  countTextTokens,
  startFakeOpenAiServer,
  type FakeOpenAiServer,
} from './support/fake-openai-server';

const counter: TokenCounter = {
  name: 'o200k_base',
  count: countTextTokens,
  countMessages: countChatPromptTokens,
};

const MESSAGES: ChatMessage[] = [
  { role: 'system', content: 'You are the news analyst of a trading desk.' },
  {
    role: 'user',
    content:
      'Ticker: AAPL, date 2020-03-02.\n2020-02-28 Reuters: supplier output fell 12.5% in February.\n2020-03-01 Bloomberg: iPhone demand steady at 35.2 million units.',
  },
];

/** Runs the activity in a mock context, collecting its heartbeats. */
async function runInvoke(
  server: FakeOpenAiServer,
  input: Partial<InvokeInput> = {},
  info: Partial<Info> = {},
  onHeartbeat?: (details: InvokeHeartbeat, environment: MockActivityEnvironment) => void,
  tokenCounter: TokenCounter = counter,
): Promise<{ result?: InvokeResult; error?: unknown; heartbeats: InvokeHeartbeat[] }> {
  const environment = new MockActivityEnvironment(info);
  const heartbeats: InvokeHeartbeat[] = [];
  environment.on('heartbeat', (details: InvokeHeartbeat) => {
    heartbeats.push(details);
    onHeartbeat?.(details, environment);
  });
  const activity = createInvokeActivity({
    providers: {
      openai: createOpenAiProvider({ baseUrl: server.url, firstByteTimeoutMs: 5000, idleTimeoutMs: 5000 }),
    },
    counterFor: () => tokenCounter,
  });
  const promptTokens = countChatPromptTokens(MESSAGES);
  try {
    const invokeInput: InvokeInput = {
      callId: 'wf/news_analyst/0',
      agent: 'news_analyst',
      provider: 'openai',
      model: 'gpt-4o-mini',
      messages: MESSAGES,
      maxTokens: 1500,
      promptTokens,
      spendCeiling: promptTokens + 1500,
      // This server counts as tokenflow does (o200k_base): a learned drift of 1.
      drift: { prompt: 1, completion: 1 },
      ...input,
    };
    const result = await environment.run<[InvokeInput], InvokeResult, typeof activity.invokeModel>(
      activity.invokeModel,
      invokeInput,
    );
    return { result, heartbeats };
  } catch (error) {
    return { error, heartbeats };
  }
}

function failureOf(error: unknown): ApplicationFailure {
  assert.ok(error instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(error)}`);
  return error;
}

function lostTokensOf(failure: ApplicationFailure): number {
  const detail = failure.details?.[0] as { lostTokens?: unknown } | undefined;
  assert.equal(typeof detail?.lostTokens, 'number');
  return detail?.lostTokens as number;
}

describe('invoke activity', () => {
  let server: FakeOpenAiServer;
  const promptTokens = countChatPromptTokens(MESSAGES);
  before(async () => {
    server = await startFakeOpenAiServer({ seed: 5 });
  });
  after(async () => {
    await server.close();
  });

  test('streams an answer, heartbeats the live count and reports the server usage', async () => {
    const { result, heartbeats } = await runInvoke(server);
    assert.ok(result);
    assert.equal(result.text, server.preview(MESSAGES).text);
    assert.equal(result.usageSource, 'server');
    assert.deepEqual(result.usage, {
      inputTokens: promptTokens,
      outputTokens: countTextTokens(result.text),
      cachedInputTokens: 0,
    });
    assert.equal(result.finishReason, 'stop');
    assert.equal(result.stoppedByLimit, false);
    assert.equal(result.attempt, 1);
    assert.equal(result.lostTokens, 0);
    assert.ok(result.latencyMs >= 0);
    assert.deepEqual(
      heartbeats[0],
      {
        attempt: 1,
        attempts: [],
        current: { promptTokens, completionTokens: 0, maxTokens: 1500 },
        lostTokens: 0,
        inputTokens: promptTokens,
        outputTokens: 0,
      },
      'the prompt is on the bill from the first heartbeat, sent as the request goes out',
    );
    assert.deepEqual(result.attempts, [
      {
        attempt: 1,
        outcome: 'completed',
        promptTokens,
        completionTokens: result.usage.outputTokens,
        source: 'server',
      },
    ]);
    assert.deepEqual(result.localUsage, {
      inputTokens: promptTokens,
      outputTokens: countTextTokens(result.text),
    });
    assert.ok(heartbeats.length > 10, `heartbeats on every delta, got ${heartbeats.length}`);
    const counts = heartbeats.map((heartbeat) => heartbeat.outputTokens);
    assert.deepEqual(
      [...counts].sort((a, b) => a - b),
      counts,
      'the live count never goes down',
    );
    const last = heartbeats.at(-1)!;
    assert.equal(last.inputTokens, promptTokens);
    assert.ok(
      Math.abs(last.outputTokens - result.usage.outputTokens) <= 2,
      `live ${last.outputTokens} vs ${result.usage.outputTokens}`,
    );
  });

  test('counts usage itself when the server sends none', async () => {
    server.enqueueFault({ kind: 'omit-usage' });
    const { result } = await runInvoke(server, { promptTokens: 77 });
    assert.ok(result);
    assert.equal(result.usageSource, 'estimated');
    assert.equal(result.usage.inputTokens, 77, 'the optimizer count stands in for the prompt');
    assert.equal(result.usage.outputTokens, countTextTokens(result.text));
    assert.equal(result.usage.cachedInputTokens, undefined, 'unknown stays undefined');
  });

  test('estimates scale by the learned drift and err toward the bill while none is learned', async () => {
    server.enqueueFault({ kind: 'omit-usage' });
    const learned = await runInvoke(server, { promptTokens: 100, drift: { prompt: 1.2, completion: 1.1 } });
    assert.ok(learned.result);
    assert.equal(learned.result.usage.inputTokens, 120);
    assert.equal(learned.result.usage.outputTokens, Math.ceil(countTextTokens(learned.result.text) * 1.1));

    server.enqueueFault({ kind: 'omit-usage' });
    const unlearned = await runInvoke(server, { promptTokens: 100, drift: undefined });
    assert.ok(unlearned.result);
    assert.equal(
      unlearned.result.usage.inputTokens,
      115,
      'the conservative default before any drift is known',
    );
    assert.ok(unlearned.result.usage.outputTokens > countTextTokens(unlearned.result.text));
  });

  test('with the model’s own tokenizer an estimate is the count, with no allowance for a foreign one', async () => {
    server.enqueueFault({ kind: 'omit-usage' });
    const exact: TokenCounter = { ...counter, exact: true };
    const { result } = await runInvoke(server, { promptTokens: 100, drift: undefined }, {}, undefined, exact);
    assert.ok(result);
    assert.equal(result.usage.inputTokens, 100);
    assert.equal(result.usage.outputTokens, countTextTokens(result.text));
  });

  test('the number of streamed chunks is a floor for an estimated completion', async () => {
    // One word per chunk and a drift that says the server counts far fewer tokens than we do.
    server.setBehaviour({ tokensPerChunk: 1 });
    server.enqueueFault({ kind: 'omit-usage' });
    try {
      const { result } = await runInvoke(server, { drift: { prompt: 1, completion: 0.2 } });
      assert.ok(result);
      const chunks = countTextTokens(result.text);
      assert.equal(result.usage.outputTokens, chunks, 'each chunk carried at least one token');
    } finally {
      server.setBehaviour({ tokensPerChunk: undefined });
    }
  });

  test('the server stopping at max_tokens is reported as a limit stop', async () => {
    const { result } = await runInvoke(server, { maxTokens: 40 });
    assert.ok(result);
    assert.equal(result.finishReason, 'length');
    assert.equal(result.stoppedByLimit, true);
    assert.equal(result.usage.outputTokens, 40);
  });

  test('the stream monitor stops a server that ignores max_tokens', async () => {
    // With no delay the whole answer arrives at once; with one the abort lands mid-stream.
    for (const chunkDelayMs of [0, 1]) {
      server.setBehaviour({ ignoreMaxTokens: true, chunkDelayMs });
      try {
        const { result } = await runInvoke(server, { maxTokens: 40 });
        assert.ok(result);
        assert.equal(server.requests.at(-1)?.body?.max_tokens, 40);
        assert.equal(result.finishReason, 'limit');
        assert.equal(result.stoppedByLimit, true);
        assert.equal(result.usageSource, 'estimated');
        assert.equal(result.usage.outputTokens, countTextTokens(result.text));
        assert.ok(
          result.usage.outputTokens > 40 && result.usage.outputTokens <= 40 + 12,
          `${result.usage.outputTokens} tokens with ${chunkDelayMs} ms between chunks`,
        );
        assert.ok(countTextTokens(server.preview(MESSAGES).text) > 400, 'the full answer was far longer');
      } finally {
        server.setBehaviour({ ignoreMaxTokens: false, chunkDelayMs: 0 });
      }
    }
  });

  test('a learned drift a little above the truth does not make the monitor cut an answer the server ends', async () => {
    const length = countTextTokens(server.preview(MESSAGES).text);
    const { result } = await runInvoke(server, {
      maxTokens: length + 1,
      drift: { prompt: 1, completion: 1.015 },
    });
    assert.ok(result);
    assert.equal(result.finishReason, 'stop');
    assert.equal(result.usageSource, 'server', 'the server’s own count, not an estimate');
  });

  test('the stream monitor stops an answer that starts repeating itself, and counts what it paid for', async () => {
    const paragraph = server.preview(MESSAGES).text.split('\n\n')[0] ?? '';
    assert.ok(paragraph.split(/\s+/).length > 30, 'a paragraph longer than the window');

    server.enqueueFault({ kind: 'loop' });
    const { result } = await runInvoke(server, { maxTokens: 600, repetitionWindowWords: 25 });
    assert.ok(result);
    assert.equal(result.finishReason, 'repetition');
    assert.equal(result.stoppedByLimit, false);
    assert.equal(result.text, paragraph, 'the answer ends before the repeat, its markup line dropped');
    assert.equal(result.usageSource, 'estimated');
    // Paid: the paragraph, the start of its repeat (the window) and at most a chunk more, far below the cap.
    const paid = result.usage.outputTokens;
    assert.ok(paid > countTextTokens(paragraph), `${paid} tokens include the repeat's start`);
    assert.ok(paid < countTextTokens(paragraph) + 60, `${paid} tokens: stopped soon after the repeat began`);

    // The same loop with the check off runs to max_tokens; and an ordinary answer is left alone.
    server.enqueueFault({ kind: 'loop' });
    const unchecked = await runInvoke(server, { maxTokens: 600 });
    assert.equal(unchecked.result?.finishReason, 'length');
    assert.equal(unchecked.result?.usage.outputTokens, 600);
    const ordinary = await runInvoke(server, { repetitionWindowWords: 25 });
    assert.equal(ordinary.result?.finishReason, 'stop');
    assert.equal(ordinary.result?.text, server.preview(MESSAGES).text);
  });

  test('429 with retry-after becomes a retryable failure that waits that long', async () => {
    server.enqueueFault({ kind: 'status', status: 429, retryAfterSeconds: 3 });
    const failure = failureOf((await runInvoke(server)).error);
    assert.equal(failure.type, 'RateLimited');
    assert.equal(failure.nonRetryable, false);
    assert.equal(failure.nextRetryDelay, 3000);
    assert.equal(lostTokensOf(failure), 0, 'a refused request spent nothing');
  });

  test('500 is retryable, 400 and 401 are not', async () => {
    server.enqueueFault({ kind: 'status', status: 500 });
    const serverError = failureOf((await runInvoke(server)).error);
    assert.equal(serverError.type, 'ServerError');
    assert.equal(serverError.nonRetryable, false);
    assert.equal(serverError.nextRetryDelay, undefined);

    server.enqueueFault({ kind: 'status', status: 400 });
    const badRequest = failureOf((await runInvoke(server)).error);
    assert.equal(badRequest.type, 'BadRequest');
    assert.equal(badRequest.nonRetryable, true);

    server.setBehaviour({ requireApiKey: 'sk-expected' });
    try {
      const unauthorized = failureOf((await runInvoke(server)).error);
      assert.equal(unauthorized.type, 'AuthenticationFailed');
      assert.equal(unauthorized.nonRetryable, true);
      assert.match(unauthorized.message, /OPENAI_API_KEY/);
    } finally {
      server.setBehaviour({ requireApiKey: undefined });
    }
  });

  test('a dropped stream is retryable and reports the tokens it spent, in failure and heartbeat', async () => {
    server.enqueueFault({ kind: 'drop', afterChunks: 6 });
    const { error, heartbeats } = await runInvoke(server);
    const failure = failureOf(error);
    assert.equal(failure.type, 'StreamDropped');
    assert.equal(failure.nonRetryable, false);
    const lost = lostTokensOf(failure);
    assert.ok(
      lost > promptTokens,
      `lost ${lost} should include the prompt (${promptTokens}) and partial output`,
    );
    const last = heartbeats.at(-1)!;
    assert.equal(last.current, undefined, 'the attempt has ended');
    assert.equal(last.lostTokens, lost);
    const [record] = last.attempts;
    assert.equal(record?.outcome, 'failed');
    assert.equal(record?.failureType, 'StreamDropped');
    assert.equal(record?.promptTokens, promptTokens);
    assert.ok((record?.completionTokens ?? 0) > 0);
    const billed = server.requests.at(-1)?.billed;
    assert.ok(billed, 'the server billed the dropped stream');
    assert.equal(record?.promptTokens, billed.promptTokens);
    assert.ok(
      Math.abs((record?.completionTokens ?? 0) - billed.completionTokens) <= 2,
      `estimated ${record?.completionTokens}, billed ${billed.completionTokens}`,
    );
  });

  test('a retry reads the last heartbeat and reports the lost attempt', async () => {
    const previous: InvokeHeartbeat = {
      attempt: 2,
      attempts: [
        { attempt: 1, outcome: 'failed', promptTokens: 0, completionTokens: 10, source: 'estimated' },
      ],
      current: { promptTokens, completionTokens: 50, maxTokens: 1500 },
      inputTokens: promptTokens,
      outputTokens: 50,
      lostTokens: 10,
    };
    const { result, heartbeats } = await runInvoke(
      server,
      { maxTokens: 1500, spendCeiling: promptTokens + 400 },
      {
        attempt: 3,
        heartbeatDetails: previous,
      },
    );
    assert.ok(result);
    const lost = 10 + promptTokens + 50;
    assert.equal(result.attempt, 3);
    assert.equal(result.lostTokens, lost);
    assert.deepEqual(
      result.attempts?.slice(0, 2),
      [
        { attempt: 1, outcome: 'failed', promptTokens: 0, completionTokens: 10, source: 'estimated' },
        { attempt: 2, outcome: 'lost', promptTokens, completionTokens: 50, source: 'estimated' },
      ],
      'the attempt its worker lost is recorded as lost, with what it had spent',
    );
    assert.equal(heartbeats[0]?.lostTokens, lost);
    assert.equal(
      server.requests.at(-1)?.body?.max_tokens,
      400 - lost,
      'the retry asks only for what the ceiling leaves',
    );
  });

  test('fails with BudgetExhausted, without calling the model, when the ceiling leaves too little', async () => {
    const before = server.requests.length;
    const { error } = await runInvoke(
      server,
      { spendCeiling: promptTokens + 100 },
      {
        attempt: 3,
        // The shape older workers heartbeated: totals only.
        heartbeatDetails: { attempt: 2, inputTokens: 60, outputTokens: 30, lostTokens: 0 },
      },
    );
    const failure = failureOf(error);
    assert.equal(failure.type, 'BudgetExhausted');
    assert.equal(failure.nonRetryable, true);
    assert.equal(lostTokensOf(failure), 90);
    assert.match(failure.message, /raise the run budget/);
    assert.equal(server.requests.length, before);
  });

  test('cancellation aborts a hung stream', async () => {
    server.enqueueFault({ kind: 'hang', afterChunks: 3 });
    let cancelled = false;
    const { error, heartbeats } = await runInvoke(server, {}, {}, (details, environment) => {
      if (!cancelled && details.outputTokens > 0) {
        cancelled = true;
        setTimeout(() => environment.cancel(), 100);
      }
    });
    assert.ok(error instanceof CancelledFailure, `expected a CancelledFailure, got ${String(error)}`);
    const details = error.details[0] as { lostTokens: number; attempts: Array<{ outcome: string }> };
    assert.equal(details.attempts[0]?.outcome, 'cancelled');
    assert.ok(
      details.lostTokens > promptTokens,
      'the cancelled attempt reports its prompt and partial answer',
    );
    assert.equal(heartbeats.at(-1)!.attempts[0]?.outcome, 'cancelled');
    for (let wait = 0; wait < 50 && server.openStreamCount() > 0; wait++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(server.openStreamCount(), 0, 'the connection was closed');
  });

  test('a hang timed out by the heartbeat is counted by the next attempt', async () => {
    server.enqueueFault({ kind: 'hang', afterChunks: 4 });
    const first = await runInvoke(server, {}, {}, (details, environment) => {
      // Stands in for Temporal's heartbeat timeout, which cancels the attempt.
      if (details.outputTokens > 0) setTimeout(() => environment.cancel('TIMED_OUT'), 100);
    });
    assert.ok(first.error instanceof CancelledFailure);
    const lastHeartbeat = first.heartbeats.at(-1)!;
    const second = await runInvoke(server, {}, { attempt: 2, heartbeatDetails: lastHeartbeat });
    assert.ok(second.result);
    assert.equal(second.result.lostTokens, lastHeartbeat.lostTokens);
    assert.ok(second.result.lostTokens > promptTokens);
  });

  test('a retry whose predecessor left no heartbeat is charged its whole reservation, never 0', async () => {
    const { result } = await runInvoke(
      server,
      { maxTokens: 300, spendCeiling: 2 * (promptTokens + 300) },
      { attempt: 2, heartbeatDetails: undefined },
    );
    assert.ok(result);
    assert.deepEqual(result.attempts?.[0], {
      attempt: 1,
      outcome: 'lost',
      promptTokens,
      completionTokens: 300,
      source: 'reserved',
    });
    assert.equal(result.lostTokens, promptTokens + 300);
  });

  test('heartbeats keep coming while a busy server holds the request without a byte', async () => {
    const busy = await startFakeOpenAiServer({ seed: 5, slots: 1, chunkDelayMs: 20 });
    try {
      const blocker = fetch(`${busy.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: MESSAGES, stream: true, max_tokens: 120 }),
      }).then(async (response) => response.text());
      while (busy.openStreamCount() === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      const { result, heartbeats } = await runInvoke(busy, { maxTokens: 40 }, { heartbeatTimeoutMs: 600 });
      await blocker;
      assert.ok(result);
      const beforeFirstToken = heartbeats.filter((heartbeat) => heartbeat.outputTokens === 0);
      assert.ok(
        beforeFirstToken.length >= 3,
        `${beforeFirstToken.length} heartbeats while queued behind another stream`,
      );
    } finally {
      await busy.close();
    }
  });

  test('a provider missing on this worker fails non-retryably', async () => {
    const { error } = await runInvoke(server, { provider: 'local' });
    const failure = failureOf(error);
    assert.equal(failure.type, 'ProviderNotConfigured');
    assert.equal(failure.nonRetryable, true);
  });
});
