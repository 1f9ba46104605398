import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decisionHit, wilsonInterval } from './scoring';

function assertClose(actual: number | undefined, expected: number, message?: string): void {
  assert.ok(
    actual !== undefined && Math.abs(actual - expected) < 0.0005,
    `${message ?? ''} ${actual} vs ${expected}`,
  );
}

describe('decisionHit', () => {
  test('BUY hits on a rise, SELL on a fall; a flat price misses both', () => {
    assert.equal(decisionHit('BUY', 0.02), true);
    assert.equal(decisionHit('BUY', -0.01), false);
    assert.equal(decisionHit('SELL', -0.01), true);
    assert.equal(decisionHit('SELL', 0.02), false);
    assert.equal(decisionHit('BUY', 0), false);
    assert.equal(decisionHit('SELL', 0), false);
  });

  test('HOLD, no decision and no return are not scored', () => {
    assert.equal(decisionHit('HOLD', 0.05), undefined);
    assert.equal(decisionHit(undefined, 0.05), undefined);
    assert.equal(decisionHit('BUY', undefined), undefined);
    assert.equal(decisionHit('BUY', Number.NaN), undefined);
  });
});

describe('wilsonInterval', () => {
  test('matches published 95% Wilson intervals', () => {
    const cases: Array<[number, number, number, number]> = [
      [8, 10, 0.4902, 0.9433],
      [50, 100, 0.4038, 0.5962],
      [1, 1, 0.2065, 1],
      [5, 8, 0.3057, 0.8632],
    ];
    for (const [successes, trials, low, high] of cases) {
      const interval = wilsonInterval(successes, trials);
      assertClose(interval?.low, low, `${successes}/${trials} low`);
      assertClose(interval?.high, high, `${successes}/${trials} high`);
    }
  });

  test('stays within [0, 1] at none and all successes', () => {
    assert.deepEqual(wilsonInterval(0, 10)?.low, 0);
    assertClose(wilsonInterval(0, 10)?.high, 0.2775);
    assertClose(wilsonInterval(10, 10)?.low, 0.7225);
    assert.equal(wilsonInterval(10, 10)?.high, 1);
  });

  test('a wider z widens the interval; no trials gives none', () => {
    const interval = wilsonInterval(8, 10, 2.5758);
    assertClose(interval?.low, 0.4008);
    assertClose(interval?.high, 0.9599);
    assert.equal(wilsonInterval(0, 0), undefined);
  });
});
