// Test data of the usage store's tests.
import type { UsageRecord } from '../core/types';

let sequence = 0;

/** A complete record with every optional field set; tests override what they examine. */
export function makeRecord(overrides: Partial<UsageRecord> = {}): UsageRecord {
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

/** The record without its optional fields, as a caller that knows none of them writes it. */
export function withoutOptional(record: UsageRecord): UsageRecord {
  const copy = { ...record };
  delete copy.cachedPromptTokens;
  delete copy.wordLimit;
  delete copy.rawCompliant;
  delete copy.predictedTokens;
  delete copy.costUsd;
  delete copy.calibrationVersion;
  return copy;
}
