/** Calendar-date helpers on `YYYY-MM-DD` strings, in UTC so the host's time zone never shifts a day. */

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MILLISECONDS_PER_DAY = 86_400_000;

function formatDate(year: number, month: number, day: number): string | undefined {
  const time = Date.UTC(year, month - 1, day);
  const date = new Date(time);
  // Date.UTC rolls 2021-02-30 over to March; a real calendar date survives the round trip unchanged.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  if (year < 1800 || year > 2200) return undefined;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** True when `text` is `YYYY-MM-DD` and names a real calendar day (no 2021-02-30). */
export function isCalendarDate(text: string): boolean {
  const match = ISO_DATE.exec(text);
  if (!match) return false;
  return formatDate(Number(match[1]), Number(match[2]), Number(match[3])) === text;
}

/**
 * Reads the date formats found in price files: `2020-04-17`, `2020-04-17 00:00:00`, `2020-04-17T00:00:00Z`,
 * `2020/04/17`, `Apr 17 2020` and `Apr 17, 2020` (the vega-datasets stocks file). Day-first and month-first
 * numeric forms (`04/05/2020`) are ambiguous and deliberately refused.
 */
export function parseDateText(text: string): string | undefined {
  const trimmed = text.trim();
  const numeric = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ].*)?$/.exec(trimmed);
  if (numeric) return formatDate(Number(numeric[1]), Number(numeric[2]), Number(numeric[3]));
  const named = /^([A-Za-z]{3})[a-z]*\.? (\d{1,2}),? (\d{4})$/.exec(trimmed);
  if (named) {
    const month = MONTHS.indexOf((named[1] ?? '').toLowerCase());
    if (month < 0) return undefined;
    return formatDate(Number(named[3]), month + 1, Number(named[2]));
  }
  return undefined;
}

function toTime(date: string): number {
  return Date.parse(`${date}T00:00:00Z`);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((toTime(to) - toTime(from)) / MILLISECONDS_PER_DAY);
}

/** The date `days` days after `date` (before, when negative). */
export function addDays(date: string, days: number): string {
  return new Date(toTime(date) + days * MILLISECONDS_PER_DAY).toISOString().slice(0, 10);
}
