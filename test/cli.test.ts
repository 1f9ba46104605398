import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AnalysisResult } from '../src/core/run-types';
import { startFakeOpenAiServer, type FakeOpenAiServer } from './support/fake-openai-server';
import { projectDirectory, startTemporal, temporalExecutable } from './support/temporal-test-environment';

const run = promisify(execFile);
let env: TestWorkflowEnvironment;
let server: FakeOpenAiServer;
let dataDir: string;

before(async () => {
  env = await startTemporal();
  server = await startFakeOpenAiServer();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'tokenflow-cli-'));
});

after(async () => {
  await server?.close();
  await env?.teardown();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Runs the CLI as a user would (a separate process), with a clean environment pointing at the test servers. */
async function tokenflow(args: string[], extraEnvironment: Record<string, string> = {}) {
  const environment: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    TEMPORAL_ADDRESS: env.address,
    OPENAI_BASE_URL: server.url,
    OPENAI_API_KEY: 'sk-test-secret-value',
    TOKENFLOW_DATA_DIR: dataDir,
    ...extraEnvironment,
  };
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', path.join(projectDirectory, 'src', 'cli', 'main.ts'), ...args],
      { cwd: projectDirectory, env: environment, timeout: 300_000, maxBuffer: 20 * 1024 * 1024 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function temporal(args: string[]) {
  const { stdout } = await run(temporalExecutable(), [...args, '--address', env.address], {
    timeout: 60_000,
  });
  return stdout;
}

describe('the tokenflow CLI as a Temporal client', () => {
  test('analyze runs a full analysis and the run is found by its search attributes, with its activities', async () => {
    const workflowId = 'cli-analyze-spx';
    const result = await tokenflow([
      'analyze',
      'spx',
      '--date',
      '2020-04-17',
      '--json',
      '--workflow-id',
      workflowId,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as AnalysisResult & { link: string };
    assert.equal(report.calls.length, 12);
    assert.match(report.decision?.action ?? '', /^(BUY|HOLD|SELL)$/);
    assert.ok(report.totals.totalTokens <= report.budget.hardCap);
    assert.equal(report.provider, 'openai');
    assert.match(report.link, new RegExp(`/namespaces/default/workflows/${workflowId}$`));

    const listed = await temporal([
      'workflow',
      'list',
      '--query',
      `TokenflowTicker='SPX' AND TokenflowTotalTokens <= 40000 AND TokenflowDecision='${report.decision?.action}'`,
    ]);
    assert.match(listed, new RegExp(workflowId));
    const shown = await temporal(['workflow', 'show', '--workflow-id', workflowId, '--detailed']);
    for (const activity of [
      'loadCalibration',
      'loadAnalysisInputs',
      'invokeModel',
      'trackUsage',
      'recordRunSummary',
    ]) {
      assert.match(shown, new RegExp(`activityType\\.name: ${activity}`), `${activity} in the history`);
    }
    // Every agent's invoke (and track) names its agent in the activity input.
    for (const call of report.calls) {
      assert.match(shown, new RegExp(`input\\[0\\]\\.agent: ${call.agent}`), `${call.agent} in the history`);
    }

    const text = await tokenflow(['result', workflowId]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /DECISION: (BUY|HOLD|SELL)/);
    assert.match(text.stdout, /Run total: \d+ of 40000 tokens/);
    assert.match(text.stdout, /Market Analyst/);
    const usage = await tokenflow(['usage', workflowId, '--json']);
    assert.equal((JSON.parse(usage.stdout) as unknown[]).length, 12);
    const ledger = await tokenflow(['usage', workflowId]);
    assert.match(ledger.stdout, /attempt 1 {2}completed/);
    assert.match(ledger.stdout, /Total: \d+ tokens over 12 calls/);
  });

  test('the API key never reaches a workflow history', async () => {
    const shown = await temporal([
      'workflow',
      'show',
      '--workflow-id',
      'cli-analyze-spx',
      '--output',
      'json',
    ]);
    assert.ok(shown.length > 1000);
    assert.equal(shown.includes('sk-test-secret-value'), false);
    assert.equal(Buffer.from(shown).includes(Buffer.from('sk-test-secret-value').toString('base64')), false);
  });

  test('an unknown ticker fails with one clear sentence', async () => {
    const withWorker = await tokenflow(['analyze', 'NOPE', '--date', '2020-04-17']);
    assert.equal(withWorker.code, 1);
    assert.match(withWorker.stderr, /^tokenflow: Unknown ticker "NOPE"/m);
  });

  test('a bad date and a bad config value are refused before anything starts, naming the field', async () => {
    const date = await tokenflow(['analyze', 'SPX', '--date', '2020-02-30']);
    assert.equal(date.code, 1);
    assert.match(date.stderr, /--date/);
    const file = path.join(dataDir, 'bad.config.json');
    writeFileSync(file, JSON.stringify({ agents: { trader: { wordLimit: 5 } } }));
    const config = await tokenflow(['analyze', 'SPX', '--date', '2020-04-17', '--config', file]);
    assert.equal(config.code, 1);
    assert.match(config.stderr, /agents\.trader\.wordLimit/);
  });

  test('a paused run shows PAUSED in status and goes on after tokenflow budget --raise, drawing on its pool', async () => {
    const config = path.join(dataDir, 'pools.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        pools: { team: { tokensPerPeriod: 1000000, period: 'day' } },
        budgets: { pauseTimeout: '10m' },
      }),
    );
    const workflowId = 'cli-paused-run';
    const withConfig = { TOKENFLOW_CONFIG: config };
    // Runs in the background: it follows the run until it ends, and the run pauses on its small budget.
    const analysis = tokenflow(
      [
        'analyze',
        'SPX',
        '--date',
        '2020-04-17',
        '--budget',
        '12000',
        '--pool',
        'team',
        '--on-exhausted',
        'pause',
        '--workflow-id',
        workflowId,
        '--json',
      ],
      withConfig,
    );
    let status = { code: 1, stdout: '', stderr: '' };
    for (let attempt = 0; attempt < 240 && !/PAUSED: /.test(status.stdout); attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      status = await tokenflow(['status', workflowId], withConfig);
    }
    assert.match(status.stdout, /PAUSED: \w+ round 1: /);
    const pool = await tokenflow(['pool', 'team'], withConfig);
    assert.equal(pool.code, 0, pool.stderr);
    assert.match(pool.stdout, /^pool team: \d+ spent \+ 12000 reserved of 1000000 tokens this day/m);

    const bad = await tokenflow(['budget', workflowId, '--raise', 'lots'], withConfig);
    assert.match(bad.stderr, /--raise must be a positive whole number of tokens \(got "lots"\)/);
    const raised = await tokenflow(['budget', workflowId, '--raise', '60000'], withConfig);
    assert.equal(raised.code, 0, raised.stderr);
    assert.match(raised.stdout, new RegExp(`^${workflowId}: hard cap 72000 tokens`));
    const finished = await analysis;
    assert.equal(finished.code, 0, finished.stderr);
    const result = JSON.parse(finished.stdout) as AnalysisResult;
    assert.ok(result.decision);
    assert.equal(result.budget.hardCap, 72_000);
    // The analysis's in-process worker has stopped: the pool's workflow waits for a worker and says so.
    const after = await tokenflow(['pool', 'team'], withConfig);
    assert.equal(after.code, 1);
    assert.match(
      after.stderr,
      /Pool team did not answer \(.*\): its workflow runs on task queue tokenflow; is a worker running there/,
    );
    const unknown = await tokenflow(['pool', 'research'], withConfig);
    assert.match(unknown.stderr, /No pool "research" in the config \(known: team\)/);
  });

  test('backtest runs one analysis per date and prints its report; bad ranges and unknown tickers are one sentence', async () => {
    const backtest = await tokenflow([
      'backtest',
      'SPX',
      '--from',
      '2019-01-07',
      '--to',
      '2019-01-18',
      '--every',
      'week',
      '--mode',
      'both',
      '--budget',
      '400000',
      '--json',
    ]);
    assert.equal(backtest.code, 0, backtest.stderr);
    const report = JSON.parse(backtest.stdout) as {
      entries: Array<{ date: string; mode: string; status: string; decision?: string }>;
      summary: { agreement?: { compared: number } };
    };
    assert.deepEqual(
      report.entries.map((entry) => `${entry.date} ${entry.mode} ${entry.status}`),
      [
        '2019-01-11 baseline completed',
        '2019-01-11 optimized completed',
        '2019-01-18 baseline completed',
        '2019-01-18 optimized completed',
      ],
    );
    assert.equal(report.summary.agreement?.compared, 2);

    const backwards = await tokenflow(['backtest', 'SPX', '--from', '2019-02-01', '--to', '2019-01-01']);
    assert.equal(backwards.code, 1);
    assert.match(backwards.stderr, /^tokenflow: --from 2019-02-01 is after --to 2019-01-01\.$/m);
    const unknown = await tokenflow(['backtest', 'NOPE', '--from', '2019-01-01', '--to', '2019-02-01']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^tokenflow: Unknown ticker "NOPE"/m);
    const every = await tokenflow([
      'backtest',
      'SPX',
      '--from',
      '2019-01-01',
      '--to',
      '2019-02-01',
      '--every',
      'hour',
    ]);
    assert.match(every.stderr, /--every must be one of day, week, month \(got "hour"\)/);
  });
});
