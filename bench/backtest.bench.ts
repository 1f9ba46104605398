import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { BACKTEST_BASELINE_RUN_CAP } from '../src/cli/backtest-arguments';
import { loadConfig } from '../src/config/load-config';
import { buildComparisonSettings } from '../src/config/run-settings';
import { BACKTEST_MODE_ORDER, type ModeSummary } from '../src/core/backtest';
import { openUsageStore } from '../src/storage/usage-store';
import { createTokenflowWorkers } from '../src/workers/worker';
import {
  backtestProgressQuery,
  stopBacktestSignal,
  type BacktestResult,
  type backtestWorkflow,
} from '../src/workflows/backtest-workflow';
import { startFakeOpenAiServer } from '../test/support/fake-openai-server';
import { projectDirectory, startTemporal, workflowBundle } from '../test/support/temporal-test-environment';
import { fixed, markdownTable, positiveNumber, printSection, progress } from './support/statistics';

/**
 * `npm run bench -- backtest`: a backtest of SPX over 24 weeks (2019-01-07 to 2019-06-21), baseline and
 * optimized on every date, as `tokenflow backtest SPX --from 2019-01-07 --to 2019-06-21 --every week --mode both
 * --concurrency 4 --budget 6000000` runs it, against the scripted OpenAI-compatible server: wall time, tokens, cost,
 * hit rate per mode and how often the two modes decide the same.
 *
 * `npm run bench -- backtest-local` (by name only: it takes TOKENFLOW_BENCH_MINUTES, default 30) runs the same
 * on the embedded local model, one run at a time, weekly from 2019-01-07, and stops starting runs when the time
 * is up (the backtest's `stopBacktest` signal), so the report covers as many dates as fit.
 */
const TICKER = 'SPX';
const FROM = '2019-01-07';

export interface BacktestBenchOptions {
  provider: 'openai' | 'local';
  to: string;
  concurrency: number;
  budgetTokens: number;
  /** Stop starting runs after this many minutes. */
  minutes?: number;
}

function percent(value: number | undefined): string {
  return value === undefined ? 'n/a' : `${fixed(value * 100)}%`;
}

function modeRow(mode: string, summary: ModeSummary): string[] {
  const interval = summary.interval
    ? ` [${percent(summary.interval.low)}, ${percent(summary.interval.high)}]`
    : '';
  const decisions = Object.entries(summary.decisions)
    .map(([decision, count]) => `${decision} ${count}`)
    .join(', ');
  return [
    mode,
    `${summary.completed} of ${summary.dates}`,
    decisions || 'none',
    `${summary.hits} of ${summary.scored}`,
    `${percent(summary.hitRate)}${interval}`,
    String(summary.totalTokens),
    summary.tokensPerCompletedRun === undefined ? 'n/a' : fixed(summary.tokensPerCompletedRun, 0),
    `$${summary.costUsd.toFixed(4)}`,
  ];
}

