import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { extractFacts, extractFactsByKind, lostFacts, normalizeNumber } from './fact-check';

describe('normalizeNumber', () => {
  test('drops separators, plus signs, leading and trailing zeros, and expands exponents', () => {
    const cases: [string, string][] = [
      ['1478.000000', '1478'],
      ['1469.250000', '1469.25'],
      ['12.50', '12.5'],
      ['1,009,000,000', '1009000000'],
      ['.5', '0.5'],
      ['007', '7'],
      ['+3.20', '3.2'],
      ['-0.00', '0'],
      ['\u22122.5', '-2.5'],
      ['1.5e3', '1500'],
      ['1e-7', '0.0000001'],
      ['5.0 %', '5%'],
      ['1455.219971', '1455.219971'],
    ];
    for (const [literal, expected] of cases) assert.equal(normalizeNumber(literal), expected, literal);
  });
});

describe('extractFactsByKind', () => {
  test('reads numbers with their sign and percent, and keeps precision', () => {
    const facts = extractFactsByKind(
      'AAPL rose 3.50% to $1,234.50 while the index fell -2.1 % and volume hit 931800000.',
    );
    assert.deepEqual([...facts.numbers], ['3.5%', '1234.5', '-2.1%', '931800000']);
  });

  test('normalises every date form to ISO and does not count its digits as numbers', () => {
    const facts = extractFactsByKind(
      'Filed 2020-04-17, updated Jan. 5th, 2024, due 5 March 2021, paid April 30, 2020 and 2020/4/7.',
    );
    assert.deepEqual(
      [...facts.dates],
      ['2020-04-17', '2024-01-05', '2021-03-05', '2020-04-30', '2020-04-07'],
    );
    assert.deepEqual([...facts.numbers], []);
  });

  test('reads impossible dates as plain numbers', () => {
    const facts = extractFactsByKind('31 Feb 2020 and 2020-13-01');
    assert.deepEqual([...facts.dates], []);
    assert.deepEqual([...facts.numbers], ['31', '2020', '13', '1']);
  });

  test('tells a ranged year from a negative number and ignores digits glued to words', () => {
    const facts = extractFactsByKind(
      'From 2000-2005 the Q3 margin of o200k models was -4 points, COVID-19 aside.',
    );
    assert.deepEqual([...facts.numbers], ['2000', '2005', '-4', '19']);
  });

  test('reads a CSV row as separate cells, not as one thousands-grouped number', () => {
    const facts = extractFactsByKind('2002-07-24,910,896.809998,911.76');
    assert.deepEqual([...facts.numbers], ['910', '896.809998', '911.76']);
    assert.deepEqual([...extractFactsByKind('Revenue was 1,234,567 dollars').numbers], ['1234567']);
  });

  test('finds tickers and skips common all-caps words', () => {
    const facts = extractFactsByKind(
      'FINAL TRANSACTION PROPOSAL: BUY. The CEO said NVDA, GOOGL and BRK.B beat; ETFs and the U.S. GDP lagged; AAPL’s margin held. $F rallied.',
    );
    assert.deepEqual([...facts.tickers], ['NVDA', 'GOOGL', 'BRK.B', 'AAPL', 'F']);
  });

  test('counts known tickers even when stop-listed or one letter long', () => {
    const facts = extractFactsByKind('NOW and F traded higher; ALL was flat.', {
      knownTickers: ['NOW', 'F'],
    });
    assert.deepEqual([...facts.tickers], ['NOW', 'F']);
  });

  test('ignores the digits inside URLs', () => {
    const facts = extractFacts(
      'Story at https://example.com/2020/04/17/story-123 and www.site.com/a1b2 says 5%.',
    );
    assert.deepEqual([...facts], ['5%']);
  });
});

describe('lostFacts', () => {
  test('accepts a rewrite that keeps every fact in another spelling', () => {
    const source = '| 2020-01-02 | 1469.250000 | 1,009,000,000 | AAPL |';
    const candidate = 'On Jan 2, 2020 AAPL: 1469.25, 1009000000';
    assert.deepEqual(lostFacts(source, candidate), []);
  });

  test('lists each number, ticker and date the candidate dropped, in source order', () => {
    const source = 'AAPL closed at 1469.25 on 2020-01-02; MSFT at 160.62.';
    const candidate = 'AAPL closed at 1469.2 on 2020-01-03.';
    assert.deepEqual(lostFacts(source, candidate), ['1469.25', '2020-01-02', 'MSFT', '160.62']);
  });

  test('treats a number and its percentage as different facts', () => {
    assert.deepEqual(lostFacts('margin 5%', 'margin 5'), ['5%']);
  });
});
