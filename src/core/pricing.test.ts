import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MODELS } from '../config/defaults';
import { costUsd, formatUsd } from './pricing';

const gpt4oMini = DEFAULT_MODELS['gpt-4o-mini']!;

describe('cost', () => {
  test('bills cached input at the cached price and the rest at the input price', () => {
    // 1,000,000 input of which 400,000 cached, 100,000 output at gpt-4o-mini prices:
    // 600,000 x 0.15 + 400,000 x 0.075 + 100,000 x 0.6, per million = 0.09 + 0.03 + 0.06.
    const cost = costUsd(
      { inputTokens: 1_000_000, cachedInputTokens: 400_000, outputTokens: 100_000 },
      gpt4oMini,
    );
    assert.ok(cost !== undefined);
    assert.ok(Math.abs(cost - 0.18) < 1e-12, `got ${cost}`);
  });

  test('unknown cached tokens are billed as uncached input', () => {
    const cost = costUsd(
      { inputTokens: 2000, outputTokens: 500 },
      { inputPerMillion: 2.5, cachedInputPerMillion: 1.25, outputPerMillion: 10 },
    );
    assert.ok(Math.abs(cost! - (2000 * 2.5 + 500 * 10) / 1e6) < 1e-15);
  });

  test('is unknown when input or output tokens are unknown', () => {
    assert.equal(costUsd({ inputTokens: 100 }, gpt4oMini), undefined);
    assert.equal(costUsd({ outputTokens: 100 }, gpt4oMini), undefined);
  });

  test('a cached count above the input count is clamped instead of producing a negative bill', () => {
    const cost = costUsd({ inputTokens: 100, cachedInputTokens: 500, outputTokens: 0 }, gpt4oMini);
    assert.ok(Math.abs(cost! - (100 * 0.075) / 1e6) < 1e-18);
  });

  test('the local model is free but its cost is known', () => {
    assert.equal(
      costUsd({ inputTokens: 5000, outputTokens: 300 }, DEFAULT_MODELS['smollm2-135m-instruct']!),
      0,
    );
  });

  test('a model on a machine with a price per hour also costs its model time', () => {
    const local = { ...DEFAULT_MODELS['smollm2-135m-instruct']!, perHour: 0.36 };
    // 0.36 USD an hour is 0.0001 USD a second: 10 s of generation cost 0.001 USD, tokens nothing.
    assert.equal(costUsd({ inputTokens: 5000, outputTokens: 300 }, local, 10_000), 0.001);
    const hosted = { ...gpt4oMini, perHour: 0.36 };
    const tokensOnly = costUsd({ inputTokens: 1_000_000, outputTokens: 0 }, gpt4oMini) ?? 0;
    assert.ok(
      Math.abs(
        (costUsd({ inputTokens: 1_000_000, outputTokens: 0 }, hosted, 10_000) ?? 0) - (tokensOnly + 0.001),
      ) < 1e-12,
      'both: tokens and time',
    );
    assert.equal(
      costUsd({ inputTokens: 5000, outputTokens: 300 }, local),
      undefined,
      'no model time, no cost',
    );
    assert.equal(costUsd({ inputTokens: 5000, outputTokens: 300 }, local, Number.NaN), undefined);
    assert.equal(
      costUsd({ inputTokens: 5000, outputTokens: 300 }, gpt4oMini, Number.NaN),
      (5000 * 0.15 + 300 * 0.6) / 1e6,
      'without a price per hour the time is not needed',
    );
  });

  test('formats by magnitude and says when the cost is unknown', () => {
    assert.equal(formatUsd(undefined), 'unknown');
    assert.equal(formatUsd(0), '$0.00');
    assert.equal(formatUsd(12.345), '$12.35');
    assert.equal(formatUsd(0.0456), '$0.0456');
    assert.equal(formatUsd(0.000123), '$0.000123');
  });
});
