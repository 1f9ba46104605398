/**
 * The vocabulary of the token ledger: how an attempt of a model call ended and where each of its token
 * figures came from. One attempt is one HTTP request to the endpoint; a call has one or more attempts
 * (Temporal retries), and every attempt that reached the endpoint is on the provider's bill.
 */

/** How one attempt ended. */
export const ATTEMPT_OUTCOME = {
  /** The answer arrived (the endpoint finished it, or tokenflow's stream monitor stopped it). */
  completed: 'completed',
  /** The attempt failed with an error it could report (a 429, a dropped stream, a timeout of its own). */
  failed: 'failed',
  /** Its worker died or went silent: the next attempt found only its last heartbeat, or nothing. */
  lost: 'lost',
  /** The run was cancelled while it streamed. */
  cancelled: 'cancelled',
} as const;

export type AttemptOutcome = (typeof ATTEMPT_OUTCOME)[keyof typeof ATTEMPT_OUTCOME];

export const ATTEMPT_OUTCOMES: readonly AttemptOutcome[] = Object.values(ATTEMPT_OUTCOME);

/** Where a token figure came from; the bill is the server's, everything else errs toward it. */
export const USAGE_SOURCE = {
  /** The endpoint's own usage report. */
  server: 'server',
  /** Counted with tokenflow's tokenizer, scaled by the endpoint's learned drift, never below one per chunk. */
  estimated: 'estimated',
  /** Nothing was known about the attempt: it is charged everything it could have spent (prompt + max_tokens). */
  reserved: 'reserved',
} as const;

export type UsageSource = (typeof USAGE_SOURCE)[keyof typeof USAGE_SOURCE];

export const USAGE_SOURCES: readonly UsageSource[] = Object.values(USAGE_SOURCE);

/** Records written before sources were named this way said `counted` for an estimate. */
export function normalizeUsageSource(value: string): UsageSource {
  if ((USAGE_SOURCES as readonly string[]).includes(value)) return value as UsageSource;
  return USAGE_SOURCE.estimated;
}

/** One attempt of a model call as the ledger keeps it. Plain JSON. */
export interface AttemptRecord {
  /** Temporal's attempt number, from 1. */
  attempt: number;
  outcome: AttemptOutcome;
  promptTokens: number;
  completionTokens: number;
  source: UsageSource;
  /** The failure type of a failed attempt (`RateLimited`, `StreamDropped`, `Timeout`, ...). */
  failureType?: string;
}

/** Everything an attempt put on the bill. */
export function attemptTokens(record: AttemptRecord): number {
  return record.promptTokens + record.completionTokens;
}

/** What a list of attempts put on the bill, prompt and completion apart (they are priced apart). */
export function attemptsUsage(records: readonly AttemptRecord[]): {
  promptTokens: number;
  completionTokens: number;
} {
  return records.reduce(
    (sum, record) => ({
      promptTokens: sum.promptTokens + record.promptTokens,
      completionTokens: sum.completionTokens + record.completionTokens,
    }),
    { promptTokens: 0, completionTokens: 0 },
  );
}

/** Everything a list of attempts put on the bill. */
export function attemptsTokens(records: readonly AttemptRecord[]): number {
  const { promptTokens, completionTokens } = attemptsUsage(records);
  return promptTokens + completionTokens;
}

