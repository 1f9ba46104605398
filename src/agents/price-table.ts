import type { PriceBar } from '../core/types';

/** Bars of the market analyst's price table. */
export const PRICE_TABLE_BARS = 30;

function cell(value: number | undefined): string {
  return value === undefined ? '' : String(value);
}

/** Markdown table of the last bars, figures exactly as given: the optimizer compresses, the builder never rounds. */
export function renderPriceTable(bars: readonly PriceBar[]): string {
  const withVolume = bars.some((bar) => bar.volume !== undefined);
  const header = withVolume
    ? '| Date | Open | High | Low | Close | Volume |'
    : '| Date | Open | High | Low | Close |';
  const rule = withVolume ? '|---|---|---|---|---|---|' : '|---|---|---|---|---|';
  const rows = bars.map((bar) => {
    const cells = [bar.date, cell(bar.open), cell(bar.high), cell(bar.low), cell(bar.close)];
    if (withVolume) cells.push(cell(bar.volume));
    return `| ${cells.join(' | ')} |`;
  });
  return [header, rule, ...rows].join('\n');
}
