import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MINIMUM_COMPLETION_SAMPLE,
  UNLEARNED_RESERVATION_FACTOR,
  combineDrift,
  driftRatio,
  emptyDrift,
  estimateServerTokens,
  learnedFactors,
  observeDrift,
  readDrift,
  reservationPromptFactor,
} from './tokenizer-drift';

describe('tokenizer drift', () => {
  test('learns the server/local ratio from calls that carried usage, heavier calls weighing more', () => {
    let drift = emptyDrift();
    assert.equal(learnedFactors(drift), undefined, 'nothing learned yet');
    drift = observeDrift(drift, {
      localPromptTokens: 1000,
      serverPromptTokens: 1150,
      localCompletionTokens: 200,
      serverCompletionTokens: 220,
    });
    drift = observeDrift(drift, {
      localPromptTokens: 3000,
      serverPromptTokens: 3450,
      localCompletionTokens: 400,
      serverCompletionTokens: 440,
    });
    assert.equal(driftRatio(drift.prompt), 1.15);
    assert.equal(driftRatio(drift.completion), 1.1);
    assert.deepEqual(learnedFactors(drift), { prompt: 1.15, completion: 1.1 });
    assert.equal(drift.prompt.samples, 2);
  });

  test('a completion too short to say anything is not learned from, and the argument is left as it was', () => {
    const before = emptyDrift();
    const after = observeDrift(before, {
      localPromptTokens: 100,
      serverPromptTokens: 120,
      localCompletionTokens: MINIMUM_COMPLETION_SAMPLE - 1,
      serverCompletionTokens: 40,
    });
    assert.equal(after.completion.samples, 0);
    assert.equal(after.prompt.samples, 1);
    assert.deepEqual(before, emptyDrift());
    assert.deepEqual(learnedFactors(after), { prompt: 1.2 });
  });

  test('reservations cover the learned drift, never less than the local count, and a conservative default', () => {
    assert.equal(reservationPromptFactor(undefined), UNLEARNED_RESERVATION_FACTOR);
    assert.ok(UNLEARNED_RESERVATION_FACTOR > 1);
    const fewer = observeDrift(emptyDrift(), {
      localPromptTokens: 1000,
      serverPromptTokens: 900,
      localCompletionTokens: 0,
      serverCompletionTokens: 0,
    });
    assert.equal(reservationPromptFactor(fewer), 1);
    const more = observeDrift(emptyDrift(), {
      localPromptTokens: 1000,
      serverPromptTokens: 1300,
      localCompletionTokens: 0,
      serverCompletionTokens: 0,
    });
    assert.equal(reservationPromptFactor(more), 1.3);
  });

  test('an estimate scales the local count, rounds up, and never falls below one token per chunk', () => {
    assert.equal(estimateServerTokens(100, 1.15), 115);
    assert.equal(estimateServerTokens(101, 1.1), 112);
    assert.equal(estimateServerTokens(100, 0.2, 60), 60);
    assert.equal(estimateServerTokens(-5, 1.2), 0);
  });

  test('combines tallies and reads a stored one back, refusing malformed values', () => {
    const one = observeDrift(emptyDrift(), {
      localPromptTokens: 100,
      serverPromptTokens: 110,
      localCompletionTokens: 100,
      serverCompletionTokens: 130,
    });
    const both = combineDrift(one, one);
    assert.equal(both.prompt.samples, 2);
    assert.equal(driftRatio(both.completion), 1.3);
    assert.deepEqual(readDrift(JSON.parse(JSON.stringify(both))), both);
    assert.equal(
      readDrift({ prompt: { serverTokens: 'x', localTokens: 1, samples: 1 }, completion: both.completion }),
      undefined,
    );
    assert.equal(readDrift(null), undefined);
  });
});
