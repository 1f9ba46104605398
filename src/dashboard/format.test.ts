import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatCount,
  formatDuration,
  formatPercent,
  formatSignedPercent,
  formatTimestamp,
  UNKNOWN,
} from './format';

describe('dashboard figures', () => {
  test('unknown stays unknown, zero stays zero', () => {
    assert.equal(formatCount(undefined), UNKNOWN);
    assert.equal(formatCount(0), '0');
    assert.equal(formatCount(1234567), '1,234,567');
    assert.equal(formatPercent(undefined), UNKNOWN);
    assert.equal(formatPercent(0), '0.0%');
    assert.equal(formatPercent(0.1234), '12.3%');
    assert.equal(formatSignedPercent(0.05), '+5.0%');
    assert.equal(formatSignedPercent(-0.25), '-25.0%');
    assert.equal(formatSignedPercent(0.0005, 2), '+0.05%');
    assert.equal(formatSignedPercent(Number.NaN), UNKNOWN);
    assert.equal(formatDuration(1234), '1.2 s');
  });

  test('timestamps are shown in UTC; text that is not a time is shown as it is', () => {
    assert.equal(formatTimestamp('2026-05-01T10:20:30.456Z'), '2026-05-01 10:20:30 UTC');
    assert.equal(formatTimestamp('2026-05-01T12:20:30+02:00'), '2026-05-01 10:20:30 UTC');
    assert.equal(formatTimestamp('soon'), 'soon');
    assert.equal(formatTimestamp(undefined), UNKNOWN);
  });
});
