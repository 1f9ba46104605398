import { readFileSync } from 'node:fs';
import { CHART_LIBRARY_PATH, chartLibraryFile } from '../dashboard/chart-library';

/** The element by which a report page loads Chart.js from the dashboard. */
export const CHART_LIBRARY_TAG = `<script src="${CHART_LIBRARY_PATH}"></script>`;

/**
 * Code made safe to sit inside a `<script>` element: `</script` would end the element early and `<!--` or
 * `<script` would change how the rest is parsed. `\x3C` is `<` in a string, template or regular expression alike.
 */
export function scriptElementText(code: string): string {
  return code.replace(/<(\/script|!--|script)/gi, (_match, rest: string) => `\\x3C${rest}`);
}

/** The page with `code` in place of its Chart.js element. */
export function inlineScript(page: string, code: string): string {
  // A function as replacement: the library's `$&` and `$1` are code, not replacement patterns.
  return page.replace(CHART_LIBRARY_TAG, () => `<script>${scriptElementText(code)}</script>`);
}

/** The report page with Chart.js inlined, so a saved file draws its charts offline. */
export function inlineChartLibrary(html: string): string {
  return inlineScript(html, readFileSync(chartLibraryFile(), 'utf8'));
}
