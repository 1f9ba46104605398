import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { attemptsFromHeartbeat, attemptsTokens, normalizeUsageSource, readAttemptRecords } from './ledger';

const fallback = { promptTokens: 500, maxTokens: 300, spendCeiling: 2000 };

describe('attemptsFromHeartbeat', () => {
  test('a first attempt has no predecessors', () => {
    assert.deepEqual(attemptsFromHeartbeat(undefined, 1, fallback), []);
  });

  test('an attempt still running at its last heartbeat was lost with what it had spent by then', () => {
    const attempts = attemptsFromHeartbeat(
      {
        attempt: 2,
        attempts: [
          {
            attempt: 1,
            outcome: 'failed',
            promptTokens: 0,
            completionTokens: 0,
            source: 'estimated',
            failureType: 'RateLimited',
          },
        ],
        current: { promptTokens: 480, completionTokens: 120, maxTokens: 300 },
      },
      3,
      fallback,
    );
    assert.deepEqual(attempts, [
      {
        attempt: 1,
        outcome: 'failed',
        promptTokens: 0,
        completionTokens: 0,
        source: 'estimated',
        failureType: 'RateLimited',
      },
      { attempt: 2, outcome: 'lost', promptTokens: 480, completionTokens: 120, source: 'estimated' },
    ]);
  });

  test('an attempt that ended is read as it ended, not as lost', () => {
    const ended = [
      { attempt: 1, outcome: 'failed', promptTokens: 480, completionTokens: 60, source: 'estimated' },
    ];
    assert.deepEqual(attemptsFromHeartbeat({ attempt: 1, attempts: ended }, 2, fallback), ended);
  });

  test('attempts that left no word at all are charged their whole reservation, within the ceiling', () => {
    assert.deepEqual(attemptsFromHeartbeat(undefined, 2, fallback), [
      { attempt: 1, outcome: 'lost', promptTokens: 500, completionTokens: 300, source: 'reserved' },
    ]);
    const three = attemptsFromHeartbeat(undefined, 4, { ...fallback, spendCeiling: 2000 });
    assert.equal(three.length, 3);
    assert.equal(attemptsTokens(three), 2000, 'never past what the call reserved');
    // Attempt 1 heartbeated, attempt 2 died before its first heartbeat.
    const after = attemptsFromHeartbeat(
      { attempt: 1, attempts: [], current: { promptTokens: 480, completionTokens: 40, maxTokens: 300 } },
      3,
      fallback,
    );
    assert.deepEqual(
      after.map((record) => [record.attempt, record.outcome, record.source]),
      [
        [1, 'lost', 'estimated'],
        [2, 'lost', 'reserved'],
      ],
    );
  });

  test('reads the totals older workers heartbeated', () => {
    const [record] = attemptsFromHeartbeat(
      { attempt: 1, inputTokens: 60, outputTokens: 30, lostTokens: 5 },
      2,
      fallback,
    );
    assert.equal(record && record.promptTokens + record.completionTokens, 95);
    assert.equal(record?.outcome, 'lost');
  });
});

describe('readAttemptRecords and normalizeUsageSource', () => {
  test('drop malformed entries, default an unknown outcome to lost and name an old `counted` an estimate', () => {
    assert.deepEqual(
      readAttemptRecords([
        { attempt: 1, outcome: 'weird', promptTokens: 1.2, completionTokens: 0, source: 'counted' },
        { attempt: 'x', outcome: 'failed', promptTokens: 1, completionTokens: 1 },
        null,
      ]),
      [{ attempt: 1, outcome: 'lost', promptTokens: 2, completionTokens: 0, source: 'estimated' }],
    );
    assert.deepEqual(readAttemptRecords('nope'), []);
    assert.equal(normalizeUsageSource('server'), 'server');
    assert.equal(normalizeUsageSource('counted'), 'estimated');
  });
});
