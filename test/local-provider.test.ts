// Runs the embedded model for real: wrap in `flock /tmp/tokenflow-cpu.lock` on a shared machine.
//   flock /tmp/tokenflow-cpu.lock node --import tsx --test test/local-provider.test.ts
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ChatMessage } from '../src/core/types';
import { ProviderError, type ChatDelta, type ChatRequest } from '../src/llm/provider';
import { createLocalProvider } from '../src/llm/local-provider';
import { createLocalTokenCounter } from '../src/llm/local-token-counter';
import {
  disposeLocalModels,
  getLocalModel,
  resolveThreadCount,
  runExclusive,
  usableCores,
} from '../src/llm/local-model';

const MODEL_FILE = 'SmolLM2-135M-Instruct.Q4_1.gguf';
const modelPath = path.join(
  process.env.TOKENFLOW_MODEL_DIR ?? path.join(__dirname, '..', 'models'),
  MODEL_FILE,
);
const skip = existsSync(modelPath)
  ? false
  : `model file absent at ${modelPath}: run bash scripts/fetch-model.sh`;
const options = { modelPath, threads: 0, contextSize: 8192 };

after(() => disposeLocalModels());

function isProviderError(type: string) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof ProviderError, `expected a ProviderError, got ${String(error)}`);
    assert.equal(error.type, type);
    assert.equal(error.retryable, false);
    return true;
  };
}

