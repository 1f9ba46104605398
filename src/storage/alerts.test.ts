import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Alert } from '../core/alerts';
import { makeRecord } from './test-fixtures';
import { ledgerEngines, openTestStore } from './test-ledgers';

const alert = (key: string, day = '2026-12-01', extra: Partial<Alert> = {}): Alert => ({
  key,
  rule: 'run_budget_used',
  day,
  workflowId: 'w1',
  message: `breach ${key}`,
  value: 0.95,
  threshold: 0.9,
  ...extra,
});

for (const { engine, skip } of ledgerEngines()) {
  describe(`alerts and reports (${engine})`, { skip }, () => {
    test('a breach is recorded once by its key; delivery is stamped once', async () => {
      const store = await openTestStore(engine);
      try {
        const first = await store.recordAlerts(
          [alert('a'), alert('b', '2026-12-01', { agent: 'trader' })],
          '2026-12-01T10:00:00Z',
        );
        assert.deepEqual(
          first.map((recorded) => recorded.key),
          ['a', 'b'],
        );
        const again = await store.recordAlerts(
          [alert('a', '2026-12-01', { message: 'seen again' }), alert('c', '2026-12-02')],
          '2026-12-02T09:00:00Z',
        );
        assert.deepEqual(
          again.map((recorded) => recorded.key),
          ['c'],
          'an alert already recorded is not recorded again',
        );
        assert.deepEqual(await store.getAlert('a'), { ...alert('a'), raisedAt: '2026-12-01T10:00:00.000Z' });
        assert.equal((await store.getAlert('b'))?.agent, 'trader');
        assert.equal(await store.getAlert('missing'), undefined);

        assert.equal(await store.markAlertDelivered('a', '2026-12-01T10:00:05Z'), true);
        assert.equal(await store.markAlertDelivered('a', '2026-12-01T11:00:00Z'), false, 'delivered once');
        assert.equal((await store.getAlert('a'))?.deliveredAt, '2026-12-01T10:00:05.000Z');

        assert.deepEqual(
          (await store.listAlerts()).map((recorded) => recorded.key),
          ['c', 'a', 'b'],
        );
        assert.deepEqual(
          (await store.listAlerts({ day: '2026-12-01', undelivered: true })).map((recorded) => recorded.key),
          ['b'],
        );
        assert.deepEqual(
          (await store.listAlerts({ limit: 1 })).map((recorded) => recorded.key),
          ['c'],
        );
        await assert.rejects(
          () => store.recordAlerts([alert('x', '1 Dec')], '2026-12-01T10:00:00Z'),
          /YYYY-MM-DD/,
        );
        await assert.rejects(
          () => store.recordAlerts([{ ...alert('y'), rule: 'made_up' as never }], '2026-12-01T10:00:00Z'),
          /unknown rule "made_up"/,
        );
      } finally {
        await store.close();
      }
    });

    test("a day's cost is summed by the database over the calls recorded that UTC day; unknown costs add nothing", async () => {
      const store = await openTestStore(engine);
      try {
        assert.equal(await store.dailyCost('2026-12-01'), 0);
        const calls = [
          { callId: 'w/a/1', costUsd: 0.25, recordedAt: '2026-12-01T00:00:00.000Z' },
          { callId: 'w/b/1', costUsd: 0.5, recordedAt: '2026-12-01T23:59:59.999Z' },
          { callId: 'w/c/1', costUsd: undefined, recordedAt: '2026-12-01T12:00:00.000Z' },
          { callId: 'w/d/1', costUsd: 4, recordedAt: '2026-12-02T00:00:00.000Z' },
        ];
        for (const call of calls) {
          const { costUsd, ...rest } = makeRecord({ ...call, workflowId: 'w' });
          await store.recordUsage(call.costUsd === undefined ? rest : { ...rest, costUsd });
        }
        assert.equal(await store.dailyCost('2026-12-01'), 0.75);
        assert.equal(await store.dailyCost('2026-12-02'), 4);
        assert.equal(await store.dailyCost('2026-12-01'), (await store.dailyReport('2026-12-01')).costUsd);
      } finally {
        await store.close();
      }
    });

    test("a day's report is stored once per day, replaced by a later run, and its summary is sent once", async () => {
      const store = await openTestStore(engine);
      try {
        const report = {
          day: '2026-12-01',
          workflowId: 'daily-report-1',
          createdAt: '2026-12-02T00:15:00Z',
          summary: 'one run',
          markdown: '# one run',
          html: '<html>one run</html>',
        };
        assert.equal(await store.getReport('2026-12-01'), undefined);
        assert.equal(await store.markReportSummarySent('2026-12-01', '2026-12-02T00:16:00Z'), false);
        await store.saveReport(report);
        assert.deepEqual(await store.getReport('2026-12-01'), {
          ...report,
          createdAt: '2026-12-02T00:15:00.000Z',
        });
        assert.equal(await store.markReportSummarySent('2026-12-01', '2026-12-02T00:16:00Z'), true);
        assert.equal(await store.markReportSummarySent('2026-12-01', '2026-12-02T00:17:00Z'), false);
        await store.saveReport({
          ...report,
          workflowId: 'daily-report-2',
          summary: 'two runs',
          createdAt: '2026-12-02T08:00:00Z',
        });
        const replaced = await store.getReport('2026-12-01');
        assert.equal(replaced?.summary, 'two runs');
        assert.equal(replaced?.summarySentAt, '2026-12-02T00:16:00.000Z', 'a sent summary stays sent');
        await store.saveReport({ ...report, day: '2026-11-30', summary: 'older' });
        assert.deepEqual(await store.listReports(5), [
          { day: '2026-12-01', createdAt: '2026-12-02T08:00:00.000Z', summary: 'two runs' },
          { day: '2026-11-30', createdAt: '2026-12-02T00:15:00.000Z', summary: 'older' },
        ]);
        await assert.rejects(() => store.getReport('yesterday'), /YYYY-MM-DD/);
      } finally {
        await store.close();
      }
    });
  });
}
