import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { extractFacts, lostFacts } from '../fact-check';
import type { PromptSection } from '../types';
import { compressSection } from './compress-section';
import { BARS, counter, FUNDAMENTALS_JSON, NEWS_TEXT, PRICE_TABLE, savings } from './test-fixtures';

function section(kind: PromptSection['kind'], text: string): PromptSection {
  return { id: kind, title: kind, kind, text, priority: 70, condensable: false };
}

describe('lossless compression of data sections', () => {
  const table = compressSection(section('table', PRICE_TABLE), { counter });
  const json = compressSection(section('json', FUNDAMENTALS_JSON), { counter });
  const news = compressSection(section('news', NEWS_TEXT), { counter });

  test('keeps every number, ticker and date of the price table, the fundamentals and the news', () => {
    assert.deepEqual(lostFacts(PRICE_TABLE, table.text), []);
    assert.deepEqual(lostFacts(FUNDAMENTALS_JSON, json.text), []);
    assert.deepEqual(lostFacts(NEWS_TEXT, news.text), []);
    // The fixtures really carry facts of each kind, so the check above has something to lose.
    const newsFacts = extractFacts(NEWS_TEXT);
    for (const fact of ['AAPL', 'GOOGL', 'TSLA', '2874.56', '5.245', '8.7%', '2020-04-30']) {
      assert.ok(newsFacts.has(fact), `fixture lacks ${fact}`);
    }
    assert.ok(extractFacts(PRICE_TABLE).size > 150);
  });

  test('keeps each bar’s values in its own row, numerically equal (checked without the fact extractor)', () => {
    const lines = table.text.split('\n');
    assert.match(lines[0] ?? '', /Adj Close equals Close/);
    for (const [date, open, high, low, close, adjustedClose, volume] of BARS) {
      const row = lines.find((line) => line.startsWith(`${date},`));
      assert.ok(row, `row ${date} missing`);
      const values = row.split(',').slice(1).map(Number);
      assert.deepEqual(values, [open, high, low, close, volume].map(Number), `row ${date}`);
      assert.equal(Number(adjustedClose), Number(close), 'the note may only fold equal columns');
    }
  });

  test('keeps the fundamentals record field for field', () => {
    const source = JSON.parse(FUNDAMENTALS_JSON) as { metrics: Record<string, number> } & Record<
      string,
      unknown
    >;
    for (const [key, value] of Object.entries(source.metrics)) {
      assert.ok(json.text.includes(`${key}=${value}`), `metrics.${key}=${value} missing from ${json.text}`);
    }
    assert.ok(json.text.includes('reportDate=2020-04-30'));
    assert.ok(json.text.includes(JSON.stringify(source.notes)));
  });

  test('needs at least 30% fewer o200k tokens on the data sections together', (context) => {
    const before = counter.count(PRICE_TABLE) + counter.count(FUNDAMENTALS_JSON) + counter.count(NEWS_TEXT);
    const after = counter.count(table.text) + counter.count(json.text) + counter.count(news.text);
    const shares = {
      table: savings(PRICE_TABLE, table.text),
      json: savings(FUNDAMENTALS_JSON, json.text),
      news: savings(NEWS_TEXT, news.text),
      all: 1 - after / before,
    };
    const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;
    context.diagnostic(
      `o200k savings: table ${percent(shares.table)}, json ${percent(shares.json)}, news ${percent(shares.news)}, all ${percent(shares.all)}`,
    );
    assert.ok(shares.all >= 0.3, `only ${(shares.all * 100).toFixed(1)}% fewer tokens`);
    // Each kind contributes; the table is bounded by its digits (about 70% of its tokens are figures).
    assert.ok(shares.table >= 0.25, `table ${shares.table}`);
    assert.ok(shares.json >= 0.3, `json ${shares.json}`);
    assert.ok(shares.news >= 0.3, `news ${shares.news}`);
  });

  test('the check catches a lost row, figure or ticker (so the tests above can fail)', () => {
    const withoutRow = table.text
      .split('\n')
      .filter((line) => !line.startsWith('2020-04-09,'))
      .join('\n');
    const lost = lostFacts(PRICE_TABLE, withoutRow);
    assert.ok(lost.includes('2020-04-09'), `date not reported: ${lost.join(', ')}`);
    assert.ok(lost.includes('2776.98999'), `open of 2020-04-09 not reported: ${lost.join(', ')}`);
    assert.deepEqual(lostFacts(NEWS_TEXT, news.text.replace('$22.41', '$22.4')), ['22.41']);
    assert.deepEqual(lostFacts(NEWS_TEXT, news.text.replace(/\bJNJ\b/g, 'J&J')), ['JNJ']);
  });
});

describe('text clean-up', () => {
  test('reports no change for text that is already compact', () => {
    const compact = section('report', 'The trend is up. RSI is 57.28.');
    assert.deepEqual(compressSection(compact), { text: compact.text, changed: false });
  });
});
