import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { parseAnalysisArguments } from './analysis-arguments';
import { parseBacktestArguments } from './backtest-arguments';
import { tokensFlag } from './raise-arguments';
import { compareCommand } from './commands/compare';
import { renderProgress } from './render-report';

const folder = mkdtempSync(path.join(tmpdir(), 'tokenflow-flags-'));
after(() => rmSync(folder, { recursive: true, force: true }));
const config = path.join(folder, 'tokenflow.config.json');
writeFileSync(
  config,
  JSON.stringify({ pools: { team: { tokensPerPeriod: 2000000, period: 'day', onExhausted: 'pause' } } }),
);

test('--pool and --on-exhausted reach an analysis and a backtest; a wrong value is one sentence', () => {
  const parsed = parseAnalysisArguments(
    ['SPX', '--date', '2020-04-17', '--pool', 'team', '--config', config],
    'usage',
  );
  assert.deepEqual(parsed.policy, { pool: 'team' });
  const backtest = parseBacktestArguments([
    'SPX',
    '--from',
    '2020-01-06',
    '--to',
    '2020-02-03',
    '--mode',
    'both',
    '--pool',
    'team',
    '--on-exhausted',
    'degrade',
    '--config',
    config,
  ]);
  assert.equal(backtest.input.settings.optimized?.pool, 'team');
  assert.equal(backtest.input.settings.baseline?.pool, 'team');
  // A pooled baseline run reserves a bounded share of the pool, not the A/B's million tokens.
  assert.equal(backtest.input.settings.baseline?.hardCap, 250_000);
  assert.equal(backtest.input.settings.optimized?.onExhausted, undefined);
  assert.throws(
    () =>
      parseAnalysisArguments(
        ['SPX', '--date', '2020-04-17', '--on-exhausted', 'wait', '--config', config],
        'usage',
      ),
    /--on-exhausted must be degrade or pause \(got "wait"\)/,
  );
});

test('--raise takes a positive whole number of tokens', () => {
  assert.equal(tokensFlag('5000', '--raise'), 5000);
  for (const value of ['-5', '0', '1.5', 'lots', undefined])
    assert.throws(() => tokensFlag(value, '--raise'), /--raise must be a positive whole number of tokens/);
});

test('a paused run says so, and why, in its status line', () => {
  const progress = {
    phase: 'trader' as const,
    currentAgents: ['trader' as const],
    completedCalls: 6,
    plannedCalls: 12,
    tokensSpent: 8000,
    hardCap: 9000,
    costUsd: 0.001,
    degradations: [],
    budgetStatus: 'within' as const,
  };
  assert.doesNotMatch(renderProgress(progress), /PAUSED/);
  assert.match(
    renderProgress({ ...progress, paused: ['trader round 1: only 40 response tokens left'] }),
    /PAUSED: trader round 1: only 40 response tokens left$/,
  );
});

test('compare refuses --pool and --on-exhausted rather than ignoring them', async () => {
  await assert.rejects(
    compareCommand(['SPX', '--date', '2020-04-17', '--pool', 'team', '--config', config]),
    /^Error: compare runs both modes on budgets of their own: --pool is for analyze and backtest\.$/,
  );
  await assert.rejects(
    compareCommand(['SPX', '--date', '2020-04-17', '--on-exhausted=pause', '--config', config]),
    /--on-exhausted is for analyze and backtest/,
  );
});