describe('threads and the generation queue (no model needed)', () => {
  test('auto threads are the usable cores, and an explicit count never exceeds them', () => {
    const cores = usableCores();
    assert.ok(cores >= 1 && cores <= os.availableParallelism());
    assert.equal(resolveThreadCount(0), cores);
    assert.equal(resolveThreadCount(1), 1);
    assert.equal(resolveThreadCount(cores + 7), cores);
  });

  test('runExclusive runs tasks one at a time in arrival order', async () => {
    const events: string[] = [];
    let running = 0;
    const task = (name: string, milliseconds: number) => async () => {
      running += 1;
      assert.equal(running, 1, `${name} overlapped another task`);
      events.push(`start ${name}`);
      await new Promise((resolve) => setTimeout(resolve, milliseconds));
      events.push(`end ${name}`);
      running -= 1;
      return name;
    };
    const results = await Promise.all([
      runExclusive(task('a', 30)),
      runExclusive(task('b', 5)),
      runExclusive(task('c', 1)),
    ]);
    assert.deepEqual(results, ['a', 'b', 'c']);
    assert.deepEqual(events, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  test('runExclusive drops a waiter whose signal aborts, without running it, and the queue goes on', async () => {
    let release!: () => void;
    const first = runExclusive(() => new Promise<string>((resolve) => (release = () => resolve('first'))));
    const controller = new AbortController();
    let ranAborted = false;
    const aborted = runExclusive(async () => {
      ranAborted = true;
    }, controller.signal);
    const third = runExclusive(async () => 'third');
    controller.abort(new Error('caller gave up'));
    await assert.rejects(aborted, /caller gave up/);
    release();
    assert.equal(await first, 'first');
    assert.equal(await third, 'third');
    assert.equal(ranAborted, false);
  });
});

describe('model file problems', () => {
  test('maxTokens below 1 is refused before the model is touched (llama.cpp reads 0 as no limit)', async () => {
    const provider = createLocalProvider({
      ...options,
      modelPath: path.join(os.tmpdir(), 'no-such-model.gguf'),
    });
    await assert.rejects(
      provider.stream({ model: 'x', messages: [{ role: 'user', content: 'hi' }], maxTokens: 0 }, () => {}),
      isProviderError('BadRequest'),
    );
  });

  test('a missing file is ModelUnavailable, non-retryable, and says how to get one', async () => {
    const provider = createLocalProvider({
      ...options,
      modelPath: path.join(os.tmpdir(), 'no-such-model.gguf'),
    });
    await assert.rejects(
      provider.stream({ model: 'x', messages: [{ role: 'user', content: 'hi' }], maxTokens: 5 }, () => {}),
      (error: unknown) =>
        isProviderError('ModelUnavailable')(error) &&
        /^Local model file not found at .*no-such-model\.gguf: run "bash scripts\/fetch-model\.sh" or set local\.modelPath to a GGUF file\.$/.test(
          (error as Error).message,
        ),
    );
  });

  test('a file that is not GGUF, or a GGUF header with garbage behind it, is ModelUnavailable', async () => {
    const folder = await mkdtemp(path.join(os.tmpdir(), 'tokenflow-model-'));
    try {
      const notGguf = path.join(folder, 'not.gguf');
      await writeFile(notGguf, 'this is a text file');
      await assert.rejects(
        getLocalModel({ modelPath: notGguf }),
        (error: unknown) =>
          isProviderError('ModelUnavailable')(error) && /GGUF magic bytes/.test((error as Error).message),
      );
      const garbage = path.join(folder, 'garbage.gguf');
      await writeFile(garbage, Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(4096, 0xab)]));
      await assert.rejects(
        getLocalModel({ modelPath: garbage }),
        (error: unknown) =>
          isProviderError('ModelUnavailable')(error) &&
          /is not a usable GGUF model/.test((error as Error).message),
      );
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe('local provider on SmolLM2-135M-Instruct', { skip }, () => {
  const provider = createLocalProvider(options);
  const messages: ChatMessage[] = [
    { role: 'system', content: 'You are a concise financial analyst.' },
    { role: 'user', content: 'In two sentences: what does a rising 50-day moving average suggest?' },
  ];

  async function run(request: Partial<ChatRequest> & Pick<ChatRequest, 'messages' | 'maxTokens'>) {
    const deltas: ChatDelta[] = [];
    const result = await provider.stream({ model: 'smollm2-135m-instruct', ...request }, (delta) =>
      deltas.push(delta),
    );
    return { result, deltas };
  }

  test('streams a real answer whose deltas concatenate to the text, with usage from the model tokenizer', async () => {
    const { result, deltas } = await run({ messages, maxTokens: 40 });
    const localModel = await getLocalModel({ modelPath });
    const counter = await createLocalTokenCounter(modelPath);

    assert.ok(result.text.trim().length > 0, 'the model produced no text');
    assert.ok(deltas.length > 1, 'the answer was not streamed in pieces');
    assert.equal(deltas.map((delta) => delta.text).join(''), result.text);
    assert.ok(result.finishReason === 'stop' || result.finishReason === 'length');

    const usage = result.serverUsage;
    assert.ok(usage?.inputTokens && usage.outputTokens, 'usage is missing');
    // Input: exactly the tokens of the chat template applied to the messages, as the counter computes them.
    assert.equal(usage.inputTokens, counter.countMessages(messages));
    assert.ok(usage.inputTokens > counter.count(messages[0]!.content) + counter.count(messages[1]!.content));
    // Output: the tokens the model sampled. Re-tokenizing the detokenized text can merge or split a token at
    // a boundary, so the two counts may differ slightly; in practice they agree for SmolLM2's BPE.
    assert.ok(usage.outputTokens <= 40);
    assert.ok(Math.abs(localModel.tokenize(result.text).length - usage.outputTokens) <= 2);
  });

  test('the same request twice gives the same answer (fixed seed)', async () => {
    const first = await run({ messages, maxTokens: 24 });
    const second = await run({ messages, maxTokens: 24 });
    assert.equal(second.result.text, first.result.text);
  });

  test('stops at maxTokens with finish reason length', async () => {
    const { result } = await run({
      messages: [
        { role: 'user', content: 'Write a long story about a trader who watches the market every day.' },
      ],
      maxTokens: 8,
    });
    assert.equal(result.finishReason, 'length');
    assert.equal(result.serverUsage?.outputTokens, 8);
    const localModel = await getLocalModel({ modelPath });
    assert.ok(Math.abs(localModel.tokenize(result.text).length - 8) <= 2);
  });

  test('aborting mid-answer stops generation and rejects with the caller reason', async () => {
    const controller = new AbortController();
    let deltasAfterAbort = 0;
    let abortedAt = 0;
    const started = performance.now();
    await assert.rejects(
      provider.stream(
        {
          model: 'x',
          messages: [{ role: 'user', content: 'Write a long story about a cat.' }],
          maxTokens: 400,
          signal: controller.signal,
        },
        () => {
          if (abortedAt) deltasAfterAbort += 1;
          else {
            abortedAt = performance.now();
            controller.abort(new Error('activity cancelled'));
          }
        },
      ),
      /activity cancelled/,
    );
    const elapsed = performance.now() - started;
    assert.ok(abortedAt > 0);
    assert.ok(deltasAfterAbort <= 1, `${deltasAfterAbort} deltas arrived after the abort`);
    // 400 tokens at ~50 tokens/s would take ~8 s.
    assert.ok(elapsed < 3000, `took ${elapsed} ms`);
  });

  test('aborting while a long prompt is read stops within one prompt slice', async () => {
    const controller = new AbortController();
    const longPrompt = 'The close was 101.5 on volume of 3.2 million shares and the RSI read 54. '.repeat(
      200,
    );
    // The prompt is ~5,000 tokens, about twenty slices. Each slice read sends an empty progress delta; the
    // abort lands on the first one, so the provider must stop before it reads the next slice. (A timer-based
    // abort raced the first slice on a fast machine.)
    let progressDeltas = 0;
    let textDeltas = 0;
    await assert.rejects(
      provider.stream(
        {
          model: 'x',
          messages: [{ role: 'user', content: longPrompt }],
          maxTokens: 20,
          signal: controller.signal,
        },
        (delta) => {
          if (delta.text) textDeltas += 1;
          else progressDeltas += 1;
          controller.abort();
        },
      ),
      (error: unknown) => error instanceof DOMException && error.name === 'AbortError',
    );
    assert.equal(textDeltas, 0, 'no text is generated');
    assert.equal(progressDeltas, 1, 'the provider stops after the slice it was reading when the abort came');
  });

  test('a prompt that cannot fit the context window is ContextOverflow, saying by how much', async () => {
    const counter = await createLocalTokenCounter(modelPath);
    const huge: ChatMessage[] = [{ role: 'user', content: 'price 123.45 volume 6789 '.repeat(1500) }];
    const promptTokens = counter.countMessages(huge);
    assert.ok(promptTokens > 8192, `the test prompt is only ${promptTokens} tokens`);
    const expectedOverflow = promptTokens + 100 - 8192;
    let deltas = 0;
    await assert.rejects(
      provider.stream({ model: 'x', messages: huge, maxTokens: 100 }, () => (deltas += 1)),
      (error: unknown) =>
        isProviderError('ContextOverflow')(error) &&
        (error as Error).message.includes(`${promptTokens} tokens`) &&
        (error as Error).message.includes(`${expectedOverflow} tokens beyond`),
    );
    assert.equal(deltas, 0);
  });

  test('a prompt that fits alone but not with maxTokens is ContextOverflow too', async () => {
    const counter = await createLocalTokenCounter(modelPath);
    const prompt: ChatMessage[] = [{ role: 'user', content: 'Summarise: the market rose.' }];
    const promptTokens = counter.countMessages(prompt);
    await assert.rejects(
      provider.stream({ model: 'x', messages: prompt, maxTokens: 8192 - promptTokens + 1 }, () => {}),
      (error: unknown) =>
        isProviderError('ContextOverflow')(error) && /1 tokens beyond/.test((error as Error).message),
    );
  });

  test('two concurrent requests run one after the other, not interleaved', async () => {
    const events: string[] = [];
    const request = (name: string) =>
      provider.stream(
        { model: 'x', messages: [{ role: 'user', content: `Say something about ${name}.` }], maxTokens: 12 },
        () => events.push(name),
      );
    await Promise.all([request('apples'), request('pears')]);
    const firstPear = events.indexOf('pears');
    assert.ok(firstPear > 0);
    assert.ok(
      events.slice(firstPear).every((name) => name === 'pears'),
      events.join(','),
    );
  });
});
