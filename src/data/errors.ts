/** What was wrong with a request for market data, for Temporal failure types and retry policies. */
export type DataErrorType = 'UnknownTicker' | 'InvalidDate' | 'NoDataForDate' | 'EmptyWindow' | 'MalformedData';

/**
 * A data problem the user can fix (wrong ticker, date outside the data, a bad row in their file). The message is
 * one sentence saying what was wrong and what to do; `type` survives the trip through Temporal as the failure
 * type, where `instanceof` would not.
 */
export class DataError extends Error {
  override name = 'DataError';
  constructor(
    readonly type: DataErrorType,
    message: string,
  ) {
    super(message);
  }
}

/** True for a {@link DataError}, also one created in another realm (duck-typed on `name` and `type`). */
export function isDataError(error: unknown): error is DataError {
  return (
    error instanceof DataError ||
    (error instanceof Error && error.name === 'DataError' && typeof (error as { type?: unknown }).type === 'string')
  );
}

/** `EmptyWindow`: a ticker whose data has no price rows at all. */
export function noPriceRows(ticker: string, coverageLabel: string): DataError {
  return new DataError(
    'EmptyWindow',
    `No price rows for ${ticker} in ${coverageLabel}: add rows of date,open,high,low,close,volume.`,
  );
}
