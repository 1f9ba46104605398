import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { lazyConnection } from './lazy-connection';

describe('a lazy connection', () => {
  test('connects once for concurrent users and keeps the connection', async () => {
    let attempts = 0;
    const connection = lazyConnection(async () => ++attempts, { retryAfterMs: 1000 });
    assert.equal(connection.current(), undefined);
    const [first, second] = await Promise.all([connection.get(), connection.get()]);
    assert.equal(first, 1);
    assert.equal(second, 1);
    assert.equal(await connection.get(), 1);
    assert.equal(connection.current(), 1);
  });

  test('after a failure, answers with it until the pause has passed, then tries again', async () => {
    let time = 0;
    let attempts = 0;
    const connection = lazyConnection(
      async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('unreachable');
        return 'open';
      },
      { retryAfterMs: 5000, now: () => time },
    );
    await assert.rejects(connection.get(), /unreachable/);
    time = 4999;
    await assert.rejects(connection.get(), /unreachable/);
    assert.equal(attempts, 1, 'no new attempt within the pause');
    time = 5000;
    assert.equal(await connection.get(), 'open');
    assert.equal(attempts, 2);
  });
});
