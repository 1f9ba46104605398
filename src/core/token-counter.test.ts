import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  clearCountCache,
  contentKey,
  countCacheStatistics,
  createTiktokenCounter,
  getTiktokenEncoder,
  sharedTiktokenCounter,
  splitAtHeadings,
  withCountCache,
} from './token-counter';
import type { ChatMessage, TokenCounter } from './types';

const REPORT =
  'The S&P 500 closed at 2874.56 on 2020-04-17, up 2.68% on the day and 12.1% above its March low. '.repeat(
    40,
  );

describe('createTiktokenCounter', () => {
  test('counts what js-tiktoken encodes, per encoding', () => {
    const o200k = createTiktokenCounter('o200k_base');
    const cl100k = createTiktokenCounter('cl100k_base');
    const text = 'Die Börse schloss 2,7 % höher; 株価は上昇した.';
    assert.equal(o200k.count(text), getTiktokenEncoder('o200k_base').encode(text).length);
    assert.equal(cl100k.count(text), getTiktokenEncoder('cl100k_base').encode(text).length);
    assert.notEqual(o200k.count(text), cl100k.count(text));
    assert.equal(o200k.name, 'o200k_base');
    assert.equal(o200k.count(''), 0);
  });

  test('counts special-token text in user data as ordinary text instead of throwing', () => {
    const counter = createTiktokenCounter('o200k_base');
    const count = counter.count('before <|endoftext|> after');
    assert.ok(count > 5, `expected the marker to be split into ordinary tokens, got ${count}`);
  });

  test('adds the chat overhead of OpenAI’s cookbook: 3 per message and 3 priming the reply', () => {
    const counter = createTiktokenCounter('o200k_base');
    const encoder = getTiktokenEncoder('o200k_base');
    const messages: ChatMessage[] = [
      { role: 'system', content: 'You are the trader.' },
      { role: 'user', content: REPORT },
    ];
    const expected =
      3 +
      messages.reduce(
        (sum, message) =>
          sum + 3 + encoder.encode(message.role).length + encoder.encode(message.content).length,
        0,
      );
    assert.equal(counter.countMessages(messages), expected);
  });

  test('encodes a repeated text once and reports hits and misses', () => {
    const counter = createTiktokenCounter('o200k_base');
    const first = counter.count(REPORT);
    for (let agent = 0; agent < 9; agent += 1) assert.equal(counter.count(REPORT), first);
    const statistics = countCacheStatistics(counter);
    assert.deepEqual(
      { hits: statistics?.hits, misses: statistics?.misses, entries: statistics?.entries },
      { hits: 9, misses: 1, entries: 1 },
    );
    clearCountCache(counter);
    assert.equal(countCacheStatistics(counter)?.hits, 0);
  });

  test('shares cached contents between messages of different prompts', () => {
    const counter = createTiktokenCounter('o200k_base');
    counter.countMessages([{ role: 'user', content: REPORT }]);
    const before = countCacheStatistics(counter);
    counter.countMessages([
      { role: 'system', content: 'You are the risk manager.' },
      { role: 'user', content: REPORT },
    ]);
    const after = countCacheStatistics(counter);
    // 'user' and the report hit; only the new system text and its role miss.
    assert.equal((after?.hits ?? 0) - (before?.hits ?? 0), 2);
    assert.equal((after?.misses ?? 0) - (before?.misses ?? 0), 2);
  });

  test('evicts the least recently used entry when full', () => {
    const counter = createTiktokenCounter('o200k_base', { cacheEntries: 2 });
    counter.count('alpha beta');
    counter.count('gamma delta');
    counter.count('alpha beta'); // now most recent
    counter.count('epsilon zeta'); // evicts 'gamma delta'
    counter.count('alpha beta');
    counter.count('gamma delta');
    const statistics = countCacheStatistics(counter);
    assert.deepEqual(
      {
        hits: statistics?.hits,
        misses: statistics?.misses,
        evictions: statistics?.evictions,
        entries: statistics?.entries,
      },
      { hits: 2, misses: 4, evictions: 2, entries: 2 },
    );
  });

  test('never caches with cacheEntries 0', () => {
    const counter = createTiktokenCounter('o200k_base', { cacheEntries: 0 });
    counter.count(REPORT);
    counter.count(REPORT);
    assert.equal(countCacheStatistics(counter)?.hits, 0);
    assert.equal(countCacheStatistics(counter)?.misses, 2);
  });
});