/** Reads a list of attempt records from untrusted JSON (heartbeat or failure details); drops malformed entries. */
export function readAttemptRecords(value: unknown): AttemptRecord[] {
  if (!Array.isArray(value)) return [];
  const records: AttemptRecord[] = [];
  for (const entry of value as unknown[]) {
    if (typeof entry !== 'object' || entry === null) continue;
    const candidate = entry as Partial<Record<keyof AttemptRecord, unknown>>;
    const count = (field: unknown): number | undefined =>
      typeof field === 'number' && Number.isFinite(field) && field >= 0 ? Math.ceil(field) : undefined;
    const attempt = count(candidate.attempt);
    const promptTokens = count(candidate.promptTokens);
    const completionTokens = count(candidate.completionTokens);
    if (attempt === undefined || promptTokens === undefined || completionTokens === undefined) continue;
    const outcome = (ATTEMPT_OUTCOMES as readonly unknown[]).includes(candidate.outcome)
      ? (candidate.outcome as AttemptOutcome)
      : ATTEMPT_OUTCOME.lost;
    const source =
      typeof candidate.source === 'string' ? normalizeUsageSource(candidate.source) : USAGE_SOURCE.estimated;
    const record: AttemptRecord = { attempt, outcome, promptTokens, completionTokens, source };
    if (typeof candidate.failureType === 'string') record.failureType = candidate.failureType;
    records.push(record);
  }
  return records;
}

/** What a running attempt has put on the bill so far (estimated: the server tells only at the end). */
export interface AttemptProgress {
  promptTokens: number;
  completionTokens: number;
  /** The attempt's `max_tokens`. */
  maxTokens: number;
}

/** The invoke activity's heartbeat details as read back: today's shape and the totals older workers sent. */
interface HeartbeatShape {
  attempt?: unknown;
  attempts?: unknown;
  current?: unknown;
  lostTokens?: unknown;
  inputTokens?: unknown;
  outputTokens?: unknown;
}

/**
 * The attempts before `attempt`, from the last heartbeat the previous attempt managed to send. An attempt that
 * was still running then (its worker died or went silent) is `lost` with what it had spent by then; an attempt
 * that left no word at all is charged everything it could have spent, prompt + `max_tokens`, never 0, within
 * what the call reserved.
 */
export function attemptsFromHeartbeat(
  details: unknown,
  attempt: number,
  fallback: { promptTokens: number; maxTokens: number; spendCeiling: number },
): AttemptRecord[] {
  if (attempt <= 1) return [];
  const records: AttemptRecord[] = [];
  // Each attempt carries the ended attempts before it forward, so the last heartbeat accounts for every
  // attempt up to the one that sent it.
  let accountedUpTo = 0;
  if (typeof details === 'object' && details !== null) {
    const heartbeat = details as HeartbeatShape;
    const reported =
      typeof heartbeat.attempt === 'number' && heartbeat.attempt < attempt ? heartbeat.attempt : attempt - 1;
    accountedUpTo = reported;
    if (Array.isArray(heartbeat.attempts)) {
      records.push(...readAttemptRecords(heartbeat.attempts));
      const current = heartbeat.current as Partial<AttemptProgress> | undefined;
      if (current && typeof current === 'object' && !records.some((record) => record.attempt === reported)) {
        records.push({
          attempt: reported,
          outcome: ATTEMPT_OUTCOME.lost,
          promptTokens: nonNegative(current.promptTokens),
          completionTokens: nonNegative(current.completionTokens),
          source: USAGE_SOURCE.estimated,
        });
      }
    } else {
      // Details in the shape of older workers: one total for everything before.
      const promptTokens = nonNegative(heartbeat.inputTokens);
      records.push({
        attempt: reported,
        outcome: ATTEMPT_OUTCOME.lost,
        promptTokens,
        completionTokens: nonNegative(heartbeat.lostTokens) + nonNegative(heartbeat.outputTokens),
        source: USAGE_SOURCE.estimated,
      });
    }
  }
  let charged = attemptsTokens(records);
  for (let missing = accountedUpTo + 1; missing < attempt; missing++) {
    const room = Math.max(0, fallback.spendCeiling - charged);
    const promptTokens = Math.min(fallback.promptTokens, room);
    const completionTokens = Math.min(fallback.maxTokens, room - promptTokens);
    records.push({
      attempt: missing,
      outcome: ATTEMPT_OUTCOME.lost,
      promptTokens,
      completionTokens,
      source: USAGE_SOURCE.reserved,
    });
    charged += promptTokens + completionTokens;
  }
  return records.sort((left, right) => left.attempt - right.attempt);
}

function nonNegative(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.ceil(value) : 0;
}
