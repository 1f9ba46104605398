import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import type { UsageRecord } from '../core/types';
import { MIGRATIONS, openUsageStore, UsageStoreError, type RunSummary } from './usage-store';

let sequence = 0;

/** A complete record with every optional field set; tests override what they examine. */
function makeRecord(overrides: Partial<UsageRecord> = {}): UsageRecord {
  sequence += 1;
  const agent = overrides.agent ?? 'market_analyst';
  const workflowId = overrides.workflowId ?? 'analysis-AAPL-1';
  const round = overrides.round ?? 0;
  return {
    callId: `${workflowId}/${agent}/${round}/${sequence}`,
    workflowId,
    runId: 'run-1',
    ticker: 'AAPL',
    agent,
    round,
    mode: 'optimized',
    provider: 'openai',
    model: 'gpt-4o-mini',
    promptTokens: 1000,
    completionTokens: 200,
    cachedPromptTokens: 100,
    lostTokens: 0,
    usageSource: 'server',
    rawWords: 150,
    words: 150,
    wordLimit: 300,
    rawCompliant: true,
    truncated: false,
    predictedTokens: 210,
    maxTokens: 400,
    costUsd: 0.0003,
    latencyMs: 1234,
    attempts: 1,
    calibrationVersion: 'cal-1',
    recordedAt: '2024-03-05T10:00:00.000Z',
    ...overrides,
  };
}

function withoutOptional(record: UsageRecord): UsageRecord {
  const copy = { ...record };
  delete copy.cachedPromptTokens;
  delete copy.wordLimit;
  delete copy.rawCompliant;
  delete copy.predictedTokens;
  delete copy.costUsd;
  delete copy.calibrationVersion;
  return copy;
}

describe('recordUsage', () => {
  test('a second write of the same callId is ignored and reports inserted: false', () => {
    const store = openUsageStore(':memory:');
    const record = makeRecord({ callId: 'wf/market_analyst/0', completionTokens: 200 });
    assert.deepEqual(store.recordUsage(record), { inserted: true });
    // A retried track activity may carry different numbers (e.g. a later clock); the first write wins.
    assert.deepEqual(
      store.recordUsage({ ...record, completionTokens: 999, recordedAt: '2024-03-06T00:00:00.000Z' }),
      {
        inserted: false,
      },
    );
    const rows = store.listUsage();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.completionTokens, 200);
    assert.equal(rows[0]?.recordedAt, '2024-03-05T10:00:00.000Z');
    store.close();
  });

  test('records read back equal to what was written, with absent optional fields still absent', () => {
    const store = openUsageStore(':memory:');
    const full = makeRecord({ truncated: true, rawCompliant: false });
    const sparse = withoutOptional(makeRecord({ agent: 'trader', recordedAt: '2024-03-05T11:00:00.000Z' }));
    store.recordUsage(full);
    store.recordUsage(sparse);
    assert.deepEqual(store.listUsage(), [full, sparse]);
    store.close();
  });

  test('stamps recordedAt from the clock when missing and normalises other time zones to UTC', () => {
    const store = openUsageStore(':memory:', { now: () => new Date('2024-05-01T08:30:00Z') });
    const unstamped = makeRecord();
    delete unstamped.recordedAt;
    store.recordUsage(unstamped);
    store.recordUsage(makeRecord({ recordedAt: '2024-05-01T12:00:00+02:00' }));
    assert.deepEqual(
      store.listUsage().map((record) => record.recordedAt),
      ['2024-05-01T08:30:00.000Z', '2024-05-01T10:00:00.000Z'],
    );
    store.close();
  });

  test('refuses a record with an unknown agent, a negative count or a bad timestamp', () => {
    const store = openUsageStore(':memory:');
    assert.throws(() => store.recordUsage(makeRecord({ agent: 'janitor' as UsageRecord['agent'] })), {
      name: 'UsageStoreError',
      message: /unknown agent "janitor"/,
    });
    assert.throws(
      () => store.recordUsage(makeRecord({ completionTokens: -1 })),
      /completionTokens must be a non-negative integer/,
    );
    assert.throws(() => store.recordUsage(makeRecord({ recordedAt: 'yesterday' })), UsageStoreError);
    assert.equal(store.listUsage().length, 0);
    store.close();
  });
});

