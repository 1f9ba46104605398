import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ALERT_RULE, alertMessage, dayAlerts, runAlerts, type AlertThresholds } from './alerts';
import { dailyReportOf } from './usage-report';
import type { UsageRecord } from './types';

const thresholds: AlertThresholds = {
  budgetUsedFraction: 0.9,
  agentAllocationFraction: 1,
  dailyCostUsd: 1,
  complianceTarget: 0.9,
  predictionErrorFraction: 0.5,
  minimumCalls: 3,
};

function record(index: number, overrides: Partial<UsageRecord> = {}): UsageRecord {
  return {
    callId: `run-${index}/trader/1`,
    workflowId: `run-${index}`,
    runId: 'r',
    ticker: 'SPX',
    agent: 'trader',
    round: 1,
    mode: 'optimized',
    provider: 'openai',
    model: 'gpt-4o-mini',
    promptTokens: 1000,
    completionTokens: 100,
    lostTokens: 0,
    usageSource: 'server',
    rawWords: 80,
    words: 80,
    wordLimit: 100,
    rawCompliant: true,
    truncated: false,
    predictedTokens: 100,
    maxTokens: 200,
    costUsd: 0.1,
    latencyMs: 10,
    attempts: 1,
    recordedAt: '2026-12-01T10:00:00.000Z',
    ...overrides,
  };
}

describe('run alerts', () => {
  const run = {
    workflowId: 'w1',
    day: '2026-12-01',
    budgetStatus: 'within',
    totalTokens: 30_000,
    budgetTokens: 40_000,
  };

  test('a run within its thresholds raises nothing; past the used fraction it raises one keyed alert', () => {
    assert.deepEqual(runAlerts(run, thresholds), []);
    // Exactly at the threshold is not over it.
    assert.deepEqual(runAlerts({ ...run, totalTokens: 36_000 }, thresholds), []);
    const [alert, ...rest] = runAlerts({ ...run, totalTokens: 36_001 }, thresholds);
    assert.deepEqual(rest, []);
    assert.equal(alert?.key, 'run_budget_used:w1');
    assert.equal(alert?.rule, ALERT_RULE.RunBudgetUsed);
    assert.equal(alert?.threshold, 0.9);
    assert.match(alert?.message ?? '', /used 36001 of its 40000 tokens \(90\.0%/);
  });

  test('exhausted and failed runs raise their own rule; cancelled and degraded ones do not', () => {
    assert.deepEqual(
      runAlerts({ ...run, budgetStatus: 'exhausted' }, thresholds).map((alert) => alert.key),
      ['run_exhausted:w1'],
    );
    assert.deepEqual(
      runAlerts({ ...run, budgetStatus: 'failed' }, thresholds).map((alert) => alert.key),
      ['run_failed:w1'],
    );
    assert.deepEqual(runAlerts({ ...run, budgetStatus: 'cancelled' }, thresholds), []);
    assert.deepEqual(runAlerts({ ...run, budgetStatus: 'degraded' }, thresholds), []);
  });

  test('an agent over its allocation (times the fraction) raises an alert per agent', () => {
    const lines = [
      { agent: 'trader', allocation: 1000, spent: 1001 },
      { agent: 'news_analyst', allocation: 1000, spent: 1000 },
    ];
    assert.deepEqual(
      runAlerts({ ...run, lines }, thresholds).map((alert) => [alert.key, alert.agent]),
      [['agent_over_allocation:w1:trader', 'trader']],
    );
    assert.deepEqual(runAlerts({ ...run, lines }, { ...thresholds, agentAllocationFraction: 1.5 }), []);
  });
});

describe('day alerts', () => {
  test("a day's cost over the threshold raises one alert keyed by the day", () => {
    const records = Array.from({ length: 11 }, (_, index) => record(index));
    const alerts = dayAlerts(dailyReportOf('2026-12-01', records, []), thresholds);
    assert.deepEqual(
      alerts.map((alert) => alert.key),
      ['daily_cost:2026-12-01'],
    );
    assert.ok(Math.abs((alerts[0]?.value ?? 0) - 1.1) < 1e-9);
    assert.deepEqual(dayAlerts(dailyReportOf('2026-12-01', records.slice(0, 10), []), thresholds), []);
  });

  test('compliance under target and prediction error over the threshold, only over enough calls', () => {
    const records = [
      record(1, { rawCompliant: false, completionTokens: 300 }),
      record(2, { rawCompliant: false, completionTokens: 300 }),
      record(3, { rawCompliant: true, completionTokens: 300 }),
    ];
    const alerts = dayAlerts(dailyReportOf('2026-12-01', records, []), thresholds);
    assert.deepEqual(
      alerts.map((alert) => alert.key),
      ['compliance_under_target:2026-12-01', 'prediction_error_drift:2026-12-01:trader'],
    );
    // Predicted 100, actual 300: off by two thirds.
    assert.ok(Math.abs((alerts[1]?.value ?? 0) - 2 / 3) < 1e-9);
    assert.deepEqual(dayAlerts(dailyReportOf('2026-12-01', records.slice(0, 2), []), thresholds), []);
  });
});

test("an alert's webhook message is Slack-compatible and ends with its key", () => {
  const [alert] = runAlerts(
    { workflowId: 'w9', day: '2026-12-01', budgetStatus: 'failed', totalTokens: 5 },
    thresholds,
  );
  assert.ok(alert);
  const message = alertMessage(alert, 'http://localhost:8233/namespaces/default/workflows/w9');
  assert.match(
    message.text,
    /^:warning: tokenflow alert \(run_failed\): Run w9 failed .* http:\/\/localhost:8233\/\S+ \[run_failed:w9\]$/,
  );
  assert.deepEqual(message.blocks, [{ type: 'section', text: { type: 'mrkdwn', text: message.text } }]);
});
