import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addUsage, totalTokens } from './usage';

describe('usage arithmetic', () => {
  test('adds known counts field by field', () => {
    assert.deepEqual(
      addUsage(
        { inputTokens: 100, outputTokens: 20, cachedInputTokens: 40 },
        { inputTokens: 5, outputTokens: 7, cachedInputTokens: 1 },
      ),
      { inputTokens: 105, outputTokens: 27, cachedInputTokens: 41 },
    );
  });

  test('unknown plus unknown stays unknown, unknown plus a count is the count', () => {
    const sum = addUsage({ inputTokens: 10 }, { outputTokens: 3 });
    assert.deepEqual(sum, { inputTokens: 10, outputTokens: 3 });
    assert.equal('cachedInputTokens' in sum, false);
    assert.deepEqual(addUsage({}, {}), {});
  });

  test('zero is a known count, not unknown', () => {
    assert.deepEqual(addUsage({ cachedInputTokens: 0 }, {}), { cachedInputTokens: 0 });
  });

  test('total is input plus output, without counting cached input twice', () => {
    assert.equal(totalTokens({ inputTokens: 1200, outputTokens: 300, cachedInputTokens: 1000 }), 1500);
    assert.equal(totalTokens({ outputTokens: 300 }), 300);
    assert.equal(totalTokens({ cachedInputTokens: 50 }), undefined);
  });
});
