import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { UsageRecord } from '../src/core/types';
import { openUsageStore } from '../src/storage/usage-store';
import { projectDirectory } from './support/temporal-test-environment';

const run = promisify(execFile);
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tokenflow-report-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

function record(
  callId: string,
  agent: UsageRecord['agent'],
  costUsd: number,
  rawCompliant: boolean,
  finishReason: string,
): UsageRecord {
  return {
    callId,
    workflowId: 'run-1',
    runId: 'r1',
    ticker: 'SPX',
    agent,
    round: 1,
    mode: 'optimized',
    provider: 'openai',
    model: 'gpt-4o-mini',
    promptTokens: 1000,
    completionTokens: 200,
    lostTokens: 0,
    usageSource: 'server',
    rawWords: 150,
    words: 150,
    wordLimit: 200,
    rawCompliant,
    truncated: false,
    maxTokens: 300,
    costUsd,
    latencyMs: 100,
    attempts: 1,
    finishReason,
    recordedAt: '2026-11-20T10:00:00.000Z',
  };
}

const config = path.join(dataDir, 'config.json');
const reportFor = (day: string, ...extra: string[]) =>
  run(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(projectDirectory, 'src', 'cli', 'main.ts'),
      'report',
      '--day',
      day,
      ...extra,
      '--config',
      config,
    ],
    {
      cwd: projectDirectory,
      env: { PATH: process.env.PATH ?? '', TOKENFLOW_DATA_DIR: dataDir },
      timeout: 60_000,
    },
  );

describe('tokenflow report', () => {
  before(async () => {
    // Compliance is judged over at least `minimumCalls` calls; the day has two.
    writeFileSync(
      config,
      JSON.stringify({ alerts: { dailyCostUsd: 0.005, budgetUsedFraction: 0.9, minimumCalls: 2 } }),
    );
    const store = await openUsageStore(path.join(dataDir, 'tokenflow.db'));
    await store.recordUsage(record('run-1/market_analyst/1', 'market_analyst', 0.004, false, 'repetition'));
    await store.recordUsage(record('run-1/trader/1', 'trader', 0.003, true, 'stop'));
    await store.recordRun({
      workflowId: 'run-1',
      ticker: 'SPX',
      date: '2020-04-17',
      mode: 'optimized',
      decision: 'BUY',
      totalTokens: 38000,
      budgetTokens: 40000,
      costUsd: 0.007,
      budgetStatus: 'within',
      startedAt: '2026-11-20T09:59:00.000Z',
      finishedAt: '2026-11-20T10:01:00.000Z',
    });
    await store.recordAlerts(
      [
        {
          key: 'daily_cost:2026-11-20',
          rule: 'daily_cost',
          day: '2026-11-20',
          message: '2026-11-20: spend $0.0070 is over the $0.005 daily alert threshold.',
          value: 0.007,
          threshold: 0.005,
        },
      ],
      '2026-11-20T10:02:00.000Z',
    );
    await store.markAlertDelivered('daily_cost:2026-11-20', '2026-11-20T10:02:01.000Z');
    await store.saveReport({
      day: '2026-11-19',
      workflowId: 'daily-report-2026-11-19',
      createdAt: '2026-11-20T00:15:00.000Z',
      summary: 'tokenflow daily report 2026-11-19: stored.',
      markdown: '# tokenflow daily report 2026-11-19\n\nAs stored.\n',
      html: '<!doctype html><p>stored</p>',
    });
    await store.close();
  });

  test('the daily report sums the day and raises the alerts the config asks for', async () => {
    const { stdout } = await reportFor('2026-11-20', '--json');
    const report = JSON.parse(stdout) as {
      calls: number;
      totalTokens: number;
      costUsd: number;
      alerts: Array<{ rule: string; message: string; status: string; workflowId?: string }>;
      summary: string;
    };
    assert.equal(report.calls, 2);
    assert.equal(report.totalTokens, 2400);
    assert.ok(Math.abs(report.costUsd - 0.007) < 1e-9);
    const messages = report.alerts.map((alert) => `${alert.status} ${alert.rule}: ${alert.message}`);
    assert.ok(
      messages.some((alert) =>
        /^delivered daily_cost: 2026-11-20: spend \$0\.0070 is over the \$0\.005/.test(alert),
      ),
      messages.join('; '),
    );
    assert.ok(
      messages.some((alert) =>
        /^not-recorded run_budget_used: Run run-1 used 38000 of its 40000 tokens/.test(alert),
      ),
      messages.join('; '),
    );
    assert.ok(
      messages.some((alert) =>
        /^not-recorded compliance_under_target: .*raw word-limit compliance 50\.0%/.test(alert),
      ),
      messages.join('; '),
    );
    assert.equal(report.alerts.length, 3, messages.join('; '));
    assert.match(
      report.summary,
      /^tokenflow daily report 2026-11-20: 1 run \(1 finished\), 2 calls, 2,400 tokens, \$0\.007000\. .* 3 alerts\.$/,
    );

    const built = await reportFor('2026-11-20');
    assert.match(built.stderr, /not stored yet/);
    assert.match(built.stdout, /^# tokenflow daily report 2026-11-20$/m);
    assert.match(built.stdout, /^\| Total tokens \| 2,400 \|$/m);
    assert.match(built.stdout, /^\| stopped looping \(repetition\) \| 1 \|$/m);
    assert.match(built.stdout, /^\| by themselves \(stop\) \| 1 \|$/m);
  });

  test('a stored report is printed as stored', async () => {
    const stored = await reportFor('2026-11-19');
    assert.equal(stored.stdout, '# tokenflow daily report 2026-11-19\n\nAs stored.\n');
    assert.doesNotMatch(stored.stderr, /not stored/);
  });

  test('--html FILE writes the page with Chart.js inlined, so it opens offline', async () => {
    const file = path.join(dataDir, 'report.html');
    const { stdout, stderr } = await reportFor('2026-11-20', '--html', file);
    assert.match(
      stderr,
      new RegExp(`Wrote the HTML report of 2026-11-20 to ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
    assert.match(stdout, /^# tokenflow daily report 2026-11-20$/m);
    const page = readFileSync(file, 'utf8');
    const library = readFileSync(
      path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js'),
      'utf8',
    );
    assert.ok(!page.includes('<script src='), 'nothing loaded from elsewhere');
    assert.ok(page.includes(library.slice(-3000)), 'the chart library is in the page');
    // assert.ok, not assert.match: a failure must not print the whole library.
    assert.ok(/<td>Total tokens<\/td>\s*<td class="number">2,400<\/td>/.test(page), 'total tokens');
    assert.ok(/<td>Cost<\/td>\s*<td class="number">\$0\.007000<\/td>/.test(page), 'cost');
    assert.ok(page.includes('tokenflow daily report 2026-11-20: 1 run (1 finished)'), 'summary');
  });
});
