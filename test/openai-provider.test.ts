import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer } from 'node:net';
import type { ChatMessage } from '../src/core/types';
import { createOpenAiProvider, parseRetryAfter } from '../src/llm/openai-provider';
import { ProviderError, type ChatProvider } from '../src/llm/provider';
import { countTextTokens, startFakeOpenAiServer, type FakeOpenAiServer } from './support/fake-openai-server';

const MESSAGES: ChatMessage[] = [
  { role: 'system', content: 'You are the fundamentals analyst.' },
  {
    role: 'user',
    content:
      'Ticker: MSFT. Period 2019-Q4: revenue 36.9 billion, margin 37.6%, EPS 1.51. Write at most 120 words.',
  },
];

async function streamError(provider: ChatProvider, maxTokens = 200): Promise<ProviderError> {
  try {
    await provider.stream({ model: 'gpt-4o-mini', messages: MESSAGES, maxTokens }, () => undefined);
  } catch (error) {
    assert.ok(error instanceof ProviderError, `expected a ProviderError, got ${String(error)}`);
    return error;
  }
  assert.fail('the stream should have failed');
}

describe('OpenAI provider against the fake server', () => {
  let server: FakeOpenAiServer;
  let provider: ChatProvider;
  before(async () => {
    server = await startFakeOpenAiServer({ seed: 11 });
    provider = createOpenAiProvider({ baseUrl: server.url, firstByteTimeoutMs: 5000, idleTimeoutMs: 5000 });
  });
  after(async () => {
    await server.close();
  });

  test('streams deltas through the real client and returns the server usage', async () => {
    const deltas: string[] = [];
    const result = await provider.stream(
      { model: 'gpt-4o-mini', messages: MESSAGES, maxTokens: 400 },
      (delta) => deltas.push(delta.text),
    );
    assert.equal(result.finishReason, 'stop');
    assert.equal(deltas.join(''), result.text);
    assert.ok(deltas.filter((text) => text !== '').length > 10);
    assert.equal(result.text, server.preview(MESSAGES).text);
    assert.deepEqual(result.serverUsage, {
      inputTokens: server.countPromptTokens(MESSAGES),
      outputTokens: countTextTokens(result.text),
      cachedInputTokens: 0,
    });
    const body = server.requests.at(-1)?.body;
    assert.equal(body?.stream, true);
    assert.deepEqual(body?.stream_options, { include_usage: true });
    assert.equal(body?.max_tokens, 400);
    assert.equal(body?.model, 'gpt-4o-mini');
  });

  test('reports finish reason length when max_tokens cut the answer', async () => {
    const result = await provider.stream(
      { model: 'gpt-4o-mini', messages: MESSAGES, maxTokens: 30 },
      () => undefined,
    );
    assert.equal(result.finishReason, 'length');
    assert.equal(result.serverUsage?.outputTokens, 30);
  });

  test('sends a placeholder key when none is configured', async () => {
    server.setBehaviour({ requireApiKey: 'not-needed' });
    try {
      const result = await provider.stream(
        { model: 'gpt-4o-mini', messages: MESSAGES, maxTokens: 50 },
        () => undefined,
      );
      assert.ok(result.text.length > 0);
    } finally {
      server.setBehaviour({ requireApiKey: undefined });
    }
  });

  test('429 with retry-after is retryable and carries the wait', async () => {
    server.enqueueFault({ kind: 'status', status: 429, retryAfterSeconds: 7 });
    const error = await streamError(provider);
    assert.equal(error.type, 'RateLimited');
    assert.equal(error.retryable, true);
    assert.equal(error.status, 429);
    assert.equal(error.retryAfterMs, 7000);
    assert.match(error.message, /after 7 s/);
  });

  test('maps every status to the house taxonomy', async () => {
    const expected: Array<[number, string, boolean]> = [
      [400, 'BadRequest', false],
      [401, 'AuthenticationFailed', false],
      [403, 'PermissionDenied', false],
      [404, 'ModelNotFound', false],
      [408, 'RequestTimeout', true],
      [409, 'Conflict', true],
      [422, 'UnprocessableRequest', false],
      [500, 'ServerError', true],
      [503, 'ServerError', true],
    ];
    for (const [status, type, retryable] of expected) {
      server.enqueueFault({ kind: 'status', status });
      const error = await streamError(provider);
      assert.equal(error.type, type, `status ${status}`);
      assert.equal(error.retryable, retryable, `status ${status}`);
      assert.equal(error.status, status);
      assert.match(error.message, /\.$/, 'one sentence');
    }
  });

  test('401 says what to do and never repeats the key', async () => {
    const guarded = await startFakeOpenAiServer({ requireApiKey: 'sk-right-key' });
    try {
      const wrongKey = 'sk-wrong-key-12345';
      const error = await streamError(
        createOpenAiProvider({
          baseUrl: guarded.url,
          apiKey: wrongKey,
          firstByteTimeoutMs: 5000,
          idleTimeoutMs: 5000,
        }),
      );
      assert.equal(error.type, 'AuthenticationFailed');
      assert.equal(error.retryable, false);
      assert.equal(
        error.message,
        'The LLM endpoint rejected the API key (401); set OPENAI_API_KEY to a valid key.',
      );
      assert.equal(
        JSON.stringify({ ...error, message: error.message, stack: error.stack }).includes(wrongKey),
        false,
      );
    } finally {
      await guarded.close();
    }
  });

  test('a 400 keeps the server explanation but scrubs the key from it', async () => {
    const key = 'sk-echoed-key';
    const echoing = createOpenAiProvider({
      baseUrl: server.url,
      apiKey: key,
      firstByteTimeoutMs: 5000,
      idleTimeoutMs: 5000,
    });
    server.enqueueFault({
      kind: 'status',
      status: 400,
      body: JSON.stringify({
        error: { message: `max_tokens is too large for key ${key}`, type: 'invalid_request_error' },
      }),
    });
    const error = await streamError(echoing);
    assert.equal(error.type, 'BadRequest');
    assert.match(error.message, /max_tokens is too large/);
    assert.equal(error.message.includes(key), false);
  });

  test('a dropped stream is a retryable StreamDropped', async () => {
    server.enqueueFault({ kind: 'drop', afterChunks: 4 });
    let received = '';
    try {
      await provider.stream(
        { model: 'gpt-4o-mini', messages: MESSAGES, maxTokens: 200 },
        (delta) => (received += delta.text),
      );
      assert.fail('should have failed');
    } catch (error) {
      assert.ok(error instanceof ProviderError);
      assert.equal(error.type, 'StreamDropped');
      assert.equal(error.retryable, true);
    }
    assert.ok(received.length > 0, 'chunks before the drop were delivered');
  });

  test('a refused connection is a retryable ConnectionError', async () => {
    const port = await freePort();
    const error = await streamError(
      createOpenAiProvider({
        baseUrl: `http://127.0.0.1:${port}/v1`,
        firstByteTimeoutMs: 2000,
        idleTimeoutMs: 2000,
      }),
    );
    assert.equal(error.type, 'ConnectionError');
    assert.equal(error.retryable, true);
  });

  test('aborting a hung stream rejects with the abort reason and closes the connection', async () => {
    server.enqueueFault({ kind: 'hang', afterChunks: 3 });
    const controller = new AbortController();
    const reason = new Error('cancelled by test');
    const pending = provider.stream(
      { model: 'gpt-4o-mini', messages: MESSAGES, maxTokens: 200, signal: controller.signal },
      (delta) => {
        if (delta.text !== '') setTimeout(() => controller.abort(reason), 50);
      },
    );
    await assert.rejects(pending, (error) => error === reason);
    for (let wait = 0; wait < 50 && server.openStreamCount() > 0; wait++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(server.openStreamCount(), 0);
  });

  test('an abort that lands on the last chunk ends the call at once', async () => {
    // The SDK's own iterator never settles when its signal aborts once the body has been read to the end: a
    // stream monitor or a cancellation landing on the last chunk hung the attempt for good.
    const reason = new Error('stopped on the last chunk');
    for (const tokensPerChunk of [1, 3]) {
      server.setBehaviour({ tokensPerChunk });
      try {
        const full = countTextTokens(server.preview(MESSAGES).text);
        const controller = new AbortController();
        let text = '';
        const pending = provider.stream(
          { model: 'gpt-4o-mini', messages: MESSAGES, maxTokens: 2000, signal: controller.signal },
          (delta) => {
            text += delta.text;
            if (countTextTokens(text) >= full) controller.abort(reason);
          },
        );
        const outcome = await Promise.race([
          pending.then(
            () => 'resolved',
            (error: unknown) => (error === reason ? 'aborted' : String(error)),
          ),
          new Promise((resolve) => setTimeout(() => resolve('hung'), 3000)),
        ]);
        assert.equal(outcome, 'aborted', `${tokensPerChunk} token(s) per chunk`);
      } finally {
        server.setBehaviour({ tokensPerChunk: undefined });
      }
    }
  });

  test('a stream silent mid-answer for longer than the idle timeout is abandoned as StreamDropped', async () => {
    const impatient = createOpenAiProvider({
      baseUrl: server.url,
      firstByteTimeoutMs: 5000,
      idleTimeoutMs: 300,
    });
    server.enqueueFault({ kind: 'hang', afterChunks: 2 });
    const startedAt = Date.now();
    const error = await streamError(impatient);
    assert.equal(error.type, 'StreamDropped');
    assert.equal(error.retryable, true);
    assert.match(error.message, /silent for 0\.3 s/);
    assert.match(error.message, /openai\.idleTimeoutSeconds/);
    assert.ok(Date.now() - startedAt >= 290);
  });

  test('a slow but steady stream longer than the idle and first-byte timeouts in total completes', async () => {
    const impatient = createOpenAiProvider({
      baseUrl: server.url,
      firstByteTimeoutMs: 300,
      idleTimeoutMs: 300,
    });
    server.setBehaviour({ chunkDelayMs: 100 });
    try {
      const startedAt = Date.now();
      let deltas = 0;
      const result = await impatient.stream(
        { model: 'gpt-4o-mini', messages: MESSAGES, maxTokens: 40 },
        () => (deltas += 1),
      );
      assert.equal(result.finishReason, 'length');
      assert.ok(deltas > 10, `${deltas} deltas`);
      const elapsed = Date.now() - startedAt;
      assert.ok(elapsed > 900, `the stream took ${elapsed} ms, three times the idle timeout`);
    } finally {
      server.setBehaviour({ chunkDelayMs: 0 });
    }
  });

  test('sends the call id as x-tokenflow-call-id, and no such header without one', async () => {
    await provider.stream(
      { model: 'gpt-4o-mini', messages: MESSAGES, maxTokens: 20, callId: 'test-run/market_analyst/0' },
      () => undefined,
    );
    assert.equal(server.requests.at(-1)?.headers['x-tokenflow-call-id'], 'test-run/market_analyst/0');
    await provider.stream({ model: 'gpt-4o-mini', messages: MESSAGES, maxTokens: 20 }, () => undefined);
    assert.equal(server.requests.at(-1)?.headers['x-tokenflow-call-id'], undefined);
  });
});

describe('OpenAI provider against a server that holds the request', () => {
  /** A server that records each request, optionally sends the headers of a stream, and then says nothing. */
  async function startSilentServer(sendHeaders: boolean) {
    const received: IncomingMessage[] = [];
    const server = createHttpServer((request, response) => {
      received.push(request);
      if (sendHeaders) {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.flushHeaders();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return {
      url: `http://127.0.0.1:${port}/v1`,
      received,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  }

  for (const [situation, sendHeaders] of [
    ['sends nothing at all', false],
    ['sends headers and then no chunk', true],
  ] as const) {
    test(`a retryable FirstByteTimeout naming the setting when the server ${situation}`, async () => {
      const silent = await startSilentServer(sendHeaders);
      try {
        const impatient = createOpenAiProvider({
          baseUrl: silent.url,
          firstByteTimeoutMs: 300,
          idleTimeoutMs: 5000,
        });
        const startedAt = Date.now();
        const error = await streamError(impatient);
        const elapsed = Date.now() - startedAt;
        assert.equal(error.type, 'FirstByteTimeout');
        assert.equal(error.retryable, true);
        assert.match(error.message, /sent nothing for 0\.3 s/);
        assert.match(error.message, /openai\.firstByteTimeoutSeconds/);
        assert.ok(elapsed >= 290 && elapsed < 3000, `gave up after ${elapsed} ms`);
        assert.equal(silent.received.length, 1, 'one request, no client-side retry');
      } finally {
        await silent.close();
      }
    });
  }
});

describe('parseRetryAfter', () => {
  const headers = (entries: Record<string, string>): Headers => new Headers(entries);
  test('reads seconds, milliseconds and HTTP dates', () => {
    assert.equal(parseRetryAfter(headers({ 'retry-after': '3' })), 3000);
    assert.equal(parseRetryAfter(headers({ 'retry-after': '1.5' })), 1500);
    assert.equal(parseRetryAfter(headers({ 'retry-after-ms': '250', 'retry-after': '9' })), 250);
    const now = Date.parse('2024-05-01T12:00:00Z');
    assert.equal(parseRetryAfter(headers({ 'retry-after': 'Wed, 01 May 2024 12:00:20 GMT' }), now), 20_000);
    assert.equal(parseRetryAfter(headers({ 'retry-after': 'Wed, 01 May 2024 11:00:00 GMT' }), now), 0);
  });
  test('ignores missing and malformed values', () => {
    assert.equal(parseRetryAfter(undefined), undefined);
    assert.equal(parseRetryAfter(headers({})), undefined);
    assert.equal(parseRetryAfter(headers({ 'retry-after': 'soon' })), undefined);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
