/**
 * A token pool: a budget per period (a day, a week or a month, UTC) that many runs draw on, held by one entity
 * workflow (`budgetPoolWorkflow`). Pure and deterministic: the workflow keeps this state and replays it.
 *
 * A run reserves its whole hard cap before its first call and releases it when it ends, charging what it
 * spent. A reservation is granted only when it fits in what the period has left (budget - spent - reserved),
 * and a run never spends past its hard cap, so the pool's spend never passes its budget. Requests that do not
 * fit wait in line, first come first served, until a release, a raise or the next period makes room.
 */

export const POOL_PERIODS = ['day', 'week', 'month'] as const;
export type PoolPeriod = (typeof POOL_PERIODS)[number];

/** What a run does when its budget (or its pool) cannot pay for what comes next. */
export const ON_EXHAUSTED = ['degrade', 'pause'] as const;
export type OnExhausted = (typeof ON_EXHAUSTED)[number];

/** A pool as configured: its name, its tokens per period and the period. */
export interface PoolDefinition {
  name: string;
  tokensPerPeriod: number;
  period: PoolPeriod;
}

/** Tokens a holder (a run's workflow id) has been granted and not yet released. */
export interface PoolGrant {
  tokens: number;
  /** Request ids already granted, so a retried request is not granted twice. */
  requests: string[];
  grantedAt: string;
}

/** A request waiting for room. */
export interface PoolWaiter {
  holder: string;
  requestId: string;
  tokens: number;
  since: string;
}

/** One ended period: what it had and what runs spent in it. */
export interface PoolPeriodRecord {
  start: string;
  budget: number;
  spent: number;
}

export interface PoolState {
  definition: PoolDefinition;
  /** Start of the current period (ISO, UTC). */
  periodStart: string;
  /** The current period's budget: `tokensPerPeriod` plus what was raised in this period. */
  budget: number;
  /** Tokens charged by releases in this period. */
  spent: number;
  grants: Record<string, PoolGrant>;
  waiting: PoolWaiter[];
  /** The most recent ended periods, oldest first (at most {@link PERIOD_HISTORY}). */
  history: PoolPeriodRecord[];
}

const PERIOD_HISTORY = 31;

export interface ReserveRequest {
  holder: string;
  /** Identifies this request: the same id twice is granted once. */
  requestId: string;
  tokens: number;
  /** Wait in line when it does not fit (a run that pauses); otherwise answered at once. */
  wait: boolean;
  /** When it does not fit and does not wait: grant what is left instead, if at least this many. */
  acceptAtLeast?: number;
}

export type ReserveOutcome =
  | { status: 'granted'; tokens: number; available: number }
  | { status: 'waiting'; position: number; available: number }
  | { status: 'refused'; available: number };

/** A grant made to a waiting request, for the workflow to tell its holder. */
export interface PoolGrantNotice {
  holder: string;
  requestId: string;
  tokens: number;
}

export interface PoolSummary {
  name: string;
  period: PoolPeriod;
  periodStart: string;
  nextPeriodStart: string;
  tokensPerPeriod: number;
  budget: number;
  spent: number;
  reserved: number;
  available: number;
  holders: Array<{ holder: string; tokens: number; grantedAt: string }>;
  waiting: PoolWaiter[];
  history: PoolPeriodRecord[];
}

/** Why a definition is not usable, or undefined. */
export function validatePoolDefinition(definition: PoolDefinition): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(definition.name))
    return `A pool name is 1 to 64 letters, digits, "_", "." or "-" (got "${definition.name}").`;
  if (!Number.isInteger(definition.tokensPerPeriod) || definition.tokensPerPeriod <= 0)
    return `Pool ${definition.name}: tokensPerPeriod must be a positive whole number (got ${definition.tokensPerPeriod}).`;
  if (!(POOL_PERIODS as readonly string[]).includes(definition.period))
    return `Pool ${definition.name}: period must be one of ${POOL_PERIODS.join(', ')} (got "${definition.period}").`;
  return undefined;
}

