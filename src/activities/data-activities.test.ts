import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { AnalysisInputs } from '../core/types';
import { createFolderProvider } from '../data/folder-provider';
import type { MarketDataProvider, MarketDataRequest } from '../data/provider';
import { createSampleProvider } from '../data/sample-provider';
import { createDataActivities } from './data-activities';

/** An activity environment that logs only errors: the expected failures below would otherwise flood the output. */
function environment(): MockActivityEnvironment {
  return new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => assert.fail('expected the activity to fail'),
    (error: unknown) => error,
  );
}

/** Records what reaches the provider, to show validation happens before it. */
function recordingProvider(): MarketDataProvider & { requests: MarketDataRequest[] } {
  const requests: MarketDataRequest[] = [];
  return {
    label: 'recording',
    requests,
    listTickers: () => Promise.reject(new Error('disk unavailable')),
    load: (request) => {
      requests.push(request);
      return Promise.reject(new Error('disk unavailable'));
    },
    priceHistory: () => Promise.reject(new Error('disk unavailable')),
  };
}

describe('data activities', () => {
  const activities = createDataActivities({ provider: createSampleProvider() });

  test('loads a sample analysis with the ticker upper-cased', async () => {
    const inputs = (await environment().run(activities.loadAnalysisInputs, {
      ticker: ' spx ',
      date: '2020-04-17',
    })) as AnalysisInputs;
    assert.equal(inputs.ticker, 'SPX');
    assert.equal(inputs.prices.at(-1)?.close, 2874.56);
    assert.deepEqual(await environment().run(activities.listTickers), [
      'SPX',
      'AAPL',
      'AMZN',
      'GOOG',
      'IBM',
      'MSFT',
    ]);
  });

  test('an unknown ticker becomes a non-retryable ApplicationFailure typed UnknownTicker', async () => {
    const failure = await failureOf(
      environment().run(activities.loadAnalysisInputs, { ticker: 'XYZ', date: '2020-04-17' }),
    );
    assert.ok(failure instanceof ApplicationFailure);
    assert.equal(failure.type, 'UnknownTicker');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /^Unknown ticker "XYZ": the bundled sample has SPX/);
  });

  test('a date outside the data and a malformed user file keep their types', async () => {
    const beforeCoverage = await failureOf(
      environment().run(activities.loadAnalysisInputs, { ticker: 'AAPL', date: '1999-01-01' }),
    );
    assert.ok(beforeCoverage instanceof ApplicationFailure);
    assert.deepEqual([beforeCoverage.type, beforeCoverage.nonRetryable], ['NoDataForDate', true]);

    const folder = createFolderProvider(path.resolve(__dirname, '../../test/fixtures/market-folder'));
    const malformed = await failureOf(
      environment().run(createDataActivities({ provider: folder }).loadAnalysisInputs, {
        ticker: 'BROKEN',
        date: '2021-03-05',
      }),
    );
    assert.ok(malformed instanceof ApplicationFailure);
    assert.deepEqual([malformed.type, malformed.nonRetryable], ['MalformedData', true]);
    assert.match(malformed.message, /^BROKEN\/prices\.csv line 5:/);
  });

  test('an invalid date is refused before the provider is asked', async () => {
    const provider = recordingProvider();
    const failure = await failureOf(
      environment().run(createDataActivities({ provider }).loadAnalysisInputs, {
        ticker: 'aapl',
        date: '2021-02-30',
      }),
    );
    assert.ok(failure instanceof ApplicationFailure);
    assert.deepEqual([failure.type, failure.nonRetryable], ['InvalidDate', true]);
    assert.equal(provider.requests.length, 0);
  });

  test('other errors stay retryable: they are rethrown unchanged, after validation upper-cased the ticker', async () => {
    const provider = recordingProvider();
    const failure = await failureOf(
      environment().run(createDataActivities({ provider }).loadAnalysisInputs, {
        ticker: 'aapl',
        date: '2021-03-01',
      }),
    );
    assert.ok(!(failure instanceof ApplicationFailure));
    assert.match(String(failure), /disk unavailable/);
    assert.deepEqual(provider.requests, [{ ticker: 'AAPL', date: '2021-03-01' }]);
  });
});
