import type { BudgetStatus, DecisionSummary } from '../core/run-types';
import type { PipelineMode } from '../core/types';
import { isCalendarDate } from '../data/dates';
import { badRequest } from './http-error';

/** Modes a run list can be filtered by (the `TokenflowMode` search attribute). */
export const PIPELINE_MODES = ['optimized', 'baseline'] as const satisfies readonly PipelineMode[];

/** Decisions a run list can be filtered by (the `TokenflowDecision` search attribute). */
export const RUN_DECISIONS = ['BUY', 'HOLD', 'SELL'] as const satisfies readonly DecisionSummary['action'][];

/**
 * Budget statuses a finished run is recorded with (the `TokenflowBudgetStatus` search attribute, less
 * `running`, which the ledger never holds: a summary is written as a run ends).
 */
export const RUN_BUDGET_STATUSES = [
  'within',
  'degraded',
  'exhausted',
  'overrun',
  'cancelled',
  'failed',
] as const satisfies readonly (BudgetStatus | 'cancelled' | 'failed')[];

export type RunDecision = (typeof RUN_DECISIONS)[number];
export type RunBudgetStatus = (typeof RUN_BUDGET_STATUSES)[number];

/** Rows of one page of the run list unless `limit` says otherwise. */
export const DEFAULT_RUN_LIST_LIMIT = 50;
const MAXIMUM_RUN_LIST_LIMIT = 500;
/** Far beyond any ledger a person pages through; keeps a typo from asking the database to skip billions. */
const MAXIMUM_OFFSET = 10_000_000;

/** Days of history the trends page shows unless `days` says otherwise. */
export const DEFAULT_TREND_DAYS = 30;
const MAXIMUM_TREND_DAYS = 366;

/** The run list's filters and page, as read from `?ticker=&mode=&decision=&budgetStatus=&since=&limit=&offset=`. */
export interface RunListQuery {
  ticker?: string;
  mode?: PipelineMode;
  decision?: RunDecision;
  budgetStatus?: RunBudgetStatus;
  /** `YYYY-MM-DD`: runs started on or after that UTC day. */
  since?: string;
  limit: number;
  offset: number;
}

/** The trends page's window: the last `days` UTC days, today included. */
export interface TrendsQuery {
  days: number;
}

const RUN_LIST_PARAMETERS = [
  'ticker',
  'mode',
  'decision',
  'budgetStatus',
  'since',
  'limit',
  'offset',
] as const;
// The same pattern `tokenflow analyze` accepts (src/data/request.ts), so every ticker a run can have is findable.
const TICKER = /^[A-Z0-9][A-Z0-9._-]{0,14}$/;

/**
 * Each parameter's single value, with empty values left out (an untouched form field sends `ticker=`). An
 * unknown or repeated parameter is refused rather than ignored, so a misspelt filter never silently shows
 * every run.
 */
function readParameters<Name extends string>(
  parameters: URLSearchParams,
  allowed: readonly Name[],
  page: string,
): Partial<Record<Name, string>> {
  const values: Partial<Record<Name, string>> = {};
  const seen = new Set<string>();
  for (const [name, value] of parameters) {
    if (!(allowed as readonly string[]).includes(name)) {
      const accepted = allowed.length === 0 ? 'no parameters' : allowed.join(', ');
      throw badRequest(`Unknown parameter "${name}": ${page} takes ${accepted}.`);
    }
    if (seen.has(name)) throw badRequest(`Parameter "${name}" is given twice; give it once.`);
    seen.add(name);
    const trimmed = value.trim();
    if (trimmed.length > 0) values[name as Name] = trimmed;
  }
  return values;
}

function oneOf<Value extends string>(
  name: string,
  value: string | undefined,
  accepted: readonly Value[],
  normalize: (text: string) => string = (text) => text,
): Value | undefined {
  if (value === undefined) return undefined;
  const normalized = normalize(value);
  if ((accepted as readonly string[]).includes(normalized)) return normalized as Value;
  throw badRequest(`${name} must be one of ${accepted.join(', ')} (got "${value}").`);
}

