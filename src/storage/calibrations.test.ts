import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openUsageStore } from './usage-store';

describe('calibrations', () => {
  const agents = {
    market_analyst: { wordLimit: 280, allocation: 2800, tokensPerWord: 1.31, expectedCompletionTokens: 350 },
    trader: { wordLimit: 150, allocation: 1500, tokensPerWord: 1.28 },
  };

  test('versions round trip; the latest saved is active; a re-saved version is a no-op; activation rolls back', () => {
    const store = openUsageStore(':memory:');
    assert.equal(store.activeCalibration(), undefined);
    const first = {
      version: 'cal-2024-03-05T00',
      createdAt: '2024-03-05T00:00:00.000Z',
      reasons: ['initial'],
      agents,
    };
    const second = {
      version: 'cal-2024-03-06T00',
      createdAt: '2024-03-06T00:00:00.000Z',
      reasons: ['market_analyst: 40% of answers truncated; loosened word limit 280 -> 300'],
      agents: { ...agents, market_analyst: { wordLimit: 300, allocation: 3000, tokensPerWord: 1.3 } },
    };
    store.saveCalibration(first);
    assert.deepEqual(store.activeCalibration(), first);
    store.saveCalibration(second);
    assert.deepEqual(store.activeCalibration(), second);
    store.saveCalibration({ ...first, reasons: ['changed on retry'] });
    assert.deepEqual(store.activeCalibration(), second, 're-saving an old version must not re-activate it');
    assert.deepEqual(store.listCalibrations(10), [second, first]);
    assert.deepEqual(store.listCalibrations(1), [second]);
    store.activateCalibration(first.version);
    assert.deepEqual(store.activeCalibration(), first);
    assert.throws(() => store.activateCalibration('cal-missing'), /does not exist/);
    assert.throws(
      () =>
        store.saveCalibration({
          version: 'cal-bad',
          createdAt: '2024-03-07T00:00:00.000Z',
          reasons: [],
          agents: { janitor: agents.trader } as never,
        }),
      /unknown agents \(janitor\)/,
    );
    assert.equal(store.listCalibrations(10).length, 2);
    store.close();
  });

  test('a calibration keeps the tokenizer drift it learned per model', () => {
    const store = openUsageStore(':memory:');
    try {
      const drift = {
        prompt: { serverTokens: 1150, localTokens: 1000, samples: 3 },
        completion: { serverTokens: 420, localTokens: 400, samples: 3 },
      };
      store.saveCalibration({
        version: 'cal-drift',
        createdAt: '2024-03-05T10:00:00.000Z',
        reasons: [],
        agents: {},
        tokenizerDrift: { 'gpt-4o-mini': drift },
      });
      assert.deepEqual(store.activeCalibration()?.tokenizerDrift, { 'gpt-4o-mini': drift });
    } finally {
      store.close();
    }
  });
});
