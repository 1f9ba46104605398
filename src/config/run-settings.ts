import type { OnExhausted, PoolDefinition } from '../core/pool';
import type { AnalysisRequest, RunSettings } from '../core/run-types';
import type { AppConfig } from './schema';

export interface RunOverrides extends BudgetPolicyOverrides {
  budget?: number;
  maxResponseTokens?: number;
  useCalibration?: boolean;
}

export interface BudgetPolicyOverrides {
  /** The token pool to draw on (`--pool`); it must be defined under `pools`. */
  pool?: string;
  /** `--on-exhausted`; otherwise the pool's, then `budgets.onExhausted`. */
  onExhausted?: OnExhausted;
}

const SECONDS_PER_UNIT = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** Seconds of a duration such as `30m` or `24h` (the config's format). */
export function durationSeconds(duration: string): number {
  const match = /^(\d+)([smhd])$/.exec(duration);
  if (!match) throw new Error(`A duration looks like 30m, 1h or 24h (got "${duration}").`);
  return Number(match[1]) * SECONDS_PER_UNIT[match[2] as keyof typeof SECONDS_PER_UNIT];
}

/** The pool and exhaustion settings of a run: validated against the config's pools. */
export function budgetPolicy(config: AppConfig, overrides: BudgetPolicyOverrides): Partial<RunSettings> {
  const pool = overrides.pool;
  if (pool !== undefined) poolDefinitionOf(config, pool);
  const onExhausted =
    overrides.onExhausted ??
    (pool !== undefined ? config.pools[pool]?.onExhausted : undefined) ??
    config.budgets.onExhausted;
  return {
    ...(pool !== undefined ? { pool } : {}),
    ...(onExhausted === 'pause'
      ? { onExhausted, pauseTimeoutSeconds: durationSeconds(config.budgets.pauseTimeout) }
      : {}),
  };
}

/**
 * Task queue of the invoke activity: the local model's one-slot queue, or for an OpenAI-compatible endpoint
 * `<taskQueue>-llm`, whose workers cap concurrent calls and whose rate limit Temporal enforces per endpoint.
 */
export function invokeTaskQueue(config: AppConfig): string {
  return config.provider === 'local'
    ? config.temporal.localModelTaskQueue
    : `${config.temporal.taskQueue}-llm`;
}

/** The workflow argument's settings, resolved from config: everything a run needs and no secrets. */
export function buildRunSettings(config: AppConfig, overrides: RunOverrides = {}): RunSettings {
  const model = config.models[config.model];
  if (!model) throw new Error(`Model "${config.model}" has no entry under models in the config.`);
  return {
    hardCap: overrides.budget ?? config.tokens.maxTotalTokens,
    maxPromptTokens: config.tokens.maxPromptTokens,
    digestWords: config.tokens.digestWords,
    repetitionWindowWords: config.tokens.repetitionWindowWords,
    maxResponseTokens: overrides.maxResponseTokens ?? config.tokens.maxResponseTokens,
    sharedLines: { ...config.sharedLines },
    agents: Object.fromEntries(
      Object.entries(config.agents).map(([name, agent]) => [
        name,
        { wordLimit: agent.wordLimit, allocation: agent.allocation },
      ]),
    ) as RunSettings['agents'],
    provider: config.provider,
    model: config.model,
    contextWindow: Math.min(
      model.contextWindow,
      config.provider === 'local' ? config.local.contextSize : model.contextWindow,
    ),
    prices: {
      inputPerMillion: model.inputPerMillion,
      cachedInputPerMillion: model.cachedInputPerMillion,
      outputPerMillion: model.outputPerMillion,
      ...(model.perHour !== undefined ? { perHour: model.perHour } : {}),
    },
    invokeTaskQueue: invokeTaskQueue(config),
    invoke: { ...config.invoke },
    useCalibration: overrides.useCalibration ?? true,
    ...budgetPolicy(config, overrides),
  };
}

/** Validates and normalises what a user typed: one clear sentence per mistake. */
export function buildAnalysisRequest(input: {
  ticker: string | undefined;
  date: string | undefined;
  mode?: string;
  researchRounds?: number;
  riskRounds?: number;
  defaults: AppConfig['debate'];
}): AnalysisRequest {
  const ticker = input.ticker?.trim().toUpperCase();
  if (!ticker || !/^[A-Z0-9.^-]{1,12}$/.test(ticker)) {
    throw new Error(`Give a ticker symbol such as SPX or AAPL (got "${input.ticker ?? ''}").`);
  }
  const date = input.date?.trim();
  if (
    !date ||
    !/^\d{4}-\d{2}-\d{2}$/.test(date) ||
    Number.isNaN(Date.parse(`${date}T00:00:00Z`)) ||
    new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date
  ) {
    throw new Error(`Give the analysis date as YYYY-MM-DD with --date (got "${input.date ?? ''}").`);
  }
  const mode = input.mode ?? 'optimized';
  if (mode !== 'optimized' && mode !== 'baseline') {
    throw new Error(`--mode must be "optimized" or "baseline" (got "${mode}").`);
  }
  const rounds = (value: number | undefined, fallback: number, flag: string) => {
    const result = value ?? fallback;
    if (!Number.isInteger(result) || result < 0 || result > 5)
      throw new Error(`${flag} must be a whole number from 0 to 5 (got ${value}).`);
    return result;
  };
  return {
    ticker,
    date,
    mode,
    researchRounds: rounds(input.researchRounds, input.defaults.researchRounds, '--debate-rounds'),
    riskRounds: rounds(input.riskRounds, input.defaults.riskRounds, '--risk-rounds'),
  };
}

/** Hard cap of the baseline side of an A/B run: the origin project measured 218,130 tokens per run, so it must not bind. */
export const BASELINE_HARD_CAP = 1_000_000;

/**
 * Settings of both sides of an A/B comparison on the same config. The origin project set no `max_tokens`, but
 * its last agent reads about eleven earlier answers (four reports, two debate turns, two plans, three risk
 * turns): the baseline caps an answer at a twelfth of the window left after 1,024 tokens of instructions, so
 * its prompts still fit a small model's window (597 tokens on an 8,192-token model), and at 4,096 tokens.
 * A cap makes the baseline cheaper than the origin, so ratios measured against it understate the saving.
 */
export function buildComparisonSettings(config: AppConfig, overrides: { budget?: number } = {}) {
  const optimized = buildRunSettings(config, { budget: overrides.budget });
  const baseline = buildRunSettings(config, {
    budget: BASELINE_HARD_CAP,
    maxResponseTokens: Math.min(4096, Math.floor((optimized.contextWindow - 1024) / 12)),
    useCalibration: false,
  });
  return { optimized, baseline };
}

/** The config's pools as the pool workflow defines them. */
export function poolDefinitionsOf(config: AppConfig): Record<string, PoolDefinition> {
  return Object.fromEntries(
    Object.entries(config.pools).map(([name, pool]) => [
      name,
      { name, tokensPerPeriod: pool.tokensPerPeriod, period: pool.period },
    ]),
  );
}

/** The pool `name` as the config defines it, or one sentence naming the pools it does define. */
export function poolDefinitionOf(config: AppConfig, name: string): PoolDefinition {
  const definition = poolDefinitionsOf(config)[name];
  if (!definition) {
    const known = Object.keys(config.pools);
    throw new Error(
      `No pool "${name}" in the config (${known.length > 0 ? `known: ${known.join(', ')}` : 'define one under pools'}).`,
    );
  }
  return definition;
}