describe('listUsage', () => {
  test('filters by workflow, agent and time; a limit keeps the latest records, oldest first', () => {
    const store = openUsageStore(':memory:');
    const times = [
      '2024-03-01T00:00:00.000Z',
      '2024-03-02T00:00:00.000Z',
      '2024-03-03T00:00:00.000Z',
      '2024-03-04T00:00:00.000Z',
    ];
    // Written out of time order on purpose: order must come from recordedAt, not insertion.
    for (const index of [2, 0, 3, 1]) {
      store.recordUsage(
        makeRecord({
          recordedAt: times[index],
          workflowId: index < 2 ? 'wf-a' : 'wf-b',
          agent: index % 2 ? 'trader' : 'news_analyst',
        }),
      );
    }
    assert.deepEqual(
      store.listUsage().map((record) => record.recordedAt),
      times,
    );
    assert.deepEqual(
      store.listUsage({ limit: 2 }).map((record) => record.recordedAt),
      times.slice(2),
    );
    assert.deepEqual(
      store.listUsage({ workflowId: 'wf-a' }).map((record) => record.recordedAt),
      times.slice(0, 2),
    );
    assert.deepEqual(
      store.listUsage({ agent: 'trader' }).map((record) => record.recordedAt),
      [times[1], times[3]],
    );
    assert.deepEqual(
      store.listUsage({ since: '2024-03-03' }).map((record) => record.recordedAt),
      times.slice(2),
    );
    assert.throws(() => store.listUsage({ limit: -1 }), /limit must be a non-negative integer/);
    store.close();
  });
});

describe('agentStatistics', () => {
  test('computes means, medians, rates, MAPE and cost from known rows', () => {
    const store = openUsageStore(':memory:');
    const market: Array<Partial<UsageRecord>> = [
      {
        promptTokens: 1000,
        completionTokens: 100,
        predictedTokens: 110,
        rawCompliant: true,
        truncated: false,
        costUsd: 0.001,
        lostTokens: 0,
        latencyMs: 100,
        words: 80,
      },
      {
        promptTokens: 1200,
        completionTokens: 200,
        predictedTokens: 180,
        rawCompliant: false,
        truncated: false,
        costUsd: 0.002,
        lostTokens: 50,
        latencyMs: 200,
        words: 160,
      },
      {
        promptTokens: 1100,
        completionTokens: 600,
        predictedTokens: 300,
        rawCompliant: undefined,
        truncated: true,
        costUsd: undefined,
        lostTokens: 0,
        latencyMs: 600,
        words: 300,
      },
    ];
    for (const overrides of market) store.recordUsage(makeRecord({ agent: 'market_analyst', ...overrides }));
    // Trader: an even number of rows (median averages the middle two) and no predictions.
    for (const completionTokens of [40, 10, 30, 20]) {
      store.recordUsage(
        withoutOptional(
          makeRecord({ agent: 'trader', completionTokens, promptTokens: completionTokens * 10 }),
        ),
      );
    }

    const statistics = store.agentStatistics();
    assert.deepEqual(
      statistics.map((entry) => entry.agent),
      ['market_analyst', 'trader'],
    );
    const [marketStatistics, traderStatistics] = statistics;
    assert.ok(marketStatistics && traderStatistics);
    assert.equal(marketStatistics.calls, 3);
    assert.equal(marketStatistics.meanPromptTokens, 1100);
    assert.equal(marketStatistics.medianPromptTokens, 1100);
    assert.equal(marketStatistics.meanCompletionTokens, 300);
    assert.equal(marketStatistics.medianCompletionTokens, 200);
    assert.equal(marketStatistics.meanWords, (80 + 160 + 300) / 3);
    assert.equal(marketStatistics.rawComplianceRate, 0.5);
    assert.equal(marketStatistics.truncationRate, 1 / 3);
    assert.equal(marketStatistics.predictedCalls, 3);
    assert.ok(Math.abs((marketStatistics.meanPredictedTokens ?? 0) - 590 / 3) < 1e-9);
    assert.equal(marketStatistics.meanActualCompletionTokens, 300);
    // |110-100|/100 = 0.1, |180-200|/200 = 0.1, |300-600|/600 = 0.5
    assert.ok(Math.abs((marketStatistics.mape ?? 0) - 0.7 / 3) < 1e-12);
    assert.ok(Math.abs(marketStatistics.totalCostUsd - 0.003) < 1e-12);
    assert.equal(marketStatistics.callsWithoutCost, 1);
    assert.equal(marketStatistics.totalLostTokens, 50);
    assert.equal(marketStatistics.meanLatencyMs, 300);

    assert.equal(traderStatistics.calls, 4);
    assert.equal(traderStatistics.medianCompletionTokens, 25);
    assert.equal(traderStatistics.meanCompletionTokens, 25);
    assert.equal(traderStatistics.medianPromptTokens, 250);
    assert.equal(traderStatistics.rawComplianceRate, undefined);
    assert.equal(traderStatistics.mape, undefined);
    assert.equal(traderStatistics.predictedCalls, 0);
    assert.equal(traderStatistics.totalCostUsd, 0);
    assert.equal(traderStatistics.callsWithoutCost, 4);
    store.close();
  });

  test('filters by mode, provider, model and time', () => {
    const store = openUsageStore(':memory:');
    store.recordUsage(
      makeRecord({ mode: 'baseline', completionTokens: 900, recordedAt: '2024-03-01T00:00:00.000Z' }),
    );
    store.recordUsage(
      makeRecord({ mode: 'optimized', completionTokens: 100, recordedAt: '2024-03-02T00:00:00.000Z' }),
    );
    store.recordUsage(
      makeRecord({
        mode: 'optimized',
        provider: 'local',
        model: 'smollm2',
        completionTokens: 50,
        recordedAt: '2024-03-03T00:00:00.000Z',
      }),
    );
    assert.equal(store.agentStatistics({ mode: 'baseline' })[0]?.meanCompletionTokens, 900);
    assert.equal(store.agentStatistics({ mode: 'optimized' })[0]?.meanCompletionTokens, 75);
    assert.equal(store.agentStatistics({ provider: 'local' })[0]?.meanCompletionTokens, 50);
    assert.equal(store.agentStatistics({ model: 'gpt-4o-mini' })[0]?.calls, 2);
    assert.equal(store.agentStatistics({ since: '2024-03-02T00:00:00Z' })[0]?.calls, 2);
    assert.equal(store.agentStatistics({ until: '2024-03-02' })[0]?.calls, 1);
    assert.deepEqual(store.agentStatistics({ model: 'none' }), []);
    store.close();
  });
});

