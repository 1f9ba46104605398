import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load-config';
import { buildAnalysisRequest, type BudgetPolicyOverrides } from '../config/run-settings';
import { ON_EXHAUSTED, type OnExhausted } from '../core/pool';
import type { AppConfig } from '../config/schema';
import type { AnalysisRequest } from '../core/run-types';

/** Flags of every command that starts runs: `analyze`, `compare` and `backtest`. */
export const RUN_FLAGS = {
  'debate-rounds': { type: 'string' },
  'risk-rounds': { type: 'string' },
  json: { type: 'boolean', default: false },
  'no-worker': { type: 'boolean', default: false },
  'data-folder': { type: 'string' },
  config: { type: 'string' },
  'workflow-id': { type: 'string' },
  pool: { type: 'string' },
  'on-exhausted': { type: 'string' },
} as const;

/** Flags shared by `tokenflow analyze` and `tokenflow compare`. */
const ANALYSIS_OPTIONS = {
  date: { type: 'string' },
  budget: { type: 'string' },
  mode: { type: 'string' },
  ...RUN_FLAGS,
} as const;

/** The config a run command uses: `--config` (or the usual places), with `--data-folder` as its data source. */
export function loadRunConfig(values: { config?: string; 'data-folder'?: string }): AppConfig {
  return loadConfig({
    file: values.config,
    overrides: values['data-folder']
      ? { dataSource: { kind: 'folder', folder: values['data-folder'] } }
      : undefined,
  });
}

/**
 * `--pool` and `--on-exhausted` as run overrides: the pool defaults to `budgets.pool`; `--on-exhausted` must be
 * degrade or pause.
 */
export function budgetPolicyFlags(
  values: { pool?: string; 'on-exhausted'?: string },
  config: AppConfig,
): BudgetPolicyOverrides {
  const onExhausted = values['on-exhausted'];
  if (onExhausted !== undefined && !(ON_EXHAUSTED as readonly string[]).includes(onExhausted)) {
    throw new Error(`--on-exhausted must be ${ON_EXHAUSTED.join(' or ')} (got "${onExhausted}").`);
  }
  const pool = values.pool ?? config.budgets.pool;
  return {
    ...(pool !== undefined ? { pool } : {}),
    ...(onExhausted !== undefined ? { onExhausted: onExhausted as OnExhausted } : {}),
  };
}

function integerFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new Error(`${flag} must be a whole number (got "${value}").`);
  return parsed;
}

export interface AnalysisArguments {
  config: AppConfig;
  request: AnalysisRequest;
  budget?: number;
  json: boolean;
  noWorker: boolean;
  workflowId?: string;
  /** The pool and what to do when the budget runs out (`--pool`, `--on-exhausted`). */
  policy: BudgetPolicyOverrides;
}

/** Parses and validates the ticker, date and run flags: one clear sentence per mistake, before anything starts. */
export function parseAnalysisArguments(argv: string[], usage: string): AnalysisArguments {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: ANALYSIS_OPTIONS,
  });
  if (positionals.length !== 1) throw new Error(`Give exactly one ticker: ${usage}`);
  const config = loadRunConfig(values);
  const request = buildAnalysisRequest({
    ticker: positionals[0],
    date: values.date,
    mode: values.mode,
    researchRounds: integerFlag(values['debate-rounds'], '--debate-rounds'),
    riskRounds: integerFlag(values['risk-rounds'], '--risk-rounds'),
    defaults: config.debate,
  });
  const budget = integerFlag(values.budget, '--budget');
  if (budget !== undefined && budget <= 0)
    throw new Error(`--budget must be a positive number of tokens (got ${budget}).`);
  return {
    config,
    request,
    budget,
    json: values.json,
    noWorker: values['no-worker'],
    workflowId: values['workflow-id'],
    policy: budgetPolicyFlags(values, config),
  };
}
