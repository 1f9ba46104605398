import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UsageRecord } from '../core/types';
import { readExposition, samplesOf, sumOf } from './read-exposition';
import { createTokenflowMetrics } from './tokenflow-metrics';

function record(overrides: Partial<UsageRecord> = {}): UsageRecord {
  return {
    callId: 'run-a/news_analyst/0',
    workflowId: 'run-a',
    runId: 'r1',
    ticker: 'SPX',
    agent: 'news_analyst',
    round: 0,
    mode: 'optimized',
    provider: 'openai',
    model: 'gpt-4o-mini',
    promptTokens: 900,
    completionTokens: 120,
    cachedPromptTokens: 300,
    lostTokens: 450,
    usageSource: 'server',
    rawWords: 95,
    words: 90,
    wordLimit: 100,
    rawCompliant: true,
    truncated: false,
    predictedTokens: 150,
    maxTokens: 400,
    costUsd: 0.0004,
    latencyMs: 2500,
    attempts: 2,
    attemptRecords: [
      { attempt: 1, outcome: 'failed', promptTokens: 400, completionTokens: 50, source: 'estimated' },
      { attempt: 2, outcome: 'completed', promptTokens: 900, completionTokens: 120, source: 'server' },
    ],
    finishReason: 'stop',
    ...overrides,
  };
}

const CALL = { agent: 'news_analyst', model: 'gpt-4o-mini', mode: 'optimized', provider: 'openai' };

async function scrape(metrics: ReturnType<typeof createTokenflowMetrics>) {
  return readExposition(await metrics.exposition());
}

