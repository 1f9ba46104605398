import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig } from '../src/config/load-config';
import { buildRunSettings } from '../src/config/run-settings';
import { USAGE_SOURCE } from '../src/core/ledger';
import type { AnalysisResult } from '../src/core/run-types';
import { CALL_ID_HEADER } from '../src/llm/openai-provider';
import { openUsageStore } from '../src/storage/usage-store';
import { createTokenflowWorkers } from '../src/workers/worker';
import type { analysisWorkflow } from '../src/workflows/analysis-workflow';
import { startFakeOpenAiServer, type RecordedRequest } from '../test/support/fake-openai-server';
import { projectDirectory, startTemporal, workflowBundle } from '../test/support/temporal-test-environment';
import { fixed, markdownTable, positiveNumber, printSection, progress, quantile } from './support/statistics';

/**
 * `npm run bench -- concurrent-runs`: N full analyses (one research and one risk round) started at once on one
 * worker process, against the scripted OpenAI-compatible server answering one chat request in every
 * TOKENFLOW_BENCH_429_EVERY (default 15) with a 429 (retry after 1 s). Measures throughput, run wall times, the
 * ledger against the server's bill run by run, and the retries the 429s caused.
 * TOKENFLOW_BENCH_RUNS sets N (default 50); TOKENFLOW_BENCH_TIMEOUT_SECONDS bounds the runs (default 900).
 */
const TICKER = 'SPX';
const DATE = '2020-04-17';
const ROUNDS = 1;
const RETRY_AFTER_SECONDS = 1;

function callIdOf(request: RecordedRequest): string {
  return request.headers[CALL_ID_HEADER] ?? '';
}

function isChat(request: RecordedRequest): boolean {
  return request.path === '/v1/chat/completions';
}

