import { parseArgs } from 'node:util';
import { budgetPolicy, buildAnalysisRequest, buildComparisonSettings } from '../config/run-settings';
import { RUN_FLAGS, budgetPolicyFlags, loadRunConfig } from './analysis-arguments';
import type { AppConfig } from '../config/schema';
import { BACKTEST_EVERY, type BacktestEvery } from '../core/backtest';
import { minimumUsefulTokens } from '../core/budget';
import type { PipelineMode } from '../core/types';
import type { BacktestInput } from '../workflows/backtest-workflow';

export const BACKTEST_USAGE =
  'tokenflow backtest <TICKER> --from YYYY-MM-DD --to YYYY-MM-DD [--every day|week|month] [--concurrency N] [--budget N] [--run-budget N] [--mode optimized|baseline|both] [--pool NAME] [--on-exhausted degrade|pause] [--debate-rounds N] [--risk-rounds N] [--json] [--no-worker] [--data-folder DIR] [--config FILE] [--workflow-id ID]\n  tokenflow backtest --stop <workflowId> [--reason TEXT]';

/**
 * What a baseline run of a backtest may reserve from a batch budget: above the 218,130 tokens the origin project
 * spent per run, so it does not bind, yet bounded, so a batch budget is shared among runs in flight.
 */
export const BACKTEST_BASELINE_RUN_CAP = 250_000;

/** Most runs in flight at once. */
export const MAXIMUM_BACKTEST_CONCURRENCY = 50;

export interface BacktestArguments {
  config: AppConfig;
  input: BacktestInput;
  json: boolean;
  noWorker: boolean;
  workflowId?: string;
}

function positiveInteger(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) {
    throw new Error(`${flag} must be a positive whole number (got "${value}").`);
  }
  return parsed;
}

/** Parses the backtest's flags: one clear sentence per mistake, before anything starts. */
export function parseBacktestArguments(argv: string[]): BacktestArguments {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      every: { type: 'string', default: 'week' },
      concurrency: { type: 'string' },
      budget: { type: 'string' },
      'run-budget': { type: 'string' },
      mode: { type: 'string', default: 'optimized' },
      ...RUN_FLAGS,
    },
  });
  if (positionals.length !== 1) throw new Error(`Give exactly one ticker: ${BACKTEST_USAGE}`);
  const config = loadRunConfig(values);
  const rounds = (value: string | undefined) => (value === undefined ? undefined : Number(value));
  // The ticker, dates and rounds are checked as an analysis checks them.
  const first = buildAnalysisRequest({
    ticker: positionals[0],
    date: values.from,
    researchRounds: rounds(values['debate-rounds']),
    riskRounds: rounds(values['risk-rounds']),
    defaults: config.debate,
  });
  const last = buildAnalysisRequest({ ticker: positionals[0], date: values.to, defaults: config.debate });
  if (first.date > last.date) {
    throw new Error(`--from ${first.date} is after --to ${last.date}.`);
  }
  const every = values.every as BacktestEvery;
  if (!(BACKTEST_EVERY as readonly string[]).includes(every)) {
    throw new Error(`--every must be one of ${BACKTEST_EVERY.join(', ')} (got "${values.every}").`);
  }
  const modes: PipelineMode[] =
    values.mode === 'both'
      ? ['baseline', 'optimized']
      : values.mode === 'optimized' || values.mode === 'baseline'
        ? [values.mode]
        : [];
  if (modes.length === 0) {
    throw new Error(`--mode must be optimized, baseline or both (got "${values.mode}").`);
  }
  const concurrency = positiveInteger(values.concurrency, '--concurrency') ?? 2;
  if (concurrency > MAXIMUM_BACKTEST_CONCURRENCY) {
    throw new Error(`--concurrency must be at most ${MAXIMUM_BACKTEST_CONCURRENCY} (got ${concurrency}).`);
  }
  const budgetTokens = positiveInteger(values.budget, '--budget');
  const runBudget = positiveInteger(values['run-budget'], '--run-budget');
  const { optimized, baseline } = buildComparisonSettings(config, { budget: runBudget });
  const policy = budgetPolicy(config, budgetPolicyFlags(values, config));
  // A baseline run under a batch budget or a pool reserves a bounded share of it.
  if (budgetTokens !== undefined || policy.pool !== undefined)
    baseline.hardCap = Math.min(baseline.hardCap, BACKTEST_BASELINE_RUN_CAP);
  Object.assign(optimized, policy);
  Object.assign(baseline, policy);
  const settings = { optimized, baseline };
  return {
    config,
    input: {
      ticker: first.ticker,
      from: first.date,
      to: last.date,
      every,
      modes,
      concurrency,
      ...(budgetTokens === undefined ? {} : { budgetTokens }),
      // A run with less than a quarter of its cap would mostly degrade: such a date is skipped instead.
      minimumRunTokens: minimumUsefulTokens(optimized.hardCap),
      settings: Object.fromEntries(modes.map((mode) => [mode, settings[mode]])),
      researchRounds: first.researchRounds,
      riskRounds: first.riskRounds,
    },
    json: values.json,
    noWorker: values['no-worker'],
    ...(values['workflow-id'] === undefined ? {} : { workflowId: values['workflow-id'] }),
  };
}