describe('tokenflow metrics', () => {
  test('a recorded call shows up as its ledger columns, OpenTelemetry token usage per request, cost, compliance and prediction error', async () => {
    const metrics = createTokenflowMetrics({ processMetrics: false });
    metrics.recordUsage(record());
    const samples = await scrape(metrics);

    assert.equal(sumOf(samples, 'tokenflow_tokens_total', { ...CALL, token_type: 'prompt' }), 900);
    assert.equal(sumOf(samples, 'tokenflow_tokens_total', { ...CALL, token_type: 'cached_prompt' }), 300);
    assert.equal(sumOf(samples, 'tokenflow_tokens_total', { ...CALL, token_type: 'completion' }), 120);
    assert.equal(sumOf(samples, 'tokenflow_tokens_total', { ...CALL, token_type: 'lost' }), 450);
    assert.equal(sumOf(samples, 'tokenflow_calls_total', CALL), 1);

    const request = {
      gen_ai_operation_name: 'chat',
      gen_ai_provider_name: 'openai',
      gen_ai_request_model: 'gpt-4o-mini',
      agent: 'news_analyst',
      mode: 'optimized',
    };
    // Both attempts are requests the provider billed: their sum is the ledger's prompt + completion + lost.
    const input = { ...request, gen_ai_token_type: 'input' };
    const output = { ...request, gen_ai_token_type: 'output' };
    assert.equal(sumOf(samples, 'gen_ai_client_token_usage_sum', input), 1300);
    assert.equal(sumOf(samples, 'gen_ai_client_token_usage_sum', output), 170);
    assert.equal(sumOf(samples, 'gen_ai_client_token_usage_count', input), 2);
    assert.equal(sumOf(samples, 'gen_ai_client_token_usage_bucket', { ...input, le: '256' }), 0);
    assert.equal(sumOf(samples, 'gen_ai_client_token_usage_bucket', { ...input, le: '1024' }), 2);

    assert.ok(Math.abs(sumOf(samples, 'tokenflow_cost_usd_total', CALL) - 0.0004) < 1e-12);
    assert.equal(sumOf(samples, 'tokenflow_word_limit_calls_total', CALL), 1);
    assert.equal(sumOf(samples, 'tokenflow_word_limit_compliant_calls_total', CALL), 1);
    assert.equal(sumOf(samples, 'tokenflow_prediction_error_ratio_count', CALL), 1);
    assert.equal(sumOf(samples, 'tokenflow_prediction_error_ratio_sum', CALL), 30 / 120);
    assert.equal(sumOf(samples, 'tokenflow_stream_stops_total', { ...CALL, finish_reason: 'stop' }), 1);
  });

  test('unknown stays unknown: no cached tokens, cost, compliance or prediction is invented for a record without them', async () => {
    const metrics = createTokenflowMetrics({ processMetrics: false });
    const bare = record({ attemptRecords: undefined, lostTokens: 0 });
    delete bare.cachedPromptTokens;
    delete bare.costUsd;
    delete bare.rawCompliant;
    delete bare.predictedTokens;
    delete bare.finishReason;
    metrics.recordUsage(bare);
    const samples = await scrape(metrics);

    assert.equal(samplesOf(samples, 'tokenflow_tokens_total', { token_type: 'cached_prompt' }).length, 0);
    assert.equal(samplesOf(samples, 'tokenflow_cost_usd_total').length, 0);
    assert.equal(samplesOf(samples, 'tokenflow_word_limit_calls_total').length, 0);
    assert.equal(samplesOf(samples, 'tokenflow_prediction_error_ratio_count').length, 0);
    assert.equal(samplesOf(samples, 'tokenflow_stream_stops_total').length, 0);
    // A record without its attempts counts as one answered request.
    assert.equal(sumOf(samples, 'gen_ai_client_token_usage_sum', { gen_ai_token_type: 'input' }), 900);
    assert.equal(sumOf(samples, 'gen_ai_client_token_usage_count', { gen_ai_token_type: 'input' }), 1);
  });

  test('a call that broke its word limit counts in the denominator only; one with no answer has no prediction error', async () => {
    const metrics = createTokenflowMetrics({ processMetrics: false });
    metrics.recordUsage(record({ rawCompliant: false }));
    metrics.recordUsage(
      record({
        callId: 'x',
        completionTokens: 0,
        promptTokens: 0,
        finishReason: 'failed',
        rawCompliant: true,
      }),
    );
    const samples = await scrape(metrics);
    assert.equal(sumOf(samples, 'tokenflow_word_limit_calls_total', CALL), 2);
    assert.equal(sumOf(samples, 'tokenflow_word_limit_compliant_calls_total', CALL), 1);
    assert.equal(sumOf(samples, 'tokenflow_prediction_error_ratio_count', CALL), 1);
    assert.equal(sumOf(samples, 'tokenflow_stream_stops_total', { ...CALL, finish_reason: 'failed' }), 1);
  });

  test('requests: duration always, time to first chunk when a chunk came, error_type on failures, by mode', async () => {
    const metrics = createTokenflowMetrics({ processMetrics: false });
    const request = {
      agent: 'trader',
      provider: 'local' as const,
      model: 'smollm2-135m-instruct',
      mode: 'optimized',
    };
    metrics.observeRequest({ ...request, durationSeconds: 3, timeToFirstChunkSeconds: 0.4 });
    metrics.observeRequest({ ...request, durationSeconds: 0.05, errorType: 'RateLimited' });
    const samples = await scrape(metrics);
    const labels = {
      gen_ai_operation_name: 'chat',
      gen_ai_provider_name: 'llama_cpp',
      gen_ai_request_model: 'smollm2-135m-instruct',
      agent: 'trader',
      mode: 'optimized',
    };
    assert.equal(sumOf(samples, 'gen_ai_client_operation_duration_seconds_count', labels), 2);
    assert.equal(
      sumOf(samples, 'gen_ai_client_operation_duration_seconds_count', { ...labels, mode: 'baseline' }),
      0,
    );
    const failed = samplesOf(samples, 'gen_ai_client_operation_duration_seconds_count', {
      ...labels,
      error_type: 'RateLimited',
    });
    assert.equal(failed.length, 1);
    assert.equal(sumOf(samples, 'gen_ai_client_operation_time_to_first_chunk_seconds_count', labels), 1);
    assert.equal(sumOf(samples, 'gen_ai_client_operation_time_to_first_chunk_seconds_sum', labels), 0.4);
  });

  test('runs by budget status', async () => {
    const metrics = createTokenflowMetrics({ processMetrics: false });
    const summary = {
      workflowId: 'run-a',
      ticker: 'SPX',
      date: '2020-04-17',
      mode: 'optimized' as const,
      totalTokens: 1000,
      budgetStatus: 'within',
      startedAt: '2024-01-01T00:00:00Z',
    };
    metrics.recordRun(summary);
    metrics.recordRun({ ...summary, workflowId: 'run-b', budgetStatus: 'exhausted' });
    metrics.recordRun({ ...summary, workflowId: 'run-c' });
    const samples = await scrape(metrics);
    assert.equal(sumOf(samples, 'tokenflow_runs_total', { budget_status: 'within', mode: 'optimized' }), 2);
    assert.equal(sumOf(samples, 'tokenflow_runs_total', { budget_status: 'exhausted' }), 1);
  });

  test('per-run budget gauges follow the running runs and vanish with them; a failed look-up costs only them', async () => {
    let running = [
      { workflowId: 'run-a', hardCap: 40000, remaining: 31000 },
      { workflowId: 'run-b', hardCap: 6000, remaining: 500 },
    ];
    let fail = false;
    let lookups = 0;
    const metrics = createTokenflowMetrics({
      processMetrics: false,
      runBudgets: async () => {
        lookups += 1;
        if (fail) throw new Error('Temporal is down');
        return running;
      },
    });
    metrics.recordUsage(record());
    let samples = await scrape(metrics);
    assert.equal(lookups, 1, 'one look-up serves both gauges of a scrape');
    assert.equal(sumOf(samples, 'tokenflow_run_budget_remaining_tokens', { workflow_id: 'run-a' }), 31000);
    assert.equal(sumOf(samples, 'tokenflow_run_budget_hard_cap_tokens', { workflow_id: 'run-b' }), 6000);

    running = [{ workflowId: 'run-b', hardCap: 6000, remaining: 200 }];
    samples = await scrape(metrics);
    assert.equal(
      samplesOf(samples, 'tokenflow_run_budget_remaining_tokens', { workflow_id: 'run-a' }).length,
      0,
    );
    assert.equal(sumOf(samples, 'tokenflow_run_budget_remaining_tokens', { workflow_id: 'run-b' }), 200);

    fail = true;
    samples = await scrape(metrics);
    assert.equal(samplesOf(samples, 'tokenflow_run_budget_remaining_tokens').length, 0);
    assert.equal(sumOf(samples, 'tokenflow_calls_total'), 1, 'the ledger figures still go out');
  });

  test('process metrics are on by default', async () => {
    const samples = await scrape(createTokenflowMetrics());
    assert.ok(samplesOf(samples, 'process_cpu_user_seconds_total').length > 0);
  });
});
