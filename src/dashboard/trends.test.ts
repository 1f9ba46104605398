import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { costPerDayChart, tokensPerDayChart } from './charts';
import { baselineComparison, dailySeries, trendWindow } from './trends';

describe('trends', () => {
  test('the window is the last N UTC days, today included, and the day after as exclusive bound', () => {
    const window = trendWindow(new Date('2026-03-02T23:30:00-05:00'), 3);
    assert.deepEqual(window, {
      days: ['2026-03-01', '2026-03-02', '2026-03-03'],
      since: '2026-03-01',
      until: '2026-03-04',
    });
  });

  const rows = [
    { day: '2026-03-01', mode: 'baseline' as const, runs: 2, totalTokens: 400_000, costUsd: 0.2 },
    { day: '2026-03-01', mode: 'optimized' as const, runs: 1, totalTokens: 30_000, costUsd: 0.01 },
    { day: '2026-03-03', mode: 'optimized' as const, runs: 3, totalTokens: 90_000, costUsd: 0.05 },
    { day: '2026-02-01', mode: 'optimized' as const, runs: 9, totalTokens: 9, costUsd: 9 },
  ];

  test('series have one value per day and mode, 0 on days without runs, rows outside the window left out', () => {
    const series = dailySeries(rows, ['2026-03-01', '2026-03-02', '2026-03-03']);
    assert.deepEqual(series.totalTokens, { optimized: [30_000, 0, 90_000], baseline: [400_000, 0, 0] });
    assert.deepEqual(series.runs, { optimized: [1, 0, 3], baseline: [2, 0, 0] });
    assert.deepEqual(
      tokensPerDayChart(series).data.datasets.map((dataset) => dataset.data),
      [
        [30_000, 0, 90_000],
        [400_000, 0, 0],
      ],
    );
    assert.deepEqual(costPerDayChart(series).data.labels, series.days);
  });

  test('reduction compares tokens and cost per run, not totals', () => {
    const comparison = baselineComparison(rows.slice(0, 3));
    assert.equal(comparison.optimized?.tokensPerRun, 30_000);
    assert.equal(comparison.baseline?.tokensPerRun, 200_000);
    assert.equal(comparison.tokenReduction, 0.85);
    assert.ok(Math.abs((comparison.costReduction ?? 0) - (1 - 0.015 / 0.1)) < 1e-12);
  });

  test('no baseline runs: no reduction', () => {
    const comparison = baselineComparison(rows.slice(1, 3));
    assert.equal(comparison.baseline, undefined);
    assert.equal(comparison.tokenReduction, undefined);
    assert.equal(comparison.costReduction, undefined);
  });
});