async function main(): Promise<string> {
  const runs = Math.max(1, Math.round(positiveNumber('TOKENFLOW_BENCH_RUNS', 50)));
  const requestsPer429 = Math.max(1, Math.round(positiveNumber('TOKENFLOW_BENCH_429_EVERY', 15)));
  const timeoutSeconds = positiveNumber('TOKENFLOW_BENCH_TIMEOUT_SECONDS', 900);
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const env = await startTemporal();
  const server = await startFakeOpenAiServer();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tokenflow-bench-concurrent-'));
  const store = await openUsageStore(path.join(dataDir, 'tokenflow.db'));
  let injecting: NodeJS.Timeout | undefined;
  let deadline: NodeJS.Timeout | undefined;
  try {
    const config = loadConfig({
      environment: {},
      cwd: projectDirectory,
      overrides: {
        provider: 'openai',
        model: 'gpt-4o-mini',
        openai: { baseUrl: server.url, apiKey: 'bench' },
        dataDir,
        temporal: { taskQueue: 'bench-concurrent-runs' },
        // Room for a call that meets several 429s; the rest are the defaults.
        invoke: { startToCloseSeconds: 600, heartbeatTimeoutSeconds: 30, maximumAttempts: 5 },
      },
    });
    const settings = buildRunSettings(config);
    const workers = await createTokenflowWorkers({
      config,
      connection: env.nativeConnection,
      workflowBundle: await workflowBundle(),
      store,
    });

    progress(`concurrent-runs: starting ${runs} analyses at once`);
    const startedAt = performance.now();
    const endedAt = new Map<string, number>();
    const handles = await Promise.all(
      Array.from({ length: runs }, (_, index) =>
        env.client.workflow.start<typeof analysisWorkflow>('analysisWorkflow', {
          taskQueue: config.temporal.taskQueue,
          workflowId: `bench-concurrent-${index}`,
          args: [
            {
              request: {
                ticker: TICKER,
                date: DATE,
                mode: 'optimized',
                researchRounds: ROUNDS,
                riskRounds: ROUNDS,
              },
              settings,
            },
          ],
        }),
      ),
    );
    // The fake server hands a fault to the next chat request: one queued per `requestsPer429` requests seen.
    let injected = 0;
    injecting = setInterval(() => {
      const chats = server.requests.filter(isChat).length;
      while (chats >= injected * requestsPer429) {
        server.enqueueFault({ kind: 'status', status: 429, retryAfterSeconds: RETRY_AFTER_SECONDS });
        injected += 1;
      }
    }, 10);
    const results = await workers.runUntil(
      Promise.race([
        Promise.all(
          handles.map((handle) =>
            handle.result().then((result: AnalysisResult) => {
              endedAt.set(handle.workflowId, performance.now());
              if (endedAt.size % 10 === 0) progress(`concurrent-runs: ${endedAt.size} of ${runs} runs done`);
              return result;
            }),
          ),
        ),
        new Promise<never>((_, reject) => {
          deadline = setTimeout(
            () =>
              reject(
                new Error(`${runs - endedAt.size} of ${runs} runs were not done after ${timeoutSeconds} s.`),
              ),
            timeoutSeconds * 1000,
          );
        }),
      ]),
    );
    const elapsedSeconds = (performance.now() - startedAt) / 1000;
    clearInterval(injecting);

    const chats = server.requests.filter(isChat);
    const rateLimited = chats.filter((request) => request.fault?.kind === 'status');
    const calls = results.flatMap((result) => result.calls);
    const incomplete = results.filter((result) => result.status !== 'completed').length;
    const overCap = results.filter(
      (result) => result.totals.totalTokens > result.budget.hardCap || result.budget.overruns.length > 0,
    ).length;

    // Each run's ledger (its usage records) against what the server billed for the requests it sent.
    const reconciliation = await Promise.all(
      results.map(async (result) => {
        const records = await store.listUsage({ workflowId: result.workflowId });
        const ledger = records.reduce(
          (sum, record) => sum + record.promptTokens + record.completionTokens + record.lostTokens,
          0,
        );
        const estimated = records
          .flatMap((record) => record.attemptRecords ?? [])
          .filter((attempt) => attempt.source !== USAGE_SOURCE.server)
          .reduce((sum, attempt) => sum + attempt.promptTokens + attempt.completionTokens, 0);
        const billed = server.billedTotals((request) =>
          callIdOf(request).startsWith(`${result.workflowId}/`),
        );
        return { ledger, billed: billed.totalTokens, estimated, resultTotal: result.totals.totalTokens };
      }),
    );
    const differences = reconciliation.map((run) => run.ledger - run.billed);
    const exact = differences.filter((difference) => difference === 0).length;
    const resultMatchesLedger = reconciliation.filter((run) => run.resultTotal === run.ledger).length;
    const ledgerTotal = reconciliation.reduce((sum, run) => sum + run.ledger, 0);
    const billedTotal = reconciliation.reduce((sum, run) => sum + run.billed, 0);
    const attempts = (
      await Promise.all(results.map((result) => store.listAttempts(result.workflowId)))
    ).flat();
    const rateLimitedAttempts = attempts.filter((attempt) => attempt.failureType === 'RateLimited');
    const retriedCalls = calls.filter((call) => call.attempts > 1).length;

    const runSeconds = results.map(
      (result) => ((endedAt.get(result.workflowId) ?? Number.NaN) - startedAt) / 1000,
    );
    const workflowSeconds = results.map((result) => result.totals.wallTimeMs / 1000);
    const invokeSeconds = calls.map((call) => call.latencyMs / 1000);
    const seconds = (values: number[], q: number) => fixed(quantile(values, q), 1);

    const table = markdownTable(
      ['measure', 'value'],
      [
        ['runs completed / started', `${results.length - incomplete} / ${runs}`],
        ['runs over their cap or with an overrun', String(overCap)],
        ['agent calls / chat requests', `${calls.length} / ${chats.length}`],
        ['time from the first start to the last result', `${fixed(elapsedSeconds, 1)} s`],
        ['throughput: runs per minute', fixed((results.length / elapsedSeconds) * 60, 1)],
        ['throughput: agent calls per second', fixed(calls.length / elapsedSeconds, 2)],
        [
          'run wall time from the common start, p50 / p95 / max',
          `${seconds(runSeconds, 0.5)} / ${seconds(runSeconds, 0.95)} / ${seconds(runSeconds, 1)} s`,
        ],
        [
          "run wall time in the workflow's own clock, p50 / p95",
          `${seconds(workflowSeconds, 0.5)} / ${seconds(workflowSeconds, 0.95)} s`,
        ],
        [
          'invoke latency per call (queueing in Temporal excluded), p50 / p95',
          `${seconds(invokeSeconds, 0.5)} / ${seconds(invokeSeconds, 0.95)} s`,
        ],
        ['tokens: ledger / server bill, all runs', `${ledgerTotal} / ${billedTotal}`],
        [
          'ledger - bill per run: runs exact, largest difference',
          `${exact} of ${results.length}, ${Math.max(...differences.map(Math.abs))} tokens`,
        ],
        ["runs whose result's total equals their ledger", `${resultMatchesLedger} of ${results.length}`],
        [
          '429s served / in the ledger as failed RateLimited attempts',
          `${rateLimited.length} / ${rateLimitedAttempts.length} (tokens charged: ${rateLimitedAttempts.reduce((sum, attempt) => sum + attempt.promptTokens + attempt.completionTokens, 0)})`,
        ],
        ['calls retried (more than one attempt)', String(retriedCalls)],
      ],
    );

    return [
      '## Concurrent runs against a rate-limiting endpoint',
      '',
      `${runs} full optimized analyses of ${TICKER} on ${DATE} (one research and one risk round, 12 calls each, the default 40,000-token cap each) started at once, with one worker process (the bench's: \`createTokenflowWorkers\`, \`openai.maxConcurrentCalls\` ${config.openai.maxConcurrentCalls}, so at most that many model calls at a time and the rest wait in Temporal's task queue) on a Temporal dev server started by \`startTemporal()\`, against the scripted OpenAI-compatible test server (\`test/support/fake-openai-server.ts\`, in the bench's process) answering one chat request in every ${requestsPer429} with a 429 and \`retry-after: ${RETRY_AFTER_SECONDS}\`. Temporal retries them (up to 5 attempts a call here). The ledger is each run's usage records (prompt + completion + lost tokens); the bill is what the server billed for the requests whose \`${CALL_ID_HEADER}\` names the run. Wall times from the common start include the wait for a worker slot; the workflow's own clock starts when its first task runs.`,
      '',
      `**${results.length - incomplete} of ${runs} runs completed in ${fixed(elapsedSeconds, 1)} s (${fixed((results.length / elapsedSeconds) * 60, 1)} runs per minute, ${fixed(calls.length / elapsedSeconds, 2)} calls per second); run wall time p50 ${seconds(runSeconds, 0.5)} s, p95 ${seconds(runSeconds, 0.95)} s; ledger - bill: ${ledgerTotal - billedTotal} tokens over all runs (${exact} of ${results.length} runs exact); ${rateLimited.length} 429s, ${retriedCalls} calls retried.**`,
      '',
      table,
      '',
      `TOKENFLOW_BENCH_RUNS (default 50) sets the number of runs, TOKENFLOW_BENCH_429_EVERY (default 15) the 429 rate, TOKENFLOW_BENCH_TIMEOUT_SECONDS (default 900) bounds the runs. The assertions on the same load (with each run's own cap, from tight to roomy) are \`test/concurrent-runs.test.ts\`.`,
    ].join('\n');
  } finally {
    clearInterval(injecting);
    clearTimeout(deadline);
    await store.close();
    await server.close();
    await env.teardown();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

printSection(main);
