import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  createPoolState,
  grantWaiting,
  nextPeriodStart,
  periodStartOf,
  poolAvailable,
  poolReserved,
  raisePool,
  releasePool,
  reservePool,
  rollPeriod,
  summarizePool,
  validateReserve,
  type PoolState,
} from './pool';

const NOW = new Date('2026-12-02T10:00:00Z');
const definition = { name: 'research', tokensPerPeriod: 10_000, period: 'day' as const };

test('a reservation is granted while it fits, waits in line when asked to, and is refused otherwise', () => {
  const state = createPoolState(definition, NOW);
  assert.deepEqual(reservePool(state, { holder: 'a', requestId: 'a/1', tokens: 6_000, wait: true }, NOW), {
    status: 'granted',
    tokens: 6_000,
    available: 4_000,
  });
  assert.deepEqual(reservePool(state, { holder: 'b', requestId: 'b/1', tokens: 6_000, wait: false }, NOW), {
    status: 'refused',
    available: 4_000,
  });
  assert.equal(
    reservePool(state, { holder: 'c', requestId: 'c/1', tokens: 6_000, wait: true }, NOW).status,
    'waiting',
  );
  // Someone waits: a small request that would fit does not jump the line, not even as a partial grant.
  assert.equal(
    reservePool(state, { holder: 'd', requestId: 'd/1', tokens: 1_000, wait: false, acceptAtLeast: 1 }, NOW)
      .status,
    'refused',
  );
  // What a spends stays spent: 5,500 leaves 4,500, not enough for c.
  assert.equal(releasePool(state, 'a', 5_500), 5_500);
  assert.deepEqual(grantWaiting(state, NOW), []);
  raisePool(state, 1_500);
  assert.deepEqual(grantWaiting(state, NOW), [{ holder: 'c', requestId: 'c/1', tokens: 6_000 }]);
  assert.equal(state.spent, 5_500);
  assert.equal(poolAvailable(state), 0);
});

test('a repeated request or release changes nothing', () => {
  const state = createPoolState(definition, NOW);
  const request = { holder: 'a', requestId: 'a/1', tokens: 3_000, wait: false };
  reservePool(state, request, NOW);
  assert.equal(reservePool(state, request, NOW).status, 'granted');
  assert.equal(poolReserved(state), 3_000);
  assert.equal(releasePool(state, 'a', 2_000), 2_000);
  assert.equal(releasePool(state, 'a', 2_000), 0);
  assert.equal(state.spent, 2_000);
});

test('a degrading run takes what is left when it is at least its minimum', () => {
  const state = createPoolState(definition, NOW);
  reservePool(state, { holder: 'a', requestId: 'a/1', tokens: 8_000, wait: false }, NOW);
  const outcome = reservePool(
    state,
    { holder: 'b', requestId: 'b/1', tokens: 4_000, wait: false, acceptAtLeast: 1_000 },
    NOW,
  );
  assert.deepEqual(outcome, { status: 'granted', tokens: 2_000, available: 0 });
});

test('raises and a new period make room for those waiting; held grants carry into the new period', () => {
  const state = createPoolState(definition, NOW);
  reservePool(state, { holder: 'a', requestId: 'a/1', tokens: 9_000, wait: true }, NOW);
  reservePool(state, { holder: 'b', requestId: 'b/1', tokens: 5_000, wait: true }, NOW);
  raisePool(state, 4_000);
  assert.deepEqual(
    grantWaiting(state, NOW).map((notice) => notice.holder),
    ['b'],
  );
  releasePool(state, 'b', 5_000);
  const tomorrow = new Date('2026-12-03T00:00:01Z');
  assert.equal(rollPeriod(state, tomorrow), true);
  assert.equal(rollPeriod(state, tomorrow), false);
  assert.deepEqual(state.history, [{ start: '2026-12-02T00:00:00.000Z', budget: 14_000, spent: 5_000 }]);
  // The raise was for its day; a's grant is still held, so it counts against the new day.
  assert.equal(state.budget, 10_000);
  assert.equal(poolAvailable(state), 1_000);
});

test('a request that can never be granted is refused by the validator', () => {
  const state = createPoolState(definition, NOW);
  assert.match(
    validateReserve(state, { holder: 'a', requestId: 'a/1', tokens: 20_000, wait: true }) ?? '',
    /could never be granted/,
  );
  assert.match(
    validateReserve(state, { holder: 'a', requestId: 'a/1', tokens: 0, wait: true }) ?? '',
    /positive/,
  );
  assert.equal(
    validateReserve(state, { holder: 'a', requestId: 'a/1', tokens: 10_000, wait: true }),
    undefined,
  );
});

test('periods are UTC days, Monday weeks and calendar months', () => {
  const at = new Date('2026-12-02T23:59:00Z'); // a Wednesday
  assert.equal(periodStartOf(at, 'day').toISOString(), '2026-12-02T00:00:00.000Z');
  assert.equal(periodStartOf(at, 'week').toISOString(), '2026-11-30T00:00:00.000Z');
  assert.equal(periodStartOf(at, 'month').toISOString(), '2026-12-01T00:00:00.000Z');
  assert.equal(
    nextPeriodStart(new Date('2026-12-01T00:00:00Z'), 'month').toISOString(),
    '2027-01-01T00:00:00.000Z',
  );
  assert.equal(summarizePool(createPoolState(definition, at)).nextPeriodStart, '2026-12-03T00:00:00.000Z');
});

type Operation =
  | { kind: 'reserve'; holder: number; tokens: number; wait: boolean; partial: boolean }
  | { kind: 'release'; holder: number; spentShare: number }
  | { kind: 'raise'; tokens: number };

const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({
    kind: fc.constant('reserve' as const),
    holder: fc.integer({ min: 0, max: 49 }),
    tokens: fc.integer({ min: 1, max: 4_000 }),
    wait: fc.boolean(),
    partial: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('release' as const),
    holder: fc.integer({ min: 0, max: 49 }),
    spentShare: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
  fc.record({ kind: fc.constant('raise' as const), tokens: fc.integer({ min: 1, max: 3_000 }) }),
);

test('whatever 50 holders do, spent plus reserved never passes the period budget (property)', () => {
  fc.assert(
    fc.property(
      fc.array(operationArbitrary, { minLength: 20, maxLength: 300, size: 'large' }),
      (operations) => {
        const state: PoolState = createPoolState(definition, NOW);
        let requests = 0;
        for (const operation of operations) {
          if (operation.kind === 'reserve') {
            reservePool(
              state,
              {
                holder: `run-${operation.holder}`,
                requestId: `r${requests++}`,
                tokens: operation.tokens,
                wait: operation.wait,
                ...(operation.partial ? { acceptAtLeast: 1 } : {}),
              },
              NOW,
            );
          } else if (operation.kind === 'release') {
            // A run never spends more than it holds (its hard cap is what it was granted).
            const held = state.grants[`run-${operation.holder}`]?.tokens ?? 0;
            releasePool(state, `run-${operation.holder}`, Math.floor(held * operation.spentShare));
            grantWaiting(state, NOW);
          } else {
            raisePool(state, operation.tokens);
            grantWaiting(state, NOW);
          }
          assert.ok(state.spent + poolReserved(state) <= state.budget, 'the pool was passed');
          // Nobody waits while the first in line would fit.
          const first = state.waiting[0];
          if (first) assert.ok(first.tokens > poolAvailable(state));
        }
      },
    ),
    { numRuns: 200 },
  );
});