describe('completionHistory', () => {
  test('returns the latest counts newest last, and can leave out truncated answers', () => {
    const store = openUsageStore(':memory:');
    const counts = [120, 80, 400, 95, 110];
    counts.forEach((completionTokens, index) => {
      store.recordUsage(
        makeRecord({
          agent: 'news_analyst',
          completionTokens,
          truncated: completionTokens === 400,
          recordedAt: `2024-03-0${index + 1}T00:00:00.000Z`,
        }),
      );
    });
    store.recordUsage(makeRecord({ agent: 'trader', completionTokens: 7 }));
    assert.deepEqual(store.completionHistory('news_analyst', 10), counts);
    assert.deepEqual(store.completionHistory('news_analyst', 3), [400, 95, 110]);
    assert.deepEqual(store.completionHistory('news_analyst', 3, { excludeTruncated: true }), [80, 95, 110]);
    assert.deepEqual(store.completionHistory('news_analyst', 10, { mode: 'baseline' }), []);
    assert.deepEqual(store.completionHistory('trader', 10), [7]);
    store.close();
  });
});

describe('dailyReport', () => {
  test('sums one UTC day and leaves the neighbouring days out', () => {
    const store = openUsageStore(':memory:');
    store.recordUsage(
      makeRecord({ workflowId: 'wf-before', recordedAt: '2024-03-04T23:59:59.999Z', promptTokens: 99999 }),
    );
    store.recordUsage(
      makeRecord({ workflowId: 'wf-after', recordedAt: '2024-03-06T00:00:00.000Z', promptTokens: 99999 }),
    );
    store.recordUsage(
      makeRecord({
        workflowId: 'wf-1',
        agent: 'market_analyst',
        mode: 'optimized',
        recordedAt: '2024-03-05T00:00:00.000Z',
        promptTokens: 1000,
        completionTokens: 200,
        cachedPromptTokens: 100,
        lostTokens: 50,
        costUsd: 0.01,
        rawCompliant: true,
        truncated: false,
        finishReason: 'stop',
      }),
    );
    store.recordUsage(
      makeRecord({
        workflowId: 'wf-1',
        agent: 'trader',
        mode: 'optimized',
        recordedAt: '2024-03-05T12:00:00.000Z',
        promptTokens: 2000,
        completionTokens: 100,
        cachedPromptTokens: undefined,
        lostTokens: 0,
        costUsd: undefined,
        rawCompliant: false,
        truncated: true,
        finishReason: 'repetition',
      }),
    );
    store.recordUsage(
      makeRecord({
        workflowId: 'wf-2',
        agent: 'trader',
        mode: 'baseline',
        recordedAt: '2024-03-05T23:59:59.000Z',
        promptTokens: 5000,
        completionTokens: 300,
        cachedPromptTokens: 0,
        lostTokens: 0,
        costUsd: 0.02,
        rawCompliant: undefined,
        truncated: false,
      }),
    );
    const run = (overrides: Partial<RunSummary>): RunSummary => ({
      workflowId: 'wf-1',
      ticker: 'AAPL',
      date: '2024-03-01',
      mode: 'optimized',
      decision: 'BUY',
      totalTokens: 3350,
      budgetStatus: 'within',
      startedAt: '2024-03-05T00:00:00.000Z',
      finishedAt: '2024-03-05T12:00:01.000Z',
      ...overrides,
    });
    store.recordRun(run({ promptTokens: 3000, originalPromptTokens: 6000 }));
    store.recordRun(
      run({
        workflowId: 'wf-2',
        mode: 'baseline',
        decision: 'HOLD',
        budgetStatus: 'exhausted',
        promptTokens: 5000,
        originalPromptTokens: 4000,
      }),
    );
    store.recordRun(run({ workflowId: 'wf-3', decision: undefined, budgetStatus: 'failed' }));
    store.recordRun(
      run({
        workflowId: 'wf-old',
        finishedAt: '2024-03-04T10:00:00.000Z',
        originalPromptTokens: 1_000_000,
        promptTokens: 1,
      }),
    );

    const report = store.dailyReport('2024-03-05');
    assert.equal(report.day, '2024-03-05');
    assert.equal(report.runs, 2);
    assert.equal(report.finishedRuns, 3);
    assert.equal(report.calls, 3);
    assert.equal(report.promptTokens, 8000);
    assert.equal(report.completionTokens, 600);
    assert.equal(report.cachedPromptTokens, 100);
    assert.equal(report.lostTokens, 50);
    assert.equal(report.totalTokens, 8650);
    assert.ok(Math.abs(report.costUsd - 0.03) < 1e-12);
    assert.equal(report.callsWithoutCost, 1);
    assert.equal(report.rawComplianceRate, 0.5);
    assert.equal(report.truncationRate, 1 / 3);
    // (3000 + 5000) sent against (6000 + 4000) before optimization.
    assert.ok(Math.abs((report.promptReduction ?? 0) - 0.2) < 1e-12);
    assert.deepEqual(report.byMode, {
      optimized: { runs: 1, calls: 2, totalTokens: 3350, costUsd: 0.01 },
      baseline: { runs: 1, calls: 1, totalTokens: 5300, costUsd: 0.02 },
    });
    assert.deepEqual(report.budgetStatuses, { within: 1, exhausted: 1, failed: 1 });
    assert.deepEqual(report.decisions, { BUY: 1, HOLD: 1, none: 1 });
    assert.deepEqual(report.finishReasons, { stop: 1, repetition: 1 }, 'the call without one is left out');
    assert.deepEqual(
      report.perAgent.map((entry) => [entry.agent, entry.calls]),
      [
        ['market_analyst', 1],
        ['trader', 2],
      ],
    );
    store.close();
  });

  test('an empty day reports zeros and no rates; a malformed day is refused', () => {
    const store = openUsageStore(':memory:');
    const report = store.dailyReport('2024-12-31');
    assert.equal(report.calls, 0);
    assert.equal(report.totalTokens, 0);
    assert.equal(report.rawComplianceRate, undefined);
    assert.equal(report.promptReduction, undefined);
    assert.deepEqual(report.perAgent, []);
    assert.throws(() => store.dailyReport('5 March'), /pass it as YYYY-MM-DD/);
    store.close();
  });
});

