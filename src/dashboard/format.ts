/**
 * How the dashboard writes figures. Unknown stays visibly unknown (`—`), never 0: a server that reported no
 * cached tokens is not a server that cached none.
 */
export { formatUsd } from '../core/pricing';

/** What the dashboard shows for a figure nobody reported. */
export const UNKNOWN = '—';

/** A token or word count with thousands separators (`12,345`), or {@link UNKNOWN}. */
export function formatCount(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return UNKNOWN;
  return Math.round(value).toLocaleString('en-US');
}

/** A fraction as a percentage with one decimal (`0.123` → `12.3%`), or {@link UNKNOWN}. */
export function formatPercent(fraction: number | undefined): string {
  if (fraction === undefined || !Number.isFinite(fraction)) return UNKNOWN;
  return `${(fraction * 100).toFixed(1)}%`;
}

/**
 * A signed percentage (`+12.3%`, `-4.0%`), for errors and changes, or {@link UNKNOWN}; a price's return over a
 * week needs two decimals (`+0.05%`).
 */
export function formatSignedPercent(fraction: number | undefined, decimals = 1): string {
  if (fraction === undefined || !Number.isFinite(fraction)) return UNKNOWN;
  const percent = (fraction * 100).toFixed(decimals);
  return fraction > 0 ? `+${percent}%` : `${percent}%`;
}

/** An ISO timestamp as `YYYY-MM-DD HH:MM:SS UTC`; text that is not a time is shown as it is. */
export function formatTimestamp(value: string | undefined): string {
  if (value === undefined) return UNKNOWN;
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) return value;
  return `${time.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Milliseconds as seconds with one decimal (`1234` → `1.2 s`). */
export function formatDuration(milliseconds: number | undefined): string {
  if (milliseconds === undefined || !Number.isFinite(milliseconds)) return UNKNOWN;
  return `${(milliseconds / 1000).toFixed(1)} s`;
}
