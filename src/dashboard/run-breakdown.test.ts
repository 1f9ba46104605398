import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttemptRecord } from '../core/ledger';
import { makeRecord, withoutOptional } from '../storage/test-fixtures';
import { callLabel, callTokensChart, predictionChart } from './charts';
import { runBreakdown } from './run-breakdown';

const workflowId = 'analysis-SPX-1';

function attempt(number: number, outcome: AttemptRecord['outcome'], tokens: [number, number]): AttemptRecord {
  return {
    attempt: number,
    outcome,
    promptTokens: tokens[0],
    completionTokens: tokens[1],
    source: outcome === 'completed' ? 'server' : 'estimated',
    ...(outcome === 'failed' ? { failureType: 'StreamDropped' } : {}),
  };
}

describe('where a run’s tokens went', () => {
  const market = makeRecord({
    workflowId,
    agent: 'market_analyst',
    promptTokens: 1000,
    completionTokens: 200,
    cachedPromptTokens: 100,
    predictedTokens: 250,
    costUsd: 0.001,
  });
  const news = makeRecord({
    workflowId,
    agent: 'news_analyst',
    promptTokens: 800,
    completionTokens: 100,
    lostTokens: 450,
    rawCompliant: false,
    truncated: true,
    predictedTokens: 80,
    attempts: 2,
    costUsd: 0.002,
    // As the ledger may return them: not in attempt order.
    attemptRecords: [attempt(2, 'completed', [800, 100]), attempt(1, 'failed', [400, 50])],
  });
  // A call of a model without a price, and without cached or predicted figures.
  const trader = withoutOptional(
    makeRecord({ workflowId, agent: 'trader', promptTokens: 500, completionTokens: 50 }),
  );
  // Recorded in pipeline order except the trader first: calls keep the ledger's order, agents the roster's.
  const breakdown = runBreakdown([trader, market, news]);

  test('each call: its tokens add up, its prediction error is signed, its attempts in order, recorded with the call', () => {
    const [traderCall, marketCall, newsCall] = breakdown.calls;
    assert.equal(traderCall?.totalTokens, 550);
    assert.equal(traderCall?.cachedPromptTokens, undefined, 'unknown cached tokens stay unknown');
    assert.equal(traderCall?.predictionError, undefined);
    assert.equal(marketCall?.predictionError, 0.25);
    assert.equal(newsCall?.totalTokens, 800 + 100 + 450);
    assert.equal(newsCall?.predictionError, -0.2);
    assert.deepEqual(
      newsCall?.attempts.map((entry) => [entry.attempt, entry.outcome, entry.failureType]),
      [
        [1, 'failed', 'StreamDropped'],
        [2, 'completed', undefined],
      ],
    );
    assert.ok(newsCall?.attempts.every((entry) => entry.recordedAt === news.recordedAt));
    assert.deepEqual(marketCall?.attempts, [], 'a call without attempt entries has none');
  });

  test('per agent in roster order, and totals over every call', () => {
    assert.deepEqual(
      breakdown.agents.map((agent) => [agent.agent, agent.totalTokens]),
      [
        ['market_analyst', 1200],
        ['news_analyst', 1350],
        ['trader', 550],
      ],
    );
    assert.equal(breakdown.totals.calls, 3);
    assert.equal(breakdown.totals.promptTokens, 2300);
    assert.equal(breakdown.totals.completionTokens, 350);
    assert.equal(breakdown.totals.lostTokens, 450);
    assert.equal(breakdown.totals.totalTokens, 3100);
    assert.equal(breakdown.totals.cachedPromptTokens, 200, 'the known cached counts');
    assert.ok(Math.abs((breakdown.totals.costUsd ?? 0) - 0.003) < 1e-12);
    assert.equal(breakdown.totals.callsWithoutCost, 1);
  });

  test('compliance over the calls with a word limit, prediction error over those with a prediction', () => {
    assert.deepEqual(breakdown.compliance, { judged: 2, compliant: 1, rate: 0.5, truncated: 1 });
    assert.equal(breakdown.prediction.predictedCalls, 2);
    assert.equal(breakdown.prediction.predictedTokens, 330);
    assert.equal(breakdown.prediction.actualTokens, 300);
    assert.ok(Math.abs((breakdown.prediction.meanAbsolutePercentageError ?? 0) - 0.225) < 1e-12);
  });

  test('no records: zero calls, no rates', () => {
    const empty = runBreakdown([]);
    assert.equal(empty.totals.totalTokens, 0);
    assert.equal(empty.totals.cachedPromptTokens, undefined);
    assert.equal(empty.compliance.rate, undefined);
    assert.equal(empty.prediction.meanAbsolutePercentageError, undefined);
  });

  test('the charts stack each call to what it put on the bill and pair predicted with actual', () => {
    const chart = callTokensChart(breakdown);
    assert.deepEqual(chart.data.labels, breakdown.calls.map(callLabel));
    breakdown.calls.forEach((call, index) => {
      const stacked = chart.data.datasets.reduce((sum, dataset) => sum + (dataset.data[index] ?? 0), 0);
      assert.equal(stacked, call.totalTokens, callLabel(call));
    });
    const prediction = predictionChart(breakdown);
    assert.deepEqual(
      prediction.data.datasets.map((dataset) => dataset.data),
      [
        [250, 80],
        [200, 100],
      ],
    );
    assert.equal(
      callLabel({ agent: 'risk_manager', round: 1, callId: 'w/risk_manager/1/repair' }),
      'risk_manager round 1 (decision repair)',
    );
  });
});
