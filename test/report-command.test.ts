import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

describe('tokenflow report', () => {
  test('the daily report sums the day and raises the alerts the config asks for', async () => {
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
    await store.close();
    const config = path.join(dataDir, 'config.json');
    writeFileSync(config, JSON.stringify({ alerts: { dailyCostUsd: 0.005, budgetUsedFraction: 0.9 } }));
    const reportFor = (...extra: string[]) =>
      run(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(projectDirectory, 'src', 'cli', 'main.ts'),
          'report',
          '--day',
          '2026-11-20',
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
    const { stdout } = await reportFor('--json');
    const report = JSON.parse(stdout) as {
      calls: number;
      totalTokens: number;
      costUsd: number;
      alerts: string[];
    };
    assert.equal(report.calls, 2);
    assert.equal(report.totalTokens, 2400);
    assert.ok(Math.abs(report.costUsd - 0.007) < 1e-9);
    assert.ok(
      report.alerts.some((alert) => /daily cost \$0\.0070 is over the \$0\.005/.test(alert)),
      report.alerts.join('; '),
    );
    assert.ok(report.alerts.some((alert) => /run-1 used 38000 of 40000 tokens/.test(alert)));
    assert.ok(report.alerts.some((alert) => /raw word-limit compliance 50\.0%/.test(alert)));

    const text = (await reportFor()).stdout;
    assert.match(text, /^answers ended: stopped looping 1, by themselves 1$/m);
  });
});