/** Start (UTC midnight) of the period holding `at`: the day, the Monday of the week, the first of the month. */
export function periodStartOf(at: Date, period: PoolPeriod): Date {
  const day = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  if (period === 'day') return day;
  if (period === 'week') {
    const sinceMonday = (day.getUTCDay() + 6) % 7;
    return new Date(day.getTime() - sinceMonday * 86_400_000);
  }
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}

/** Start of the period after the one that starts at `start`. */
export function nextPeriodStart(start: Date, period: PoolPeriod): Date {
  if (period === 'day') return new Date(start.getTime() + 86_400_000);
  if (period === 'week') return new Date(start.getTime() + 7 * 86_400_000);
  return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
}

export function createPoolState(definition: PoolDefinition, now: Date): PoolState {
  const problem = validatePoolDefinition(definition);
  if (problem) throw new Error(problem);
  return {
    definition: { ...definition },
    periodStart: periodStartOf(now, definition.period).toISOString(),
    budget: definition.tokensPerPeriod,
    spent: 0,
    grants: {},
    waiting: [],
    history: [],
  };
}

export function poolReserved(state: PoolState): number {
  return Object.values(state.grants).reduce((sum, grant) => sum + grant.tokens, 0);
}

/** Tokens of the period's budget neither spent nor granted. */
export function poolAvailable(state: PoolState): number {
  return Math.max(0, state.budget - state.spent - poolReserved(state));
}

/** Why a reservation request is malformed or can never be granted, or undefined (the update's validator). */
export function validateReserve(state: PoolState, request: ReserveRequest): string | undefined {
  if (typeof request.holder !== 'string' || request.holder === '') return 'A reservation needs a holder.';
  if (typeof request.requestId !== 'string' || request.requestId === '')
    return 'A reservation needs a request id.';
  if (!Number.isInteger(request.tokens) || request.tokens <= 0)
    return `A reservation is a positive whole number of tokens (got ${request.tokens}).`;
  if (request.wait && request.tokens > state.budget && request.tokens > state.definition.tokensPerPeriod)
    return `Pool ${state.definition.name} has ${state.definition.tokensPerPeriod} tokens per ${state.definition.period}: a request for ${request.tokens} could never be granted; lower the run's budget or raise the pool.`;
  return undefined;
}

function grant(state: PoolState, holder: string, requestId: string, tokens: number, now: Date): void {
  const existing = state.grants[holder];
  if (existing) {
    existing.tokens += tokens;
    existing.requests.push(requestId);
  } else {
    state.grants[holder] = { tokens, requests: [requestId], grantedAt: now.toISOString() };
  }
}

/**
 * Reserves tokens for a holder: granted when they fit and nobody waits ahead, otherwise queued (`wait`),
 * partly granted (`acceptAtLeast`) or refused. Repeating a request id changes nothing and answers as before.
 */
export function reservePool(state: PoolState, request: ReserveRequest, now: Date): ReserveOutcome {
  const problem = validateReserve(state, request);
  if (problem) throw new Error(problem);
  const held = state.grants[request.holder];
  if (held?.requests.includes(request.requestId))
    return { status: 'granted', tokens: held.tokens, available: poolAvailable(state) };
  const queued = state.waiting.findIndex((waiter) => waiter.requestId === request.requestId);
  if (queued !== -1) return { status: 'waiting', position: queued + 1, available: poolAvailable(state) };

  const available = poolAvailable(state);
  if (request.tokens <= available && state.waiting.length === 0) {
    grant(state, request.holder, request.requestId, request.tokens, now);
    return { status: 'granted', tokens: request.tokens, available: poolAvailable(state) };
  }
  if (request.wait) {
    state.waiting.push({
      holder: request.holder,
      requestId: request.requestId,
      tokens: request.tokens,
      since: now.toISOString(),
    });
    return { status: 'waiting', position: state.waiting.length, available };
  }
  // What is left goes to those waiting first: a partial grant never jumps the line.
  const partial = state.waiting.length === 0 ? Math.min(available, request.tokens) : 0;
  if (request.acceptAtLeast !== undefined && partial >= request.acceptAtLeast && partial > 0) {
    grant(state, request.holder, request.requestId, partial, now);
    return { status: 'granted', tokens: partial, available: poolAvailable(state) };
  }
  return { status: 'refused', available };
}

