import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ledgerEngines, openTestStore } from './test-ledgers';

for (const { engine, skip } of ledgerEngines()) {
  describe(`calibrations (${engine})`, { skip }, () => {
    const agents = {
      market_analyst: {
        wordLimit: 280,
        allocation: 2800,
        tokensPerWord: 1.31,
        expectedCompletionTokens: 350,
      },
      trader: { wordLimit: 150, allocation: 1500, tokensPerWord: 1.28 },
    };

    test('versions round trip; the latest saved is active; a re-saved version is a no-op; activation rolls back', async () => {
      const store = await openTestStore(engine);
      assert.equal(await store.activeCalibration(), undefined);
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
      await store.saveCalibration(first);
      assert.deepEqual(await store.activeCalibration(), first);
      await store.saveCalibration(second);
      assert.deepEqual(await store.activeCalibration(), second);
      await store.saveCalibration({ ...first, reasons: ['changed on retry'] });
      assert.deepEqual(
        await store.activeCalibration(),
        second,
        're-saving an old version must not re-activate it',
      );
      assert.deepEqual(await store.listCalibrations(10), [second, first]);
      assert.deepEqual(await store.listCalibrations(1), [second]);
      await store.activateCalibration(first.version);
      assert.deepEqual(await store.activeCalibration(), first);
      await assert.rejects(() => store.activateCalibration('cal-missing'), /does not exist/);
      await assert.rejects(
        () =>
          store.saveCalibration({
            version: 'cal-bad',
            createdAt: '2024-03-07T00:00:00.000Z',
            reasons: [],
            agents: { janitor: agents.trader } as never,
          }),
        /unknown agents \(janitor\)/,
      );
      assert.equal((await store.listCalibrations(10)).length, 2);
      await store.close();
    });

    test('a calibration keeps the tokenizer drift it learned per model', async () => {
      const store = await openTestStore(engine);
      try {
        const drift = {
          prompt: { serverTokens: 1150, localTokens: 1000, samples: 3 },
          completion: { serverTokens: 420, localTokens: 400, samples: 3 },
        };
        await store.saveCalibration({
          version: 'cal-drift',
          createdAt: '2024-03-05T10:00:00.000Z',
          reasons: [],
          agents: {},
          tokenizerDrift: { 'gpt-4o-mini': drift },
        });
        assert.deepEqual((await store.activeCalibration())?.tokenizerDrift, { 'gpt-4o-mini': drift });
      } finally {
        await store.close();
      }
    });
  });
}
