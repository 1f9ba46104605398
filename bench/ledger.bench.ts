import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { AGENT_NAMES } from '../src/core/agents';
import { startDashboardServer } from '../src/dashboard/server';
import { openLedgerDatabase } from '../src/storage/open-database';
import type { LedgerTables } from '../src/storage/ledger-tables';
import { makeRecord } from '../src/storage/test-fixtures';
import { openUsageStore, type UsageStore } from '../src/storage/usage-store';
import type { Insertable } from 'kysely';
import { fixed, markdownTable, positiveNumber, printSection, progress, quantile } from './support/statistics';

/**
 * The ledger under a dashboard's reads and many runs' writes, on SQLite and on PostgreSQL (a throw-away server
 * from scripts/postgres.sh, or TOKENFLOW_BENCH_POSTGRES_URL). Each engine is seeded with
 * TOKENFLOW_BENCH_LEDGER_RUNS runs (default 10,000) of 15 calls each (150,000 usage records, one attempt each),
 * then the reads behind the dashboard's run list and run page are timed, and 50 runs write their calls and
 * summaries at once through two stores (two workers) while nothing else runs.
 *
 * Environment: TOKENFLOW_BENCH_LEDGER_RUNS, TOKENFLOW_BENCH_LEDGER_READS (timed repeats per read, default 200).
 */

const RUNS = positiveNumber('TOKENFLOW_BENCH_LEDGER_RUNS', 10_000);
const CALLS_PER_RUN = 15;
const READS = positiveNumber('TOKENFLOW_BENCH_LEDGER_READS', 200);
const WRITERS = 50;
const TICKERS = ['SPX', 'AAPL', 'AMZN', 'GOOG', 'IBM', 'MSFT'];
const DECISIONS = ['BUY', 'HOLD', 'SELL'];
const BATCH = 500;

function workflowIdOf(run: number): string {
  return `analysis-${TICKERS[run % TICKERS.length]}-${String(run).padStart(6, '0')}`;
}

/** Run `run` started `run` minutes after the first, so 10,000 runs span about a week. */
function startedAtOf(run: number): string {
  return new Date(Date.UTC(2026, 10, 1) + run * 60_000).toISOString();
}

function runRow(run: number): Insertable<LedgerTables['runs']> {
  const baseline = run % 10 === 0;
  return {
    workflow_id: workflowIdOf(run),
    run_id: `run-${run}`,
    ticker: TICKERS[run % TICKERS.length] ?? 'SPX',
    date: '2020-04-17',
    mode: baseline ? 'baseline' : 'optimized',
    decision: DECISIONS[run % DECISIONS.length] ?? null,
    total_tokens: baseline ? 80_000 : 16_000,
    prompt_tokens: baseline ? 76_000 : 12_000,
    completion_tokens: 4_000,
    original_prompt_tokens: baseline ? 76_000 : 40_000,
    budget_tokens: 40_000,
    cost_usd: baseline ? 0.012 : 0.003,
    budget_status: run % 97 === 0 ? 'exhausted' : 'within',
    calibration_version: null,
    started_at: startedAtOf(run),
    finished_at: new Date(Date.parse(startedAtOf(run)) + 90_000).toISOString(),
  };
}

function usageRows(run: number): {
  records: Array<Insertable<LedgerTables['usage_records']>>;
  attempts: Array<Insertable<LedgerTables['usage_attempts']>>;
} {
  const records: Array<Insertable<LedgerTables['usage_records']>> = [];
  const attempts: Array<Insertable<LedgerTables['usage_attempts']>> = [];
  for (let call = 0; call < CALLS_PER_RUN; call += 1) {
    const agent = AGENT_NAMES[call % AGENT_NAMES.length] ?? 'trader';
    const workflowId = workflowIdOf(run);
    const callId = `${workflowId}/${agent}/${call}`;
    const recordedAt = new Date(Date.parse(startedAtOf(run)) + call * 5_000).toISOString();
    records.push({
      call_id: callId,
      workflow_id: workflowId,
      run_id: `run-${run}`,
      ticker: TICKERS[run % TICKERS.length] ?? 'SPX',
      agent,
      round: call,
      mode: run % 10 === 0 ? 'baseline' : 'optimized',
      provider: 'openai',
      model: 'gpt-4o-mini',
      prompt_tokens: 900 + call,
      completion_tokens: 180,
      cached_prompt_tokens: 256,
      lost_tokens: 0,
      usage_source: 'server',
      raw_words: 140,
      words: 140,
      word_limit: 150,
      raw_compliant: 1,
      truncated: 0,
      predicted_tokens: 190,
      max_tokens: 400,
      cost_usd: 0.0002,
      latency_ms: 1500,
      attempts: 1,
      calibration_version: null,
      recorded_at: recordedAt,
      finish_reason: 'stop',
      local_prompt_tokens: 880,
      local_completion_tokens: 176,
    });
    attempts.push({
      workflow_id: workflowId,
      run_id: `run-${run}`,
      call_id: callId,
      agent,
      round: call,
      attempt: 1,
      outcome: 'completed',
      prompt_tokens: 900 + call,
      completion_tokens: 180,
      source: 'server',
      failure_type: null,
      recorded_at: recordedAt,
    });
  }
  return { records, attempts };
}