/**
 * Grants waiting requests, first come first served, while the first one fits. Returns the grants made, for the
 * workflow to tell their holders.
 */
export function grantWaiting(state: PoolState, now: Date): PoolGrantNotice[] {
  const notices: PoolGrantNotice[] = [];
  while (state.waiting.length > 0) {
    const first = state.waiting[0]!;
    if (first.tokens > poolAvailable(state)) break;
    state.waiting.shift();
    grant(state, first.holder, first.requestId, first.tokens, now);
    notices.push({ holder: first.holder, requestId: first.requestId, tokens: first.tokens });
  }
  return notices;
}

/**
 * Ends a holder's draw on the pool: its grant is released and what it spent is charged to the current period;
 * a request of it still waiting leaves the line. Releasing a holder the pool does not know does nothing, so a
 * repeated release cannot charge twice. Returns the tokens charged.
 */
export function releasePool(state: PoolState, holder: string, spentTokens: number): number {
  state.waiting = state.waiting.filter((waiter) => waiter.holder !== holder);
  const held = state.grants[holder];
  if (!held) return 0;
  delete state.grants[holder];
  const charged = Math.max(0, Math.ceil(spentTokens));
  state.spent += charged;
  return charged;
}

/** Adds tokens to the current period's budget (`tokenflow pool <name> --raise N`). */
export function raisePool(state: PoolState, tokens: number): void {
  if (!Number.isInteger(tokens) || tokens <= 0)
    throw new Error(`Raise a pool by a positive whole number of tokens (got ${tokens}).`);
  state.budget += tokens;
}

/**
 * Moves to the period holding `now` when the current one has ended: the ended period joins the history, the
 * budget starts again at `tokensPerPeriod` (raises were for their period only) and nothing is spent yet. Grants
 * still held are carried over: their runs are still spending, so they stay reserved in the new period and are
 * charged there when released. Returns whether a new period began.
 */
export function rollPeriod(state: PoolState, now: Date): boolean {
  const start = periodStartOf(now, state.definition.period).toISOString();
  if (start === state.periodStart) return false;
  state.history.push({ start: state.periodStart, budget: state.budget, spent: state.spent });
  if (state.history.length > PERIOD_HISTORY) state.history.splice(0, state.history.length - PERIOD_HISTORY);
  state.periodStart = start;
  state.budget = state.definition.tokensPerPeriod;
  state.spent = 0;
  return true;
}

/** A later config's tokens per period, from the next period on (the current period keeps its budget). */
export function redefinePool(state: PoolState, definition: PoolDefinition): void {
  const problem = validatePoolDefinition(definition);
  if (problem) throw new Error(problem);
  state.definition = { ...definition, name: state.definition.name };
}

export function summarizePool(state: PoolState): PoolSummary {
  const reserved = poolReserved(state);
  return {
    name: state.definition.name,
    period: state.definition.period,
    periodStart: state.periodStart,
    nextPeriodStart: nextPeriodStart(new Date(state.periodStart), state.definition.period).toISOString(),
    tokensPerPeriod: state.definition.tokensPerPeriod,
    budget: state.budget,
    spent: state.spent,
    reserved,
    available: poolAvailable(state),
    holders: Object.entries(state.grants).map(([holder, held]) => ({
      holder,
      tokens: held.tokens,
      grantedAt: held.grantedAt,
    })),
    waiting: state.waiting.map((waiter) => ({ ...waiter })),
    history: state.history.map((record) => ({ ...record })),
  };
}

/** The pool's entity workflow id. */
export function poolWorkflowId(name: string): string {
  return `tokenflow-pool-${name}`;
}
