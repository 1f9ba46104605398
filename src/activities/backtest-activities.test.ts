import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { BacktestEntry, BacktestReport } from '../core/backtest';
import { vegaDatasetsDataDirectory } from '../data/paths';
import type { MarketDataProvider } from '../data/provider';
import { createSampleProvider } from '../data/sample-provider';
import { openUsageStore, type UsageStore } from '../storage/usage-store';
import {
  createBacktestActivities,
  type BacktestActivities,
  type PlanBacktestInput,
  type PlannedBacktest,
  type WrittenBacktestReport,
} from './backtest-activities';

/** An activity environment that logs only errors: the expected failures below would otherwise flood the output. */
function environment(): MockActivityEnvironment {
  return new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => assert.fail('expected the activity to fail'),
    (error: unknown) => error,
  );
}

/** SPX closes straight from the vega-datasets file, rounded to cents as the sample provider does. */
function rawSp500Close(date: string): number {
  const lines = readFileSync(path.join(vegaDatasetsDataDirectory(), 'sp500-2000.csv'), 'utf8').split('\n');
  const line = lines.find((candidate) => candidate.startsWith(`${date},`));
  assert.ok(line, `no SPX row on ${date}`);
  return Math.round(Number(line.split(',')[4]) * 100) / 100;
}

function plan(activities: BacktestActivities, input: PlanBacktestInput): Promise<PlannedBacktest> {
  return environment().run(activities.planBacktest, input) as Promise<PlannedBacktest>;
}

function writeReport(
  activities: BacktestActivities,
  input: Omit<BacktestReport, 'generatedAt' | 'summary'>,
): Promise<WrittenBacktestReport> {
  return environment().run(activities.writeBacktestReport, input) as Promise<WrittenBacktestReport>;
}

const NOW = new Date('2024-05-01T12:00:00.000Z');

