import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCsv, parsePriceCsv } from './csv';
import { isCalendarDate, parseDateText } from './dates';
import { DataError } from './errors';

function malformed(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof DataError);
    assert.equal(error.type, 'MalformedData');
    return error.message;
  }
  assert.fail('expected MalformedData');
}

describe('parseCsv', () => {
  test('handles quotes, escaped quotes, a BOM, CRLF and reports the line each record starts on', () => {
    const table = parseCsv('\ufeffa,b\r\n"x, y","say ""hi"""\r\n\r\n"multi\nline",2\n3,4', 'f.csv');
    assert.deepEqual(table.header, ['a', 'b']);
    assert.deepEqual(
      table.records.map((record) => [record.line, record.fields]),
      [
        [2, ['x, y', 'say "hi"']],
        [4, ['multi\nline', '2']],
        [6, ['3', '4']],
      ],
    );
  });

  test('detects semicolon and tab delimiters, and names the line of an unclosed quote', () => {
    assert.deepEqual(parseCsv('date;close\n2021-01-04;1,5', 'f').records[0]?.fields, ['2021-01-04', '1,5']);
    assert.deepEqual(parseCsv('date\tclose\n2021-01-04\t7', 'f').records[0]?.fields, ['2021-01-04', '7']);
    assert.equal(malformed(() => parseCsv('a,b\n1,"oops\n', 'f.csv')), `f.csv line 2: a quoted field is never closed; add the missing '"'.`);
  });
});

describe('parsePriceCsv', () => {
  test('accepts Nasdaq-style headers with $ signs and sorts bars oldest first', () => {
    const parsed = parsePriceCsv(
      'Date,Close/Last,Volume,Open,High,Low\n2021-01-05,$131.01,"97,664,900",$128.89,$131.74,$128.43\n2021/01/04,$129.41,143301900,$133.52,$133.61,$126.76\n',
      'AAPL/prices.csv',
    );
    assert.deepEqual(parsed.bars, [
      { date: '2021-01-04', open: 133.52, high: 133.61, low: 126.76, close: 129.41, volume: 143301900 },
      { date: '2021-01-05', open: 128.89, high: 131.74, low: 128.43, close: 131.01, volume: 97664900 },
    ]);
    assert.deepEqual(parsed.notes, []);
  });

  test('uses Adj Close only when there is no Close, and says so', () => {
    const parsed = parsePriceCsv('timestamp,open,high,low,adj_close\n2021-01-04 00:00:00,10,11,9,10.2\n', 'p.csv');
    assert.equal(parsed.bars[0]?.close, 10.2);
    assert.deepEqual(parsed.notes, ['close is the adjusted close']);
  });

  test('names the file, line and problem of each kind of bad row', () => {
    assert.equal(
      malformed(() => parsePriceCsv('date,open,high,low,close\n2021-01-04,10,11,9,10\n04/01/2021,10,11,9,10\n', 'X/prices.csv')),
      'X/prices.csv line 3: date "04/01/2021" is not a date; write dates as YYYY-MM-DD.',
    );
    assert.match(
      malformed(() => parsePriceCsv('date,open,high,low,close\n2021-01-04,10,11,9,10\n2021-01-04,10,11,9,10\n', 'X/prices.csv')),
      /^X\/prices\.csv line 3: date 2021-01-04 already appears on line 2/,
    );
    assert.match(malformed(() => parsePriceCsv('date,open,high,low,close\n2021-01-04,10,9,11,10\n', 'p')), /^p line 2: high 9 is below low 11/);
    assert.match(malformed(() => parsePriceCsv('date,open,high,low,close\n2021-01-04,10,11,9,null\n', 'p')), /^p line 2: close "null"/);
    assert.match(malformed(() => parsePriceCsv('date,open,close\n2021-01-04,10,10\n', 'p')), /^p line 1: the header has no high, low column/);
    assert.match(malformed(() => parsePriceCsv('day,open\n', 'p')), /^p line 1: no close column/);
    assert.match(malformed(() => parsePriceCsv('open,close\n', 'p')), /^p line 1: no date column/);
  });
});

describe('dates', () => {
  test('only real calendar days in YYYY-MM-DD are valid analysis dates', () => {
    assert.equal(isCalendarDate('2020-02-29'), true);
    assert.equal(isCalendarDate('2019-02-29'), false);
    assert.equal(isCalendarDate('2020-4-17'), false);
    assert.equal(isCalendarDate('2020-04-17T00:00:00Z'), false);
  });

  test('file dates: ISO with time, slashes, and the vega-datasets month-name form', () => {
    assert.equal(parseDateText('2020-04-17T13:30:00Z'), '2020-04-17');
    assert.equal(parseDateText('2020/4/7'), '2020-04-07');
    assert.equal(parseDateText('Jan 1 2000'), '2000-01-01');
    assert.equal(parseDateText('Sept 30, 2008'), '2008-09-30');
    assert.equal(parseDateText('04/05/2020'), undefined);
    assert.equal(parseDateText('2021-02-30'), undefined);
  });
});