function wholeNumber(
  name: string,
  value: string | undefined,
  bounds: { minimum: number; maximum: number; fallback: number },
): number {
  if (value === undefined) return bounds.fallback;
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < bounds.minimum || number > bounds.maximum) {
    throw badRequest(
      `${name} must be a whole number from ${bounds.minimum} to ${bounds.maximum} (got "${value}").`,
    );
  }
  return number;
}

/** Reads the run list's query string; a value it cannot use is a 400 naming the parameter and what it takes. */
export function parseRunListQuery(parameters: URLSearchParams): RunListQuery {
  const values = readParameters(parameters, RUN_LIST_PARAMETERS, 'the run list');
  const query: RunListQuery = {
    limit: wholeNumber('limit', values.limit, {
      minimum: 1,
      maximum: MAXIMUM_RUN_LIST_LIMIT,
      fallback: DEFAULT_RUN_LIST_LIMIT,
    }),
    offset: wholeNumber('offset', values.offset, { minimum: 0, maximum: MAXIMUM_OFFSET, fallback: 0 }),
  };
  if (values.ticker !== undefined) {
    const ticker = values.ticker.toUpperCase();
    if (!TICKER.test(ticker)) {
      throw badRequest(
        `ticker must be 1 to 15 letters, digits, '.', '-' or '_', e.g. AAPL (got "${values.ticker}").`,
      );
    }
    query.ticker = ticker;
  }
  const mode = oneOf('mode', values.mode, PIPELINE_MODES, (text) => text.toLowerCase());
  if (mode !== undefined) query.mode = mode;
  const decision = oneOf('decision', values.decision, RUN_DECISIONS, (text) => text.toUpperCase());
  if (decision !== undefined) query.decision = decision;
  const budgetStatus = oneOf('budgetStatus', values.budgetStatus, RUN_BUDGET_STATUSES, (text) =>
    text.toLowerCase(),
  );
  if (budgetStatus !== undefined) query.budgetStatus = budgetStatus;
  if (values.since !== undefined) {
    if (!isCalendarDate(values.since)) {
      throw badRequest(`since must be a calendar date written YYYY-MM-DD (got "${values.since}").`);
    }
    query.since = values.since;
  }
  return query;
}

/**
 * The query string (with its `?`, or empty) that shows `query`, leaving out defaults so links stay short; the
 * run list's filter form and its page links are built from it.
 */
export function runListSearch(query: RunListQuery): string {
  const parameters = new URLSearchParams();
  if (query.ticker !== undefined) parameters.set('ticker', query.ticker);
  if (query.mode !== undefined) parameters.set('mode', query.mode);
  if (query.decision !== undefined) parameters.set('decision', query.decision);
  if (query.budgetStatus !== undefined) parameters.set('budgetStatus', query.budgetStatus);
  if (query.since !== undefined) parameters.set('since', query.since);
  if (query.limit !== DEFAULT_RUN_LIST_LIMIT) parameters.set('limit', String(query.limit));
  if (query.offset !== 0) parameters.set('offset', String(query.offset));
  const search = parameters.toString();
  return search.length === 0 ? '' : `?${search}`;
}

/** Reads the trends page's `?days=N`. */
export function parseTrendsQuery(parameters: URLSearchParams): TrendsQuery {
  const values = readParameters(parameters, ['days'], 'the trends page');
  return {
    days: wholeNumber('days', values.days, {
      minimum: 1,
      maximum: MAXIMUM_TREND_DAYS,
      fallback: DEFAULT_TREND_DAYS,
    }),
  };
}

/** Refuses any query parameter on a page that takes none. */
export function requireNoParameters(parameters: URLSearchParams, page: string): void {
  readParameters(parameters, [], page);
}
