import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compressText } from './compress-section';
import { formatNumberCell } from './numbers';
import { compressTables } from './tables';
import { BARS, markdownTable } from './test-fixtures';

describe('tables', () => {
  const rows = BARS.slice(0, 5).map(
    ([date, open, high, low, close, , volume]) => [date, open, high, low, close, volume] as string[],
  );
  const expectedBody = rows.map((row) => row.map((cell) => formatNumberCell(cell ?? '')).join(','));

  test('reads markdown, bare pipe, fixed-width, CSV and tab-separated tables into the same compact CSV', () => {
    const header = ['date', 'open', 'high', 'low', 'close', 'volume'];
    const formats = {
      markdown: markdownTable(header, rows),
      pipes: [header, ...rows].map((row) => row.join(' | ')).join('\n'),
      fixedWidth: [header, ...rows].map((row) => row.map((cell) => cell.padStart(12)).join('  ')).join('\n'),
      csv: [header, ...rows].map((row) => row.join(',')).join('\n'),
      tabs: [header, ...rows].map((row) => row.join('\t')).join('\n'),
    };
    for (const [name, text] of Object.entries(formats)) {
      const compressed = compressText(text, 'table');
      assert.equal(compressed, [header.join(','), ...expectedBody].join('\n'), name);
    }
  });

  test('writes numbers compactly without changing their value', () => {
    const cases: [string, string][] = [
      ['1469.250000', '1469.25'],
      ['1478.000000', '1478'],
      ['1,009,000', '1009000'],
      ['$1,234.50', '$1234.5'],
      ['5.00 %', '5%'],
      ['+3.20%', '+3.2%'],
      ['-0.00', '0'],
      ['0.000100', '0.0001'],
      ['N/A', 'N/A'],
      ['2020-04-17', '2020-04-17'],
    ];
    for (const [cell, expected] of cases) assert.equal(formatNumberCell(cell), expected, cell);
  });

  test('folds constant columns into a note, as in yfinance output with Dividends and Stock Splits', () => {
    const header = ['Date', 'Close', 'Dividends', 'Stock Splits'];
    const body = BARS.slice(0, 6).map(([date, , , , close]) => [date ?? '', close ?? '', '0.0', '0.0']);
    const compressed = compressTables(markdownTable(header, body), { allFormats: true });
    const [note, csvHeader, firstRow] = compressed.split('\n');
    assert.equal(note, 'In every row: Dividends is 0; Stock Splits is 0.');
    assert.equal(csvHeader, 'Date,Close');
    assert.equal(firstRow, `${body[0]?.[0]},${formatNumberCell(body[0]?.[1] ?? '')}`);
  });

  test('leaves prose with commas alone unless the section is a data table', () => {
    const prose =
      'Revenue rose, margins held, and guidance was raised.\nShares, however, fell, then recovered, late.';
    assert.equal(compressTables(prose, { allFormats: false }), prose);
  });

  test('turns a markdown summary table inside a report into CSV and keeps the prose', () => {
    const report =
      'Momentum is improving.\n\n| Indicator | Value | Signal |\n|---|---|---|\n| RSI(14) | 57.28 | Neutral |\n| MACD | 13.8347 | Bullish |\n\nOverall: **BUY**.';
    const compressed = compressText(report, 'report');
    assert.equal(
      compressed,
      'Momentum is improving.\n\nIndicator,Value,Signal\nRSI(14),57.28,Neutral\nMACD,13.8347,Bullish\n\nOverall: BUY.',
    );
  });
});
