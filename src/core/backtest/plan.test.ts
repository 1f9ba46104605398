import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PriceBar } from '../types';
import { BacktestPlanError, planBacktestDates, type BacktestDate } from './plan';

const DAY = 86_400_000;

function bar(date: string, close: number): PriceBar {
  return { date, open: close, high: close, low: close, close };
}

/** One bar per day from `first` to `last` (weekends left out unless asked), closes 100, 101, 102, ... */
function dailyBars(
  first: string,
  last: string,
  options: { weekends?: boolean; skip?: string[] } = {},
): PriceBar[] {
  const bars: PriceBar[] = [];
  for (let time = Date.parse(`${first}T00:00:00Z`); time <= Date.parse(`${last}T00:00:00Z`); time += DAY) {
    const date = new Date(time).toISOString().slice(0, 10);
    const weekday = new Date(time).getUTCDay();
    if (!options.weekends && (weekday === 0 || weekday === 6)) continue;
    if (options.skip?.includes(date)) continue;
    bars.push(bar(date, 100 + bars.length));
  }
  return bars;
}

/** One bar per month, dated at month end, closes 50, 60, 70, ... */
function monthlyBars(months: string[]): PriceBar[] {
  return months.map((month, index) => {
    const [year, monthNumber] = month.split('-').map(Number) as [number, number];
    return bar(new Date(Date.UTC(year, monthNumber, 0)).toISOString().slice(0, 10), 50 + 10 * index);
  });
}

function closeOf(bars: readonly PriceBar[], date: string): number {
  const found = bars.find((candidate) => candidate.date === date);
  assert.ok(found, `no bar on ${date}`);
  return found.close;
}

