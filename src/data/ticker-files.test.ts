import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAXIMUM_NEWS_BODY_CHARACTERS,
  parseFundamentalsJson,
  parseNewsJson,
  selectFundamentals,
  selectRecentItems,
} from './ticker-files';

const items = [
  { date: '2020-01-01', id: 'a' },
  { date: '2020-03-01', id: 'b' },
  { date: '2020-03-10', id: 'c' },
  { date: '2020-03-20', id: 'd' },
];

describe('selectRecentItems', () => {
  test('keeps items of the window up to the date, newest first, never later ones', () => {
    const selected = selectRecentItems(items, '2020-03-15', { windowDays: 14, limit: 10, fallback: 'none' });
    assert.deepEqual(selected.items.map((item) => item.id), ['c', 'b']);
    assert.equal(selected.fallback, undefined);
  });

  test('the user-data mode returns nothing outside the window; the sample mode falls back to earlier, then later, items', () => {
    assert.deepEqual(selectRecentItems(items, '2020-02-20', { windowDays: 7, limit: 10, fallback: 'none' }).items, []);
    const earlier = selectRecentItems(items, '2020-02-20', { windowDays: 7, limit: 10, fallback: 'nearest' });
    assert.deepEqual([earlier.items.map((item) => item.id), earlier.fallback], [['a'], 'earlier']);
    const later = selectRecentItems(items, '2019-06-01', { windowDays: 7, limit: 2, fallback: 'nearest' });
    assert.deepEqual([later.items.map((item) => item.id), later.fallback], [['b', 'a'], 'later']);
  });

  test('limit keeps the newest', () => {
    const selected = selectRecentItems(items, '2020-03-20', { windowDays: 30, limit: 2, fallback: 'none' });
    assert.deepEqual(selected.items.map((item) => item.id), ['d', 'c']);
  });
});

describe('news and fundamentals files', () => {
  test('news: defaults for missing source/body, dates normalised, long bodies cut and counted', () => {
    const text = JSON.stringify([
      { date: '2021-03-01T10:00:00Z', headline: 'short' },
      { date: '2021-03-02', source: 'wire', headline: 'long', body: 'x'.repeat(5000), url: 'ignored' },
    ]);
    const read = parseNewsJson(text, 'N/news.json');
    assert.deepEqual(read.items[0], { date: '2021-03-01', source: 'unknown', headline: 'short', body: '' });
    assert.equal(read.items[1]?.body.length, MAXIMUM_NEWS_BODY_CHARACTERS);
    assert.equal(read.truncated, 1);
    assert.throws(() => parseNewsJson('{"date":"2021-03-01"}', 'N/news.json'), /N\/news\.json line 1: expected a JSON array/);
  });

  test('fundamentals: one object applies to any date; a dated list gives the latest known on the date', () => {
    const single = parseFundamentalsJson('{"period":"FY2020","currency":"USD","metrics":{"pe":12}}', 'f');
    assert.equal(selectFundamentals(single, '1990-01-01', 'none').snapshot.period, 'FY2020');
    const dated = parseFundamentalsJson(
      JSON.stringify([
        { asOf: '2021-05-01', period: 'Q1', currency: 'USD', metrics: { pe: 2 } },
        { asOf: '2021-02-01', period: 'FY', currency: 'USD', metrics: { pe: 1 } },
      ]),
      'f',
    );
    assert.equal(selectFundamentals(dated, '2021-04-30', 'none').snapshot.period, 'FY');
    assert.equal(selectFundamentals(dated, '2021-05-01', 'none').snapshot.period, 'Q1');
    const none = selectFundamentals(dated, '2020-12-31', 'none');
    assert.deepEqual([none.snapshot.period, none.problem], ['none', 'every snapshot is dated after 2020-12-31']);
    assert.equal(selectFundamentals(dated, '2020-12-31', 'nearest').snapshot.period, 'FY');
  });
});