describe('runs', () => {
  test('recordRun upserts by workflowId and listRuns returns newest first with filters', () => {
    const store = openUsageStore(':memory:');
    const base: RunSummary = {
      workflowId: 'wf-1',
      ticker: 'AAPL',
      date: '2024-03-01',
      mode: 'optimized',
      totalTokens: 100,
      budgetStatus: 'running',
      startedAt: '2024-03-05T00:00:00.000Z',
    };
    store.recordRun(base);
    const finished: RunSummary = {
      ...base,
      totalTokens: 31000,
      costUsd: 0.12,
      decision: 'SELL',
      budgetStatus: 'within',
      calibrationVersion: 'cal-3',
      finishedAt: '2024-03-05T00:05:00.000Z',
    };
    store.recordRun(finished);
    store.recordRun({
      ...base,
      workflowId: 'wf-2',
      ticker: 'MSFT',
      mode: 'baseline',
      startedAt: '2024-03-06T00:00:00.000Z',
    });
    assert.deepEqual(store.getRun('wf-1'), finished);
    assert.deepEqual(
      store.listRuns().map((run) => run.workflowId),
      ['wf-2', 'wf-1'],
    );
    assert.deepEqual(store.listRuns({ ticker: 'AAPL' }), [finished]);
    assert.deepEqual(
      store.listRuns({ mode: 'baseline' }).map((run) => run.workflowId),
      ['wf-2'],
    );
    assert.deepEqual(
      store.listRuns({ since: '2024-03-06' }).map((run) => run.workflowId),
      ['wf-2'],
    );
    assert.equal(store.listRuns({ limit: 1 }).length, 1);
    assert.equal(store.getRun('missing'), undefined);
    store.close();
  });
});