function planError(run: () => unknown): BacktestPlanError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof BacktestPlanError, `expected a BacktestPlanError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the plan to fail');
}

function datesOf(plan: readonly BacktestDate[]): string[] {
  return plan.map((date) => date.date);
}

// 2024-01-01 is a Monday.
const january = dailyBars('2024-01-01', '2024-03-29', { skip: ['2024-01-12'] });

describe('planBacktestDates on daily bars', () => {
  test('every day: each bar in range, the return to the next bar, the last one to the bar after the range', () => {
    const plan = planBacktestDates(january, { from: '2024-01-06', to: '2024-01-10', every: 'day' });
    assert.deepEqual(datesOf(plan), ['2024-01-08', '2024-01-09', '2024-01-10']);
    assert.deepEqual(plan[0], {
      date: '2024-01-08',
      close: 105,
      nextDate: '2024-01-09',
      nextClose: 106,
      forwardReturn: 106 / 105 - 1,
    });
    assert.equal(plan[2]?.nextDate, '2024-01-11');
    assert.equal(plan[2]?.forwardReturn, 108 / 107 - 1);
  });

  test('every week: the last bar of each ISO week, a Thursday when the Friday has no bar', () => {
    const plan = planBacktestDates(january, { from: '2024-01-03', to: '2024-01-31', every: 'week' });
    assert.deepEqual(datesOf(plan), ['2024-01-05', '2024-01-11', '2024-01-19', '2024-01-26']);
    assert.equal(plan[1]?.nextDate, '2024-01-19');
    assert.equal(plan[1]?.forwardReturn, closeOf(january, '2024-01-19') / closeOf(january, '2024-01-11') - 1);
    // The week of 2024-01-29 ends on Friday 2024-02-02, after the range: not a date, but the last date's next.
    assert.equal(plan[3]?.nextDate, '2024-02-02');
  });

  test('every week: a range ending mid-week leaves that week out; one starting mid-week keeps it', () => {
    const plan = planBacktestDates(january, { from: '2024-01-04', to: '2024-01-17', every: 'week' });
    assert.deepEqual(datesOf(plan), ['2024-01-05', '2024-01-11']);
  });

  test('weeks run Monday to Sunday: with weekend bars the Sunday closes the week', () => {
    const everyDay = dailyBars('2024-01-01', '2024-01-31', { weekends: true });
    const plan = planBacktestDates(everyDay, { from: '2024-01-01', to: '2024-01-21', every: 'week' });
    assert.deepEqual(datesOf(plan), ['2024-01-07', '2024-01-14', '2024-01-21']);
    assert.equal(plan[2]?.nextDate, '2024-01-28');
  });

  test('every month: the last bar of each calendar month, across a year end', () => {
    const bars = dailyBars('2023-11-01', '2024-02-29');
    const plan = planBacktestDates(bars, { from: '2023-11-15', to: '2024-01-31', every: 'month' });
    assert.deepEqual(datesOf(plan), ['2023-11-30', '2023-12-29', '2024-01-31']);
    assert.equal(plan[1]?.nextDate, '2024-01-31');
    assert.equal(plan[1]?.forwardReturn, closeOf(bars, '2024-01-31') / closeOf(bars, '2023-12-29') - 1);
    assert.equal(plan[2]?.nextDate, '2024-02-29');
  });

  test('the last date has no return when the data ends with it', () => {
    const plan = planBacktestDates(january, { from: '2024-03-01', to: '2024-03-31', every: 'week' });
    assert.equal(plan.at(-1)?.date, '2024-03-29');
    assert.deepEqual(plan.at(-1), { date: '2024-03-29', close: closeOf(january, '2024-03-29') });
  });

  test('data that stops mid-week or mid-month has not finished that period: its last bar is not a close of one', () => {
    const stopsWednesday = dailyBars('2024-01-01', '2024-01-17');
    const weekly = planBacktestDates(stopsWednesday, { from: '2024-01-01', to: '2024-01-31', every: 'week' });
    assert.deepEqual(datesOf(weekly), ['2024-01-05', '2024-01-12']);
    assert.equal(weekly[1]?.forwardReturn, undefined);
    const stopsMidMonth = dailyBars('2024-01-01', '2024-02-16');
    const monthly = planBacktestDates(stopsMidMonth, {
      from: '2024-01-01',
      to: '2024-02-29',
      every: 'month',
    });
    assert.deepEqual(monthly, [{ date: '2024-01-31', close: closeOf(stopsMidMonth, '2024-01-31') }]);
    // Every bar is its own day, so the last one is a date.
    assert.equal(
      planBacktestDates(stopsMidMonth, { from: '2024-02-16', to: '2024-02-16', every: 'day' }).length,
      1,
    );
  });
});

describe('planBacktestDates on monthly bars', () => {
  const bars = monthlyBars(['2009-10', '2009-11', '2009-12', '2010-01', '2010-02', '2010-03']);

  test('every day, week or month: each bar is a date, the return running to the next month', () => {
    for (const every of ['day', 'week', 'month'] as const) {
      const plan = planBacktestDates(bars, { from: '2009-11-01', to: '2010-01-31', every });
      assert.deepEqual(datesOf(plan), ['2009-11-30', '2009-12-31', '2010-01-31'], every);
      assert.equal(plan[0]?.forwardReturn, 70 / 60 - 1, every);
      assert.equal(plan[2]?.nextDate, '2010-02-28', every);
    }
  });

  test("the data's last month ends its own period", () => {
    const plan = planBacktestDates(bars, { from: '2010-03-01', to: '2010-03-31', every: 'week' });
    assert.deepEqual(plan, [{ date: '2010-03-31', close: 100 }]);
  });
});

describe('planBacktestDates refuses what it cannot plan, in one sentence', () => {
  test('dates that are not YYYY-MM-DD, and from after to', () => {
    assert.match(
      planError(() => planBacktestDates(january, { from: '2024-02-30', to: '2024-03-01', every: 'day' }))
        .message,
      /^--from "2024-02-30" is not a date: write a real calendar date as YYYY-MM-DD/,
    );
    assert.match(
      planError(() => planBacktestDates(january, { from: '2024-01-01', to: '1/3/2024', every: 'day' }))
        .message,
      /^--to "1\/3\/2024"/,
    );
    assert.equal(
      planError(() => planBacktestDates(january, { from: '2024-02-01', to: '2024-01-01', every: 'day' }))
        .message,
      '--from 2024-02-01 is after --to 2024-01-01: give the earlier date first.',
    );
  });

  test("a range outside the data names the data's coverage", () => {
    assert.equal(
      planError(() => planBacktestDates(january, { from: '2023-01-01', to: '2023-12-31', every: 'week' }))
        .message,
      'No price bars lie between 2023-01-01 and 2023-12-31: the data covers 2024-01-01 to 2024-03-29; pick a range inside it.',
    );
    assert.match(
      planError(() => planBacktestDates([], { from: '2024-01-01', to: '2024-01-31', every: 'day' })).message,
      /no price bars/,
    );
  });

  test('a range inside one week asks for a wider range or a finer --every', () => {
    assert.match(
      planError(() => planBacktestDates(january, { from: '2024-01-08', to: '2024-01-10', every: 'week' }))
        .message,
      /^No week ends between 2024-01-08 and 2024-01-10 \(the data covers 2024-01-01 to 2024-03-29\): widen the range/,
    );
  });

  test('more dates than the limit suggests a narrower range or a coarser --every', () => {
    const years = dailyBars('2020-01-01', '2023-12-31');
    const error = planError(() =>
      planBacktestDates(years, { from: '2020-01-01', to: '2023-12-31', every: 'day' }),
    );
    assert.match(
      error.message,
      /^Every day from 2020-01-01 to 2023-12-31 makes 1,043 analysis dates, more than the limit of 250: narrow the range or use a coarser --every\.$/,
    );
    assert.equal(
      planBacktestDates(years, { from: '2020-01-01', to: '2023-12-31', every: 'week' }).length,
      209,
    );
    assert.match(
      planError(() =>
        planBacktestDates(years, { from: '2020-01-01', to: '2023-12-31', every: 'month', maximumDates: 12 }),
      ).message,
      /makes 48 analysis dates, more than the limit of 12: narrow the range\.$/,
    );
  });
});