describe('counting prompts section by section', () => {
  const section = (title: string, body: string): string => `## ${title}\n${body}`;
  const marketReport = section(
    'Market analyst report',
    `${REPORT}\n### Levels\nSupport 2727, resistance 2900.`,
  );
  const newsReport = section('News analyst report', REPORT.replace(/2874.56/g, '2799.55'));
  const edgeCases = section(
    'Odd endings',
    'a path /usr/local/\n\n#hashtag\n\n\n/leading slash!!!\n   \n## x',
  );

  test('sums to exactly what encoding the whole text gives, in both encodings', () => {
    const prompt = [marketReport, newsReport, edgeCases, section('Task', 'Decide.')].join('\n\n');
    assert.ok(splitAtHeadings(prompt).length >= 5);
    assert.equal(splitAtHeadings(prompt).join(''), prompt);
    for (const encoding of ['o200k_base', 'cl100k_base'] as const) {
      const counter = createTiktokenCounter(encoding);
      assert.equal(counter.count(prompt), getTiktokenEncoder(encoding).encode(prompt).length, encoding);
    }
  });

  test('encodes a report shared by two agents’ prompts once', () => {
    const counter = createTiktokenCounter('o200k_base');
    counter.countMessages([
      { role: 'user', content: [marketReport, newsReport, section('Task', 'Bull case.')].join('\n\n') },
    ]);
    const before = countCacheStatistics(counter);
    const traderPrompt = [marketReport, newsReport, section('Task', 'Trading plan.')].join('\n\n');
    assert.equal(
      counter.countMessages([{ role: 'user', content: traderPrompt }]),
      3 + 3 + 1 + getTiktokenEncoder('o200k_base').encode(traderPrompt).length,
    );
    const after = countCacheStatistics(counter);
    // The role and the report pieces hit; the new prompt and its new task piece miss.
    assert.equal((after?.misses ?? 0) - (before?.misses ?? 0), 2);
    assert.ok((after?.hits ?? 0) - (before?.hits ?? 0) >= 3);
  });
});

describe('contentKey', () => {
  test('keeps short texts as keys and hashes long ones without collisions on near-identical texts', () => {
    assert.equal(contentKey('short text'), 'short text');
    const long = REPORT;
    const changed = REPORT.slice(0, 1000) + 'X' + REPORT.slice(1001);
    assert.ok(contentKey(long).length < 40);
    assert.equal(contentKey(long), contentKey(String(REPORT)));
    assert.notEqual(contentKey(long), contentKey(changed));
  });
});

describe('sharedTiktokenCounter', () => {
  test('returns one counter per encoding for the whole process', () => {
    assert.equal(sharedTiktokenCounter('o200k_base'), sharedTiktokenCounter('o200k_base'));
    assert.notEqual(sharedTiktokenCounter('o200k_base'), sharedTiktokenCounter('cl100k_base'));
  });
});

describe('withCountCache', () => {
  function countingCounter(): { counter: TokenCounter; calls: { count: number; countMessages: number } } {
    const calls = { count: 0, countMessages: 0 };
    const counter: TokenCounter = {
      name: 'gguf:test',
      count(text) {
        calls.count += 1;
        return text.split(' ').length;
      },
      countMessages(messages) {
        calls.countMessages += 1;
        return 10 + messages.reduce((sum, message) => sum + message.content.split(' ').length, 0);
      },
    };
    return { counter, calls };
  }

  test('keeps whether the wrapped tokenizer is the model’s own', () => {
    const { counter } = countingCounter();
    assert.equal(withCountCache({ ...counter, exact: true }).exact, true);
    assert.equal(withCountCache(counter).exact, undefined);
  });

  test('asks the wrapped tokenizer once per distinct text and once per distinct conversation', () => {
    const { counter, calls } = countingCounter();
    const cached = withCountCache(counter);
    assert.equal(cached.name, 'gguf:test');
    assert.equal(cached.count(REPORT), counter.count(REPORT));
    calls.count = 0;
    cached.count(REPORT);
    cached.count(REPORT);
    cached.count('another text');
    assert.equal(calls.count, 1);
    const conversation: ChatMessage[] = [
      { role: 'system', content: 'short' },
      { role: 'user', content: REPORT },
    ];
    const first = cached.countMessages(conversation);
    assert.equal(cached.countMessages([...conversation]), first);
    assert.equal(
      cached.countMessages([{ role: 'user', content: 'short' }, conversation[1] as ChatMessage]),
      first,
    );
    assert.equal(calls.countMessages, 2, 'same contents under another role are a different conversation');
    assert.equal(countCacheStatistics(cached)?.hits, 3);
  });
});