describe('calibrations', () => {
  const agents = {
    market_analyst: { wordLimit: 280, allocation: 2800, tokensPerWord: 1.31, expectedCompletionTokens: 350 },
    trader: { wordLimit: 150, allocation: 1500, tokensPerWord: 1.28 },
  };

  test('versions round trip; the latest saved is active; a re-saved version is a no-op; activation rolls back', () => {
    const store = openUsageStore(':memory:');
    assert.equal(store.activeCalibration(), undefined);
    const first = {
      version: 'cal-2024-03-05T00',
      createdAt: '2024-03-05T00:00:00.000Z',
      reasons: ['initial'],
      agents,
    };
    const second = {
      version: 'cal-2024-03-06T00',
      createdAt: '2024-03-06T00:00:00.000Z',
      reasons: ['market_analyst: 40% of answers truncated; loosened word limit 280 -> 300'],
      agents: { ...agents, market_analyst: { wordLimit: 300, allocation: 3000, tokensPerWord: 1.3 } },
    };
    store.saveCalibration(first);
    assert.deepEqual(store.activeCalibration(), first);
    store.saveCalibration(second);
    assert.deepEqual(store.activeCalibration(), second);
    store.saveCalibration({ ...first, reasons: ['changed on retry'] });
    assert.deepEqual(store.activeCalibration(), second, 're-saving an old version must not re-activate it');
    assert.deepEqual(store.listCalibrations(10), [second, first]);
    assert.deepEqual(store.listCalibrations(1), [second]);
    store.activateCalibration(first.version);
    assert.deepEqual(store.activeCalibration(), first);
    assert.throws(() => store.activateCalibration('cal-missing'), /does not exist/);
    assert.throws(
      () =>
        store.saveCalibration({
          version: 'cal-bad',
          createdAt: '2024-03-07T00:00:00.000Z',
          reasons: [],
          agents: { janitor: agents.trader } as never,
        }),
      /unknown agents \(janitor\)/,
    );
    assert.equal(store.listCalibrations(10).length, 2);
    store.close();
  });
});

