import { createFolderProvider } from './folder-provider';
import type { MarketDataProvider } from './provider';
import { createSampleProvider } from './sample-provider';

/** Which market data to use; the shape of the config's `dataSource`. */
export interface MarketDataConfig {
  kind: 'sample' | 'folder';
  /** Required for `folder`: holds `<TICKER>/prices.csv` and optional JSON files. */
  folder?: string;
}

/**
 * Builds the configured provider. Throws at once (worker start) when the folder is missing or the bundled
 * sample is not installed, instead of failing every run later.
 */
export function createMarketDataProvider(config: MarketDataConfig): MarketDataProvider {
  if (config.kind === 'folder') {
    if (!config.folder) {
      throw new Error('dataSource.folder is required when dataSource.kind is "folder": pass --data-folder PATH.');
    }
    return createFolderProvider(config.folder);
  }
  return createSampleProvider();
}
