// What every table of the ledger shares: timestamps and optional values between TypeScript and the columns
// (the same on SQLite and PostgreSQL), and the argument checks.
import { UsageStoreError } from './usage-store-error';

export const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Timestamps are stored as `toISOString()` text so that string order is time order; a bare day stays as is
 * because it already sorts before every timestamp of that day.
 */
export function normalizeTimestamp(value: string, field: string): string {
  if (DAY_PATTERN.test(value)) return value;
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) {
    throw new UsageStoreError(`${field} "${value}" is not a date; pass an ISO timestamp or YYYY-MM-DD.`);
  }
  return time.toISOString();
}

/** A NULL column as an absent value. */
export function optionalNumber(value: number | null): number | undefined {
  return value === null ? undefined : value;
}

/** A NULL column as an absent value. */
export function optionalString(value: string | null): string | undefined {
  return value === null ? undefined : value;
}

/** A NULL, 0 or 1 column as an absent, false or true value. */
export function optionalBoolean(value: number | null): boolean | undefined {
  return value === null ? undefined : value === 1;
}

/** Absent optional values are stored as NULL. */
export function nullable<T>(value: T | undefined): T | null {
  return value === undefined ? null : value;
}

/** Booleans are stored as 1, 0, or NULL when absent (SQLite has no boolean type; both engines store the same). */
export function booleanToInteger(value: boolean | undefined): number | null {
  return value === undefined ? null : value ? 1 : 0;
}

/** Refuses anything but a non-negative integer, naming the field. */
export function requireNonNegativeInteger(value: unknown, field: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new UsageStoreError(
      `Usage record field ${field} must be a non-negative integer, got ${String(value)}.`,
    );
  }
}

/** A limit or offset must be a non-negative integer; the message names the argument. */
export function requireLimit(limit: number | undefined, name = 'limit'): void {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    throw new UsageStoreError(`${name} must be a non-negative integer, got ${String(limit)}.`);
  }
}