/** Fills the ledger in bulk (the store writes one call per transaction, as workers do; seeding needs speed). */
async function seed(location: string): Promise<void> {
  const { database } = await openLedgerDatabase(location);
  try {
    const runsPerBatch = Math.floor(BATCH / CALLS_PER_RUN);
    for (let first = 0; first < RUNS; first += runsPerBatch) {
      const batch = Array.from({ length: Math.min(runsPerBatch, RUNS - first) }, (_, index) => first + index);
      const rows = batch.map(usageRows);
      await database.transaction().execute(async (transaction) => {
        await transaction.insertInto('runs').values(batch.map(runRow)).execute();
        await transaction
          .insertInto('usage_records')
          .values(rows.flatMap((row) => row.records))
          .execute();
        await transaction
          .insertInto('usage_attempts')
          .values(rows.flatMap((row) => row.attempts))
          .execute();
      });
    }
  } finally {
    await database.destroy();
  }
}

async function timed(work: () => Promise<unknown>): Promise<{ p50: number; p95: number; max: number }> {
  for (let warm = 0; warm < 10; warm += 1) await work();
  const samples: number[] = [];
  for (let read = 0; read < READS; read += 1) {
    const start = performance.now();
    await work();
    samples.push(performance.now() - start);
  }
  return { p50: quantile(samples, 0.5), p95: quantile(samples, 0.95), max: Math.max(...samples) };
}

/** The dashboard's pages over HTTP (server-rendered from the ledger), each timed READS times. */
async function dashboardPages(
  store: UsageStore,
): Promise<Array<[string, { p50: number; p95: number; max: number }]>> {
  const server = await startDashboardServer({
    ledger: store,
    // The run list's live section asks Temporal from the browser, not while the page renders.
    liveRuns: { listRunning: async () => [] },
    temporalUi: { url: 'http://localhost:8233', namespace: 'default' },
    port: 0,
    log: () => undefined,
  });
  const page = (route: string) => async () => {
    const response = await fetch(`${server.url}${route}`);
    if (response.status !== 200) throw new Error(`GET ${route} answered ${response.status}`);
    await response.text();
  };
  let next = 0;
  try {
    return [
      ['page: run list (newest 50)', await timed(page('/'))],
      ['page: run list, ticker + decision filter', await timed(page('/?ticker=MSFT&decision=SELL'))],
      [
        'page: a run (15 calls)',
        await timed(async () =>
          page(`/runs/${encodeURIComponent(workflowIdOf((next = (next + 7919) % RUNS)))}`)(),
        ),
      ],
      ['page: trends (30 days)', await timed(page('/trends'))],
    ];
  } finally {
    await server.close();
  }
}

/** The reads behind the dashboard's pages, each timed READS times. */
async function dashboardReads(
  store: UsageStore,
): Promise<Array<[string, { p50: number; p95: number; max: number }]>> {
  let next = 0;
  const someRun = () => workflowIdOf((next = (next + 7919) % RUNS));
  return [
    ['run list: newest 50', await timed(() => store.listRuns({ limit: 50 }))],
    [
      'run list: ticker filter, page 3',
      await timed(() => store.listRuns({ ticker: 'MSFT', limit: 50, offset: 100 })),
    ],
    [
      'run list: decision + budget status filter',
      await timed(() => store.listRuns({ decision: 'SELL', budgetStatus: 'within', limit: 50 })),
    ],
    [
      'run page: summary + 15 calls with attempts',
      await timed(async () => {
        const workflowId = someRun();
        await Promise.all([store.getRun(workflowId), store.listUsage({ workflowId })]);
      }),
    ],
    ['tokens and cost per day (all days)', await timed(() => store.dailyRunTotals())],
  ];
}

/**
 * 50 runs write their 15 calls and their summary at once: on PostgreSQL through two stores, as two workers
 * would; on SQLite through one, as one worker process does (a SQLite ledger is one machine's, and two stores in
 * one process would wait on each other's file lock with the event loop blocked).
 */
