export { createMarketDataProvider, type MarketDataConfig } from './create-provider';
export { DataError, isDataError, type DataErrorType } from './errors';
export { createFolderProvider, type FolderProviderOptions } from './folder-provider';
export type { MarketDataProvider, MarketDataRequest } from './provider';
export { normalizeRequest, normalizeTicker, validateDate, MAXIMUM_LOOKBACK_BARS } from './request';
export { createSampleProvider, SAMPLE_TICKERS, type SampleProviderOptions } from './sample-provider';
