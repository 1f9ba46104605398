import { AGENT_NAMES, SHARED_BUDGET_LINES, type AgentName, type BudgetLine } from './agents';

/**
 * The run's token budget. Pure and deterministic: it lives in workflow state and replays.
 *
 * Every agent has a line (its allocation); three shared lines come from the seed: `system_context` is a pool
 * any agent may draw on, `summary_output` pays for the decision repair, `buffer_overhead` pays for retries.
 * An agent may use its own remaining allocation plus every token no other open line still claims: unused
 * allocation of finished agents flows forward, and nobody takes what a later agent was promised. The hard
 * cap holds because a call reserves its whole ceiling (prompt, `max_tokens`, retry allowance) before it runs.
 * A call that spends past its ceiling anyway breaks that proof, so it is recorded as an overrun and the run
 * reserves nothing more: the cap may then be passed (by that call, or by calls already under way), but
 * visibly, and no new call starts.
 */
export interface BudgetLineState {
  allocation: number;
  reserved: number;
  spent: number;
  /** A closed line's leftover is free for later agents. */
  closed: boolean;
}

export interface BudgetState {
  hardCap: number;
  lines: Record<BudgetLine, BudgetLineState>;
  reservations: BudgetReservation[];
  /**
   * Calls that spent more than their ceiling, in settling order. Any entry stops further reservations.
   * State built by older code has no such field; readers treat it as empty.
   */
  overruns: BudgetOverrun[];
}

/** A call that spent more than its reservation's ceiling (amount + retry allowance). */
export interface BudgetOverrun {
  /** Id of the reservation (the call id). */
  id: string;
  line: BudgetLine;
  /** {@link reservationCeiling} of the reservation. */
  ceiling: number;
  /** Tokens charged for the call, all of them, not only the excess. */
  spent: number;
}

export interface BudgetReservation {
  id: string;
  line: BudgetLine;
  amount: number;
  /** Part of the reservation taken from `buffer_overhead` for retries of this call. */
  retryAllowance: number;
}

export interface BudgetAllocationInput {
  hardCap: number;
  agents: Record<AgentName, { allocation: number }>;
  sharedLines: Record<(typeof SHARED_BUDGET_LINES)[number], number>;
}

function emptyLine(allocation: number): BudgetLineState {
  return { allocation, reserved: 0, spent: 0, closed: false };
}

/**
 * Creates the budget of one run. When the hard cap differs from the configured total (a `--budget` flag),
 * every line is scaled in proportion; rounding leftovers go to the buffer line.
 */
export function createBudget(input: BudgetAllocationInput): BudgetState {
  if (!Number.isInteger(input.hardCap) || input.hardCap <= 0) {
    throw new Error(`The token budget must be a positive whole number, got ${input.hardCap}.`);
  }
  const unsettled = AGENT_NAMES.filter((name) => input.agents[name] === undefined);
  if (unsettled.length > 0) {
    throw new Error(
      `The run's settings have no allocation for ${unsettled.join(', ')}; register the same agents (src/agents) where the config is loaded as in the workflow bundle.`,
    );
  }
  const configured: Array<[BudgetLine, number]> = [
    ...AGENT_NAMES.map((name): [BudgetLine, number] => [name, input.agents[name].allocation]),
    ...SHARED_BUDGET_LINES.map((name): [BudgetLine, number] => [name, input.sharedLines[name]]),
  ];
  const configuredTotal = configured.reduce((sum, [, amount]) => sum + amount, 0);
  const factor = configuredTotal > 0 ? input.hardCap / configuredTotal : 0;
  const lines = {} as Record<BudgetLine, BudgetLineState>;
  let assigned = 0;
  for (const [name, amount] of configured) {
    const scaled = Math.floor(amount * factor);
    lines[name] = emptyLine(scaled);
    assigned += scaled;
  }
  lines.buffer_overhead.allocation += input.hardCap - assigned;
  return { hardCap: input.hardCap, lines, reservations: [], overruns: [] };
}

/**
 * Fewest tokens worth starting a run with: a quarter of its hard cap. With less it would mostly degrade, so a
 * backtest skips the date and a pool's degrading run does not start.
 */
export function minimumUsefulTokens(hardCap: number): number {
  return Math.ceil(hardCap / 4);
}

