import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderBacktestMarkdown, type BacktestReport } from './render-markdown';
import { summarizeBacktest } from './summary';
import { sampleBacktestEntries } from './test-entries';

function report(overrides: Partial<BacktestReport> = {}): BacktestReport {
  const entries = overrides.entries ?? sampleBacktestEntries();
  return {
    backtestId: 'backtest-1',
    ticker: 'SPX',
    from: '2019-01-01',
    to: '2019-01-31',
    every: 'week',
    budgetTokens: 1_000_000,
    generatedAt: '2024-05-01T12:00:00.000Z',
    entries,
    summary: summarizeBacktest(entries),
    ...overrides,
  };
}

function linesOf(markdown: string): string[] {
  return markdown.split('\n');
}

describe('renderBacktestMarkdown', () => {
  const markdown = renderBacktestMarkdown(report());
  const lines = linesOf(markdown);

  test('opens with the heading and the parameters', () => {
    assert.equal(lines[0], '# Backtest of SPX, 2019-01-01 to 2019-01-31, every week');
    assert.ok(lines.includes('- Backtest: `backtest-1`'));
    assert.ok(lines.includes('- Batch budget: 1,000,000 tokens'));
    assert.ok(lines.includes('- Generated: 2024-05-01T12:00:00.000Z'));
    assert.ok(
      lines.some((line) =>
        line.startsWith('- Dates: the last bar of each ISO week from 2019-01-01 to 2019-01-31'),
      ),
    );
  });

  test('one summary row per mode, baseline first, with the hit rate and its 95% interval', () => {
    assert.ok(
      lines.includes(
        '| baseline | 4 | 2 completed, 1 failed, 1 skipped | BUY 1, HOLD 1 | 100.0% (1 of 1; 20.7%–100.0%) | 1 / 1 | 422,345 | $0.1230 (cost of 1 run unknown) | 205,000 |',
      ),
      markdown,
    );
    assert.ok(
      lines.includes(
        '| optimized | 4 | 4 completed | BUY 1, HOLD 1, SELL 2 | 66.7% (2 of 3; 20.8%–93.9%) | 3 / 1 | 161,000 | $0.0360 (cost of 1 run unknown) | 40,250 |',
      ),
      markdown,
    );
    assert.ok(
      lines.findIndex((line) => line.startsWith('| baseline |')) <
        lines.findIndex((line) => line.startsWith('| optimized |')),
    );
  });

  test('the agreement line, then one row per run in date and mode order', () => {
    assert.ok(
      lines.includes(
        'Agreement: baseline and optimized decided the same on 1 of the 2 dates where both decided (50.0%).',
      ),
    );
    const rows = lines.filter((line) => /^\| 2019-/.test(line));
    assert.deepEqual(rows, [
      '| 2019-01-04 | baseline | BUY | +2.54% | ✓ | 200,000 | $0.0600 | completed |',
      '| 2019-01-04 | optimized | BUY | +2.54% | ✓ | 40,000 | $0.0120 | completed |',
      '| 2019-01-11 | baseline | HOLD | +2.88% | – | 210,000 | $0.0630 | completed |',
      '| 2019-01-11 | optimized | SELL | +2.88% | ✗ | 42,000 | $0.0130 | completed |',
      '| 2019-01-18 | baseline | – | -0.22% | – | 12,345 | unknown | failed: Activity task failed: RateLimited \\| retries spent |',
      '| 2019-01-18 | optimized | SELL | -0.22% | ✓ | 38,000 | $0.0110 | completed |',
      '| 2019-01-25 | baseline | – | – | – | 0 | – | skipped: the batch budget had 1000 tokens left, under the 20000 a run needs |',
      '| 2019-01-25 | optimized | HOLD | – | – | 41,000 | unknown | completed |',
    ]);
  });

  test('the same report renders the same text, whatever order the entries come in', () => {
    const reversed = report({ entries: [...sampleBacktestEntries()].reverse() });
    assert.equal(renderBacktestMarkdown(reversed), markdown);
    assert.ok(markdown.endsWith('|\n'));
  });

  test('one mode: no agreement line; no budget: says each run kept its cap; nothing scored says so', () => {
    const entries = sampleBacktestEntries().filter(
      (entry) => entry.mode === 'optimized' && entry.decision === 'HOLD',
    );
    const { budgetTokens: _budget, ...withoutBudget } = report({ entries, every: 'month' });
    const text = renderBacktestMarkdown(withoutBudget);
    assert.ok(!text.includes('Agreement'));
    assert.match(text, /^- Batch budget: none \(each run kept only its own cap\)$/m);
    assert.match(text, /^- Dates: the last bar of each calendar month /m);
    assert.match(
      text,
      /^\| optimized \| 1 \| 1 completed \| HOLD 1 \| not scored \| 0 \/ 1 \| 41,000 \| unknown \| 41,000 \|$/m,
    );
  });
});
