import { ApplicationFailure } from '@temporalio/common';
import type { AnalysisInputs } from '../core/types';
import { isDataError } from '../data/errors';
import type { MarketDataProvider, MarketDataRequest } from '../data/provider';
import { normalizeRequest } from '../data/request';

export interface DataActivityDependencies {
  provider: MarketDataProvider;
}

/**
 * Turns a data problem the user caused into a non-retryable failure typed `UnknownTicker`, `InvalidDate`,
 * `NoDataForDate`, `EmptyWindow` or `MalformedData`: retrying bad input would fail forever. Anything else (a
 * read error) is rethrown and retried by Temporal's policy.
 */
function toFailure(error: unknown): unknown {
  if (isDataError(error)) return ApplicationFailure.nonRetryable(error.message, error.type);
  return error;
}

/**
 * Activities that read market data. Built from a provider so tests and workers choose the data source.
 *
 * `loadAnalysisInputs` upper-cases the ticker and checks the date (`YYYY-MM-DD`, a real calendar day) before
 * asking the provider; the result is plain JSON, a few tens of KB at most.
 */
export function createDataActivities(dependencies: DataActivityDependencies) {
  const { provider } = dependencies;
  return {
    async loadAnalysisInputs(request: MarketDataRequest): Promise<AnalysisInputs> {
      try {
        return await provider.load(normalizeRequest(request));
      } catch (error) {
        throw toFailure(error);
      }
    },

    async listTickers(): Promise<string[]> {
      try {
        return await provider.listTickers();
      } catch (error) {
        throw toFailure(error);
      }
    },
  };
}

/** The activity functions, for `proxyActivities<DataActivities>()` in workflows (import as a type only). */
export type DataActivities = ReturnType<typeof createDataActivities>;