/** Overruns of `state`; an empty list for state from before overruns were recorded, which has none. */
function overrunsOf(state: BudgetState): BudgetOverrun[] {
  return (state as Partial<BudgetState>).overruns ?? [];
}

function lineRemaining(line: BudgetLineState): number {
  return Math.max(0, line.allocation - line.spent - line.reserved);
}

export function totalSpent(state: BudgetState): number {
  return Object.values(state.lines).reduce((sum, line) => sum + line.spent, 0);
}

export function totalReserved(state: BudgetState): number {
  return Object.values(state.lines).reduce((sum, line) => sum + line.reserved, 0);
}

/** Tokens of the hard cap neither spent nor reserved. */
export function runRemaining(state: BudgetState): number {
  return Math.max(0, state.hardCap - totalSpent(state) - totalReserved(state));
}

/** Remaining allocation of one line (0 when overdrawn). */
export function remainingOnLine(state: BudgetState, line: BudgetLine): number {
  return lineRemaining(state.lines[line]);
}

/**
 * Tokens `line` may reserve now: its own remaining allocation (a share of it when it has more rounds to
 * come), plus its fair share of the free pool (`system_context` and the leftovers of finished lines), in
 * proportion to its allocation among the agents still to run, so an early agent with a large prompt cannot
 * starve the ones after it. The last open agent gets the whole pool. Nothing at all once a call has overrun
 * its ceiling: the cap can no longer be proven, so the run makes no more calls.
 */
export function availableFor(state: BudgetState, line: BudgetLine, roundsLeft = 1): number {
  if (overrunsOf(state).length > 0) return 0;
  let protectedTokens = 0;
  let openAgentAllocation = 0;
  for (const name of Object.keys(state.lines) as BudgetLine[]) {
    const other = state.lines[name];
    if (name === line || name === 'system_context' || other.closed) continue;
    protectedTokens += lineRemaining(other);
    if (!(SHARED_BUDGET_LINES as readonly string[]).includes(name)) openAgentAllocation += other.allocation;
  }
  const own = lineRemaining(state.lines[line]);
  const keptForLaterRounds = roundsLeft > 1 ? Math.ceil((own * (roundsLeft - 1)) / roundsLeft) : 0;
  const usable = Math.max(0, runRemaining(state) - protectedTokens - keptForLaterRounds);
  const ownThisRound = Math.min(usable, own - keptForLaterRounds);
  const pool = usable - ownThisRound;
  const weight = state.lines[line].allocation;
  const share =
    weight + openAgentAllocation > 0 ? Math.floor((pool * weight) / (weight + openAgentAllocation)) : pool;
  return ownThisRound + share;
}

/**
 * Reserves `amount` on `line`, plus a retry allowance from the buffer line. Returns undefined when the
 * request does not fit; callers degrade instead of overrunning.
 */
export function reserve(
  state: BudgetState,
  id: string,
  line: BudgetLine,
  amount: number,
  retryAllowance = 0,
  roundsLeft = 1,
): BudgetReservation | undefined {
  if (amount <= 0 || amount > availableFor(state, line, roundsLeft)) return undefined;
  state.lines[line].reserved += amount;
  // The allowance must fit in what is left of the cap once the main amount is held.
  const allowance = Math.max(
    0,
    Math.min(retryAllowance, remainingOnLine(state, 'buffer_overhead'), runRemaining(state)),
  );
  state.lines.buffer_overhead.reserved += allowance;
  const reservation: BudgetReservation = { id, line, amount, retryAllowance: allowance };
  state.reservations.push(reservation);
  return reservation;
}

/** What {@link settle} did with a call's spend. */
export interface SettleResult {
  /** Tokens charged: the whole spend, rounded up to a whole token (0 when the reservation was already settled). */
  charged: number;
  /** Set when the call spent more than its ceiling; the same record was added to `state.overruns`. */
  overrun?: BudgetOverrun;
}

/**
 * Releases a reservation and charges what the call really spent: first to its line (up to the amount
 * reserved there), the rest to the buffer. Everything spent is charged, since the bill is the bill. Spending
 * past the ceiling is a caller bug (the invoke step enforces the ceiling), but when it happens the run's total
 * may pass its hard cap, so it is recorded as an overrun, which stops all further reservations. Settling a
 * reservation that is not open (already settled) charges nothing, so a repeated settle cannot double-bill.
 */
