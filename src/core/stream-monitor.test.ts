import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FINISH_REASON } from './finish-reasons';
import { StreamMonitor, type StreamMonitorOptions } from './stream-monitor';
import type { TokenCounter } from './types';

/** One token per word: easy to reason about in a test. */
const countWords = (text: string) => text.split(/\s+/).filter(Boolean).length;
const wordCounter: TokenCounter = {
  name: 'words',
  count: countWords,
  countMessages: (messages) => messages.reduce((sum, message) => sum + countWords(message.content), 0),
};

/** A monitor with the word counter; `options` override max_tokens, factors and the repetition window. */
function monitorOf(options: Partial<StreamMonitorOptions>): StreamMonitor {
  return new StreamMonitor({
    counter: wordCounter,
    maxTokens: 100,
    completionFactor: 1,
    estimateFactor: 1,
    ...options,
  });
}

describe('stream monitor', () => {
  test('lets an answer within max_tokens (and its slack) through', () => {
    const monitor = monitorOf({});
    for (let index = 0; index < 104; index += 1) assert.equal(monitor.observe(`word${index} `), undefined);
    assert.equal(monitor.stopped, undefined);
    assert.equal(monitor.chunks, 104);
  });

  test('stops a server that runs past max_tokens, by the learned drift', () => {
    const monitor = monitorOf({ completionFactor: 2, estimateFactor: 2 });
    let stop;
    let deltas = 0;
    while (!stop && deltas < 1000) {
      stop = monitor.observe(`word${deltas} `);
      deltas += 1;
    }
    assert.equal(stop, FINISH_REASON.limit);
    // 100 + 2% + 4 = 106 server tokens at two per local token.
    assert.equal(deltas, 54);
    assert.ok(monitor.completionEstimate() >= monitor.chunks, 'never below one token a chunk');
  });

  test('stops a runaway and keeps the answer before its repeat', () => {
    const monitor = monitorOf({ maxTokens: 1000, repetitionWindowWords: 6 });
    const opening = 'The trend is up and volume confirms it. ';
    const loop = 'The report is based on the data we have seen so far today. ';
    let stop;
    for (const delta of [opening, loop, loop, loop]) stop ??= monitor.observe(delta);
    assert.equal(stop, FINISH_REASON.repetition);
    assert.ok(monitor.answer().startsWith(opening.trim()));
    assert.ok(monitor.answer().length < monitor.text.length, 'the repeat is cut off');
  });

  test('an empty delta (a progress signal) adds nothing to the count', () => {
    const monitor = monitorOf({ maxTokens: 10, estimateFactor: 1.15 });
    monitor.observe('');
    assert.equal(monitor.chunks, 0);
    assert.equal(monitor.completionEstimate(), 0);
  });
});