async function concurrentWrites(
  location: string,
  storeCount: number,
): Promise<{ failed: number; calls: number; seconds: number }> {
  const stores = await Promise.all(Array.from({ length: storeCount }, () => openUsageStore(location)));
  let failed = 0;
  const start = performance.now();
  try {
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, writer) => {
        const store = stores[writer % stores.length]!;
        const workflowId = `concurrent-${writer}`;
        for (let call = 0; call < CALLS_PER_RUN; call += 1) {
          const record = makeRecord({
            workflowId,
            callId: `${workflowId}/${call}`,
            recordedAt: new Date().toISOString(),
          });
          await store.recordUsage(record).catch(() => (failed += 1));
        }
        await store
          .recordRun({
            workflowId,
            ticker: 'SPX',
            date: '2020-04-17',
            mode: 'optimized',
            totalTokens: 16_000,
            budgetStatus: 'within',
            startedAt: new Date().toISOString(),
          })
          .catch(() => (failed += 1));
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    const written = (await stores[0]!.listUsage({ since: '2026-12-01' })).filter((record) =>
      record.workflowId.startsWith('concurrent-'),
    ).length;
    return { failed: failed + (WRITERS * CALLS_PER_RUN - written), calls: written, seconds };
  } finally {
    await Promise.all(stores.map((store) => store.close()));
  }
}

async function withPostgres<T>(work: (url: string) => Promise<T>): Promise<T> {
  const given = process.env.TOKENFLOW_BENCH_POSTGRES_URL;
  if (given) return work(given);
  const script = path.join(__dirname, '..', 'scripts', 'postgres.sh');
  execFileSync('bash', [script, 'install'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const line = execFileSync('bash', [script, 'start'], { encoding: 'utf8' }).trim().split('\n').pop() ?? '';
  const [folder, url] = line.split(' ');
  if (!folder || !url) throw new Error(`scripts/postgres.sh start printed "${line}"`);
  try {
    return await work(url);
  } finally {
    execFileSync('bash', [script, 'stop', folder]);
  }
}

async function measure(engine: string, location: string) {
  progress(`${engine}: seeding ${RUNS} runs, ${RUNS * CALLS_PER_RUN} usage records`);
  const seedStart = performance.now();
  await seed(location);
  const seedSeconds = (performance.now() - seedStart) / 1000;
  const store = await openUsageStore(location);
  try {
    progress(`${engine}: timing the dashboard's reads`);
    const reads = [...(await dashboardPages(store)), ...(await dashboardReads(store))];
    progress(`${engine}: ${WRITERS} runs writing at once`);
    const writes = await concurrentWrites(location, store.engine === 'postgres' ? 2 : 1);
    return { engine, seedSeconds, reads, writes };
  } finally {
    await store.close();
  }
}

printSection(async () => {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'tokenflow-ledger-bench-'));
  try {
    const results = [await measure('SQLite', path.join(folder, 'tokenflow.db'))];
    results.push(await withPostgres((url) => measure('PostgreSQL', url)));
    const rows = results.flatMap((result) =>
      result.reads.map(([read, figures]) => [
        result.engine,
        read,
        fixed(figures.p50, 2),
        fixed(figures.p95, 2),
        fixed(figures.max, 2),
        figures.p95 < 100 ? 'yes' : '**no**',
      ]),
    );
    const writes = results.map((result) => [
      result.engine,
      String(WRITERS),
      String(result.writes.calls),
      String(result.writes.failed),
      fixed(result.writes.seconds, 2),
      fixed(result.seedSeconds, 1),
    ]);
    return [
      '<!-- bench:ledger:start -->',
      '## The ledger under the dashboard and many writers',
      '',
      `Each engine holds ${RUNS.toLocaleString('en')} runs and ${(RUNS * CALLS_PER_RUN).toLocaleString('en')} usage records (15 calls per run, one attempt each). Times are the dashboard's pages fetched over HTTP from its server (\`page:\` rows) and the store's calls behind them, in milliseconds over ${READS} repeats after 10 warm-up ones, in one process on the same machine. PostgreSQL is a local throw-away server from \`scripts/postgres.sh\` (fsync off).`,
      '',
      markdownTable(['engine', 'read', 'p50 ms', 'p95 ms', 'max ms', 'p95 < 100 ms'], rows),
      '',
      `${WRITERS} runs write their ${CALLS_PER_RUN} calls (one transaction each, as the track activity does) and their summary at once; on PostgreSQL through two stores (two workers), on SQLite through one (one worker process):`,
      '',
      markdownTable(
        ['engine', 'runs', 'calls written', 'failed writes', 'seconds', 'seeding seconds'],
        writes,
      ),
      '<!-- bench:ledger:end -->',
    ].join('\n');
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
