// What every table of the usage store shares: timestamps and optional values between TypeScript and SQLite
// columns, WHERE clauses from optional filters, and the argument checks.
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

/** SQLite refuses `undefined` bindings; absent optional values become NULL. */
export function nullable<T>(value: T | undefined): T | null {
  return value === undefined ? null : value;
}

/** SQLite has no booleans: 1, 0, or NULL when absent. */
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

/** Builds a WHERE clause from optional conditions; values are bound, never interpolated. */
export function whereClause(conditions: ReadonlyArray<[string, unknown]>): {
  sql: string;
  values: unknown[];
} {
  const present = conditions.filter(([, value]) => value !== undefined);
  if (present.length === 0) return { sql: '', values: [] };
  return {
    sql: `WHERE ${present.map(([clause]) => clause).join(' AND ')}`,
    values: present.map(([, value]) => value),
  };
}

/** A `limit` is interpolated into SQL by some queries, so only a non-negative integer gets through. */
export function requireLimit(limit: number | undefined): void {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    throw new UsageStoreError(`limit must be a non-negative integer, got ${String(limit)}.`);
  }
}