export function settle(
  state: BudgetState,
  reservation: BudgetReservation,
  spentTokens: number,
): SettleResult {
  const index = state.reservations.findIndex((candidate) => candidate.id === reservation.id);
  if (index === -1) return { charged: 0 };
  state.reservations.splice(index, 1);
  const spent = Math.max(0, Math.ceil(spentTokens));
  state.lines[reservation.line].reserved -= reservation.amount;
  state.lines.buffer_overhead.reserved -= reservation.retryAllowance;
  const onLine = Math.min(spent, reservation.amount);
  const onBuffer = spent - onLine;
  state.lines[reservation.line].spent += onLine;
  state.lines.buffer_overhead.spent += onBuffer;
  const ceiling = reservationCeiling(reservation);
  if (spent <= ceiling) return { charged: spent };
  const overrun: BudgetOverrun = { id: reservation.id, line: reservation.line, ceiling, spent };
  const overruns = overrunsOf(state);
  overruns.push(overrun);
  // State from before overruns were recorded gains the list on its first overrun.
  state.overruns = overruns;
  return { charged: spent, overrun };
}

/** Ceiling of a reservation: the most the call may spend in total. */
export function reservationCeiling(reservation: BudgetReservation): number {
  return reservation.amount + reservation.retryAllowance;
}

/** Marks a line finished so its leftover flows to later agents. */
export function closeLine(state: BudgetState, line: BudgetLine): void {
  state.lines[line].closed = true;
}

/**
 * Changes the hard cap of a running run. Refuses a cap below what is already spent or reserved; the
 * difference is spread over the open lines in proportion to what they have left (rises go to the pool).
 */
export function changeHardCap(state: BudgetState, newCap: number): void {
  const committed = totalSpent(state) + totalReserved(state);
  const problem = validateHardCapChange(state, newCap);
  if (problem) throw new Error(problem);
  const delta = newCap - state.hardCap;
  state.hardCap = newCap;
  if (delta >= 0) {
    state.lines.system_context.allocation += delta;
    return;
  }
  const openNames = (Object.keys(state.lines) as BudgetLine[]).filter((name) => !state.lines[name].closed);
  const openRemaining = openNames.reduce((sum, name) => sum + lineRemaining(state.lines[name]), 0);
  const free = newCap - committed;
  if (openRemaining <= 0) return;
  const factor = Math.min(1, free / openRemaining);
  for (const name of openNames) {
    const line = state.lines[name];
    const keep = Math.floor(lineRemaining(line) * factor);
    line.allocation = line.spent + line.reserved + keep;
  }
}

/** Why a new hard cap is not acceptable, or undefined when it is. */
export function validateHardCapChange(state: BudgetState, newCap: number): string | undefined {
  if (!Number.isInteger(newCap) || newCap <= 0)
    return `The new budget must be a positive whole number, got ${newCap}.`;
  const committed = totalSpent(state) + totalReserved(state);
  if (newCap < committed) {
    return `The new budget ${newCap} is below the ${committed} tokens already spent or reserved; choose at least ${committed}.`;
  }
  return undefined;
}

/** A plain summary for queries and reports. */
export interface BudgetSummary {
  hardCap: number;
  spent: number;
  reserved: number;
  remaining: number;
  /** Calls that spent past their ceiling (a copy); non-empty means the run stopped reserving. */
  overruns: BudgetOverrun[];
  /** Tokens spent beyond the hard cap, 0 when the run kept to it. */
  overCap: number;
  lines: Array<{ line: BudgetLine } & BudgetLineState & { remaining: number }>;
}

/** Summarizes `state` as plain JSON that shares nothing with it. */
export function summarizeBudget(state: BudgetState): BudgetSummary {
  const spent = totalSpent(state);
  return {
    hardCap: state.hardCap,
    spent,
    reserved: totalReserved(state),
    remaining: runRemaining(state),
    overruns: overrunsOf(state).map((overrun) => ({ ...overrun })),
    overCap: Math.max(0, spent - state.hardCap),
    lines: (Object.keys(state.lines) as BudgetLine[]).map((line) => ({
      line,
      ...state.lines[line],
      remaining: lineRemaining(state.lines[line]),
    })),
  };
}