describe('backtest activities', () => {
  let store: UsageStore;
  let folder: string;
  let activities: BacktestActivities;

  before(async () => {
    store = await openUsageStore(':memory:');
    folder = mkdtempSync(path.join(tmpdir(), 'tokenflow-backtest-'));
    activities = createBacktestActivities({
      provider: createSampleProvider(),
      store,
      reportsDirectory: path.join(folder, 'reports', 'nested'),
      now: () => NOW,
    });
  });

  after(async () => {
    await store.close();
    rmSync(folder, { recursive: true, force: true });
  });

  test('plans SPX weekly over 2019 Q1: the Friday closes, each scored on the next Friday', async () => {
    const planned = await plan(activities, {
      ticker: ' spx ',
      from: '2019-01-01',
      to: '2019-03-31',
      every: 'week',
    });
    assert.equal(planned.ticker, 'SPX');
    assert.equal(planned.frequency, 'daily');
    assert.equal(planned.dates.length, 13);
    assert.equal(planned.dates[0]?.date, '2019-01-04');
    assert.equal(planned.dates[0]?.nextDate, '2019-01-11');
    // Good Friday was 2019-04-19; in Q1 every week ends on a Friday.
    const last = planned.dates.at(-1);
    assert.deepEqual(
      [last?.date, last?.close, last?.nextDate, last?.nextClose],
      ['2019-03-29', rawSp500Close('2019-03-29'), '2019-04-05', rawSp500Close('2019-04-05')],
    );
    assert.equal(last?.forwardReturn, rawSp500Close('2019-04-05') / rawSp500Close('2019-03-29') - 1);
    assert.ok(Buffer.byteLength(JSON.stringify(planned)) < 5_000);
  });

  test('an unknown ticker keeps its data failure type, a plan that cannot be made is InvalidBacktest', async () => {
    const unknown = await failureOf(
      plan(activities, {
        ticker: 'xyz',
        from: '2019-01-01',
        to: '2019-03-31',
        every: 'week',
      }),
    );
    assert.ok(unknown instanceof ApplicationFailure);
    assert.deepEqual([unknown.type, unknown.nonRetryable], ['UnknownTicker', true]);
    assert.match(unknown.message, /^Unknown ticker "XYZ": the bundled sample has SPX/);

    const invalid = await failureOf(
      plan(activities, {
        ticker: 'SPX',
        from: '2021-01-01',
        to: '2021-03-31',
        every: 'week',
      }),
    );
    assert.ok(invalid instanceof ApplicationFailure);
    assert.deepEqual([invalid.type, invalid.nonRetryable], ['InvalidBacktest', true]);
    assert.match(invalid.message, /the data covers 2000-01-03 to 2020-04-17/);

    const tooMany = await failureOf(
      plan(activities, {
        ticker: 'AAPL',
        from: '2005-01-01',
        to: '2009-12-31',
        every: 'month',
        maximumDates: 24,
      }),
    );
    assert.ok(tooMany instanceof ApplicationFailure);
    assert.equal(tooMany.type, 'InvalidBacktest');
    assert.match(tooMany.message, /makes 60 analysis dates, more than the limit of 24/);
  });

  test('a read error stays retryable', async () => {
    const failing: MarketDataProvider = {
      label: 'failing',
      listTickers: () => Promise.resolve([]),
      load: () => Promise.reject(new Error('disk unavailable')),
      priceHistory: () => Promise.reject(new Error('disk unavailable')),
    };
    const failure = await failureOf(
      plan(createBacktestActivities({ provider: failing, store, reportsDirectory: folder }), {
        ticker: 'SPX',
        from: '2019-01-01',
        to: '2019-03-31',
        every: 'week',
      }),
    );
    assert.ok(!(failure instanceof ApplicationFailure));
    assert.match(String(failure), /disk unavailable/);
  });

  test("writes the report as markdown and JSON, with failed runs' tokens and cost from the ledger", async () => {
    const run = (workflowId: string, totalTokens: number, costUsd?: number) =>
      store.recordRun({
        workflowId,
        ticker: 'SPX',
        date: '2019-01-11',
        mode: 'optimized',
        totalTokens,
        ...(costUsd === undefined ? {} : { costUsd }),
        budgetStatus: 'failed',
        startedAt: '2024-05-01T11:00:00.000Z',
      });
    await run('bt/1-2019-01-11-optimized', 12_345, 0.0037);
    await run('bt/1-2019-01-18-optimized', 30_000, 0.009);
    await run('bt/1-2019-01-04-optimized', 99_999, 1);
    const entries: BacktestEntry[] = [
      {
        date: '2019-01-04',
        mode: 'optimized',
        workflowId: 'bt/1-2019-01-04-optimized',
        status: 'completed',
        decision: 'BUY',
        forwardReturn: 0.0254,
        totalTokens: 40_000,
        costUsd: 0.012,
      },
      {
        date: '2019-01-11',
        mode: 'optimized',
        workflowId: 'bt/1-2019-01-11-optimized',
        status: 'failed',
        forwardReturn: 0.0288,
        totalTokens: 0,
        reason: 'RateLimited',
      },
      {
        date: '2019-01-18',
        mode: 'optimized',
        workflowId: 'bt/1-2019-01-18-optimized',
        status: 'cancelled',
        totalTokens: 30_000,
      },
      {
        date: '2019-01-25',
        mode: 'optimized',
        workflowId: 'bt/1-2019-01-25-optimized',
        status: 'failed',
        totalTokens: 0,
        reason: 'not in the ledger',
      },
    ];
    const written = await writeReport(activities, {
      backtestId: 'bt/1:spx',
      ticker: 'SPX',
      from: '2019-01-01',
      to: '2019-01-31',
      every: 'week',
      budgetTokens: 500_000,
      entries,
    });

    assert.equal(written.markdownPath, path.join(folder, 'reports', 'nested', 'backtest-bt_1_spx.md'));
    assert.equal(written.jsonPath, path.join(folder, 'reports', 'nested', 'backtest-bt_1_spx.json'));
    const report = JSON.parse(readFileSync(written.jsonPath, 'utf8')) as BacktestReport;
    assert.equal(report.generatedAt, NOW.toISOString());
    assert.equal(report.backtestId, 'bt/1:spx');
    assert.equal(report.budgetTokens, 500_000);
    assert.deepEqual(
      report.entries.map((entry) => [entry.status, entry.totalTokens, entry.costUsd]),
      [
        // A completed run keeps what the workflow knew.
        ['completed', 40_000, 0.012],
        ['failed', 12_345, 0.0037],
        ['cancelled', 30_000, 0.009],
        ['failed', 0, undefined],
      ],
    );
    assert.deepEqual(report.summary, written.summary);
    assert.equal(written.summary.modes.optimized?.totalTokens, 82_345);
    assert.deepEqual(
      [written.summary.modes.optimized?.scored, written.summary.modes.optimized?.hits],
      [1, 1],
    );

    const markdown = readFileSync(written.markdownPath, 'utf8');
    assert.match(markdown, /^# Backtest of SPX, 2019-01-01 to 2019-01-31, every week\n/);
    assert.match(
      markdown,
      /^\| 2019-01-11 \| optimized \| – \| \+2\.88% \| – \| 12,345 \| \$0\.0037 \| failed: RateLimited \|$/m,
    );
  });
});
