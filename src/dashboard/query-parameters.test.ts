import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DashboardHttpError } from './http-error';
import {
  DEFAULT_RUN_LIST_LIMIT,
  DEFAULT_TREND_DAYS,
  parseRunListQuery,
  parseTrendsQuery,
  requireNoParameters,
  runListSearch,
} from './query-parameters';

function refused(action: () => unknown, message: RegExp): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof DashboardHttpError);
    assert.equal(error.status, 400);
    assert.match(error.message, message);
    return true;
  });
}

describe('dashboard query parameters', () => {
  test('no parameters: every run, the first page', () => {
    assert.deepEqual(parseRunListQuery(new URLSearchParams()), { limit: DEFAULT_RUN_LIST_LIMIT, offset: 0 });
  });

  test('filters are read and normalized; empty form fields count as absent', () => {
    const query = parseRunListQuery(
      new URLSearchParams(
        'ticker=aapl&mode=Baseline&decision=buy&budgetStatus=DEGRADED&since=2026-01-31&limit=10&offset=20',
      ),
    );
    assert.deepEqual(query, {
      ticker: 'AAPL',
      mode: 'baseline',
      decision: 'BUY',
      budgetStatus: 'degraded',
      since: '2026-01-31',
      limit: 10,
      offset: 20,
    });
    assert.deepEqual(parseRunListQuery(new URLSearchParams('ticker=&mode=&decision=&budgetStatus=&since=')), {
      limit: DEFAULT_RUN_LIST_LIMIT,
      offset: 0,
    });
  });

  test('a value it cannot use is a 400 naming the parameter and what it takes', () => {
    refused(() => parseRunListQuery(new URLSearchParams('ticker=../etc')), /^ticker must be 1 to 15 letters/);
    refused(
      () => parseRunListQuery(new URLSearchParams('mode=fast')),
      /^mode must be one of optimized, baseline \(got "fast"\)/,
    );
    refused(
      () => parseRunListQuery(new URLSearchParams('decision=MAYBE')),
      /^decision must be one of BUY, HOLD, SELL/,
    );
    refused(
      () => parseRunListQuery(new URLSearchParams('budgetStatus=running')),
      /^budgetStatus must be one of within, degraded/,
    );
    refused(
      () => parseRunListQuery(new URLSearchParams('since=2026-02-30')),
      /^since must be a calendar date/,
    );
    refused(
      () => parseRunListQuery(new URLSearchParams('limit=0')),
      /^limit must be a whole number from 1 to 500 \(got "0"\)/,
    );
    refused(() => parseRunListQuery(new URLSearchParams('limit=1e3')), /^limit must be a whole number/);
    refused(() => parseRunListQuery(new URLSearchParams('offset=-1')), /^offset must be a whole number/);
    refused(
      () => parseRunListQuery(new URLSearchParams('tickr=AAPL')),
      /^Unknown parameter "tickr": the run list takes ticker, mode/,
    );
    refused(
      () => parseRunListQuery(new URLSearchParams('ticker=A&ticker=B')),
      /^Parameter "ticker" is given twice/,
    );
    refused(
      () => parseTrendsQuery(new URLSearchParams('days=400')),
      /^days must be a whole number from 1 to 366/,
    );
    refused(
      () => requireNoParameters(new URLSearchParams('x=1'), 'a run page'),
      /^Unknown parameter "x": a run page takes no parameters/,
    );
  });

  test('the search string round-trips and leaves defaults out', () => {
    const query = parseRunListQuery(new URLSearchParams('ticker=SPX&mode=optimized&offset=50'));
    const search = runListSearch(query);
    assert.equal(search, '?ticker=SPX&mode=optimized&offset=50');
    assert.deepEqual(parseRunListQuery(new URLSearchParams(search.slice(1))), query);
    assert.equal(runListSearch({ limit: DEFAULT_RUN_LIST_LIMIT, offset: 0 }), '');
  });

  test('the trends window defaults to 30 days', () => {
    assert.deepEqual(parseTrendsQuery(new URLSearchParams()), { days: DEFAULT_TREND_DAYS });
    assert.deepEqual(parseTrendsQuery(new URLSearchParams('days=7')), { days: 7 });
  });
});
