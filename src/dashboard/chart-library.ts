import path from 'node:path';

/** Where the dashboard serves Chart.js; pages (and saved daily reports) load it from here. */
export const CHART_LIBRARY_PATH = '/assets/chart.umd.min.js';

/** The file of Chart.js's UMD build, the one a page can load with a plain script element. */
export function chartLibraryFile(): string {
  // chart.js exports no path to its UMD build; its main entry sits in the same dist folder.
  return path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');
}