describe('openUsageStore on disk', () => {
  test('creates the folder, uses WAL, records the schema version and keeps data across reopen', () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'tokenflow-store-'));
    try {
      const file = path.join(folder, 'nested', 'deeper', 'usage.db');
      const store = openUsageStore(file);
      assert.equal(store.file, file);
      assert.ok(existsSync(file));
      store.recordUsage(makeRecord({ callId: 'persisted' }));
      store.close();
      store.close();

      const raw = new Database(file, { readonly: true });
      assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(raw.pragma('user_version', { simple: true }), MIGRATIONS.length);
      raw.close();

      const reopened = openUsageStore(file);
      assert.deepEqual(
        reopened.listUsage().map((record) => record.callId),
        ['persisted'],
      );
      assert.deepEqual(reopened.recordUsage(makeRecord({ callId: 'persisted' })), { inserted: false });
      reopened.close();
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  test('upgrades a database of the second schema in place: old calls kept, estimates named, keyed by run from then on', () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'tokenflow-store-'));
    try {
      const file = path.join(folder, 'usage.db');
      // A database as tokenflow wrote it before the ledger kept attempts and runs apart.
      const raw = new Database(file);
      raw.exec(MIGRATIONS[0] ?? '');
      raw.exec(MIGRATIONS[1] ?? '');
      raw.pragma('user_version = 2');
      raw
        .prepare(
          `INSERT INTO usage_records (call_id, workflow_id, run_id, ticker, agent, round, mode, provider, model,
             prompt_tokens, completion_tokens, lost_tokens, usage_source, raw_words, words, truncated, max_tokens,
             latency_ms, attempts, recorded_at, finish_reason)
           VALUES ('wf/market_analyst/1', 'wf', 'run-1', 'AAPL', 'market_analyst', 1, 'optimized', 'openai',
             'gpt-4o-mini', 900, 100, 0, 'counted', 80, 80, 0, 300, 1000, 1, '2024-03-05T10:00:00.000Z', 'limit')`,
        )
        .run();
      raw.close();

      const upgraded = openUsageStore(file);
      const [old] = upgraded.listUsage();
      assert.equal(old?.callId, 'wf/market_analyst/1');
      assert.equal(old?.usageSource, 'estimated', 'what older records called counted is an estimate');
      assert.equal(old?.finishReason, 'limit');
      // The same call id in another run of the workflow (a reset, a reused id) is a call of its own.
      const again = makeRecord({
        callId: 'wf/market_analyst/1',
        workflowId: 'wf',
        runId: 'run-2',
        attemptRecords: [
          { attempt: 1, outcome: 'lost', promptTokens: 900, completionTokens: 40, source: 'estimated' },
          { attempt: 2, outcome: 'completed', promptTokens: 905, completionTokens: 120, source: 'server' },
        ],
      });
      assert.deepEqual(upgraded.recordUsage(again), { inserted: true });
      assert.deepEqual(upgraded.recordUsage(again), { inserted: false }, 'a retried write is still a no-op');
      assert.deepEqual(
        upgraded
          .listUsage({ workflowId: 'wf' })
          .map((record) => [record.runId, record.attemptRecords?.length]),
        [
          ['run-1', undefined],
          ['run-2', 2],
        ],
      );
      assert.deepEqual(
        upgraded.listAttempts('wf').map((entry) => [entry.runId, entry.attempt, entry.outcome, entry.source]),
        [
          ['run-2', 1, 'lost', 'estimated'],
          ['run-2', 2, 'completed', 'server'],
        ],
      );
      upgraded.close();
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  test('a calibration keeps the tokenizer drift it learned per model', () => {
    const store = openUsageStore(':memory:');
    try {
      const drift = {
        prompt: { serverTokens: 1150, localTokens: 1000, samples: 3 },
        completion: { serverTokens: 420, localTokens: 400, samples: 3 },
      };
      store.saveCalibration({
        version: 'cal-drift',
        createdAt: '2024-03-05T10:00:00.000Z',
        reasons: [],
        agents: {},
        tokenizerDrift: { 'gpt-4o-mini': drift },
      });
      assert.deepEqual(store.activeCalibration()?.tokenizerDrift, { 'gpt-4o-mini': drift });
    } finally {
      store.close();
    }
  });

  test('refuses an attempt with an unknown outcome, naming the field', () => {
    const store = openUsageStore(':memory:');
    try {
      const bad = makeRecord({
        attemptRecords: [
          // @ts-expect-error: an outcome outside the vocabulary, as a buggy caller could send.
          { attempt: 1, outcome: 'exploded', promptTokens: 1, completionTokens: 1, source: 'server' },
        ],
      });
      assert.throws(() => store.recordUsage(bad), /attemptRecords\[0\]\.outcome must be one of/);
      assert.equal(store.listUsage().length, 0, 'nothing half-written');
    } finally {
      store.close();
    }
  });

  test('refuses a database written by a newer schema', () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'tokenflow-store-'));
    try {
      const file = path.join(folder, 'usage.db');
      const raw = new Database(file);
      raw.pragma('user_version = 99');
      raw.close();
      assert.throws(() => openUsageStore(file), /schema version 99 is newer/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