export async function runBacktestBench(options: BacktestBenchOptions): Promise<{
  result: BacktestResult;
  wallSeconds: number;
}> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const env = await startTemporal();
  const server = options.provider === 'openai' ? await startFakeOpenAiServer() : undefined;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tokenflow-bench-backtest-'));
  const store = await openUsageStore(path.join(dataDir, 'tokenflow.db'));
  let timer: NodeJS.Timeout | undefined;
  try {
    const config = loadConfig({
      environment: {},
      cwd: projectDirectory,
      overrides: {
        ...(server
          ? { provider: 'openai', model: 'gpt-4o-mini', openai: { baseUrl: server.url, apiKey: 'bench' } }
          : { provider: 'local' }),
        dataDir,
        temporal: { taskQueue: `bench-backtest-${process.pid}` },
      },
    });
    const { optimized, baseline } = buildComparisonSettings(config);
    baseline.hardCap = Math.min(baseline.hardCap, BACKTEST_BASELINE_RUN_CAP);
    const workers = await createTokenflowWorkers({
      config,
      connection: env.nativeConnection,
      workflowBundle: await workflowBundle(),
      store,
    });
    const startedAt = performance.now();
    const result = await workers.runUntil(async () => {
      const handle = await env.client.workflow.start<typeof backtestWorkflow>('backtestWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId: `bench-backtest-${process.pid}`,
        args: [
          {
            ticker: TICKER,
            from: FROM,
            to: options.to,
            every: 'week',
            modes: ['baseline', 'optimized'],
            concurrency: options.concurrency,
            budgetTokens: options.budgetTokens,
            minimumRunTokens: Math.ceil(optimized.hardCap / 4),
            settings: { baseline, optimized },
            researchRounds: 1,
            riskRounds: 1,
          },
        ],
      });
      timer = setInterval(() => {
        handle
          .query(backtestProgressQuery)
          .then((state) =>
            progress(`backtest: ${state.finished} of ${state.planned} runs, ${state.spentTokens} tokens`),
          )
          .catch(() => undefined);
      }, 30_000);
      if (options.minutes !== undefined) {
        setTimeout(() => {
          progress(`backtest: ${options.minutes} minutes are up; no more runs start`);
          handle
            .signal(stopBacktestSignal, {
              reason: `not started: the bench's ${options.minutes} minutes were up`,
            })
            .catch(() => undefined);
        }, options.minutes * 60_000).unref();
      }
      return handle.result();
    });
    return { result, wallSeconds: (performance.now() - startedAt) / 1000 };
  } finally {
    if (timer) clearInterval(timer);
    await store.close();
    await server?.close();
    await env.teardown();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The bench's markdown section from a finished backtest. */
export function backtestSection(
  title: string,
  command: string,
  setup: string,
  { result, wallSeconds }: { result: BacktestResult; wallSeconds: number },
): string {
  const rows = BACKTEST_MODE_ORDER.flatMap((mode) => {
    const summary = result.summary.modes[mode];
    return summary ? [modeRow(mode, summary)] : [];
  });
  const agreement = result.summary.agreement;
  const completed = result.entries.filter((entry) => entry.status === 'completed').length;
  return [
    `### ${title}`,
    '',
    `Command: \`${command}\`. ${setup}`,
    '',
    `${completed} runs completed in ${fixed(wallSeconds, 0)} s of wall time (${fixed(wallSeconds / Math.max(1, completed), 1)} s per run); the batch spent ${result.spentTokens} tokens.`,
    '',
    markdownTable(
      [
        'mode',
        'runs completed',
        'decisions',
        'hits of scored',
        'hit rate [95% Wilson]',
        'tokens',
        'tokens per run',
        'cost',
      ],
      rows,
    ),
    '',
    agreement
      ? `Baseline and optimized decided the same on ${agreement.same} of ${agreement.compared} dates (${percent(agreement.rate)}).`
      : 'Agreement: not measured (one mode).',
    '',
    'A decision is scored when it is BUY or SELL and the date has a forward return (the close a week later from the',
    'price data): BUY hits when the return is above 0, SELL when below. HOLD is not scored.',
  ].join('\n');
}

if (require.main === module) {
  printSection(async () => {
    const concurrency = Math.round(positiveNumber('TOKENFLOW_BENCH_CONCURRENCY', 4));
    const outcome = await runBacktestBench({
      provider: 'openai',
      to: '2019-06-21',
      concurrency,
      budgetTokens: 6_000_000,
    });
    return backtestSection(
      'Backtest on the scripted server (24 weekly dates, both modes)',
      'npm run bench -- backtest',
      `Equivalent to \`tokenflow backtest SPX --from ${FROM} --to 2019-06-21 --every week --mode both --concurrency ${concurrency} --budget 6000000\` on the test suite's scripted OpenAI-compatible server (deterministic answers by role: its decisions say nothing about markets, the figures measure the machinery), one worker process, a Temporal dev server.`,
      outcome,
    );
  });
}
