import type { Context } from '@temporalio/activity';
import { attemptsTokens, type AttemptProgress, type AttemptRecord } from '../core/ledger';
import type { InvokeHeartbeat } from './invoke-activity';

/** Longest pause between two heartbeats while an attempt waits for a busy server's first byte. */
const WAITING_HEARTBEAT_MS = 1000;

/**
 * The heartbeats of one invoke attempt: what it has put on the bill so far, for the next attempt to read if
 * this worker dies. Worker liveness is not server progress: a busy server may hold the request for minutes
 * without a byte, so the attempt also heartbeats on a timer (and so receives a cancellation) meanwhile.
 */
export class AttemptHeartbeat {
  private lastSentAt = 0;
  private ticker: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly context: Context,
    private readonly attempt: {
      attempt: number;
      /** Attempts that ended before this one. */
      earlier: AttemptRecord[];
      /** Least time between two heartbeats for streamed deltas; 0 leaves throttling to the SDK. */
      everyMs: number;
    },
    private readonly progress: () => AttemptProgress,
  ) {}

  private send(details: InvokeHeartbeat): void {
    this.lastSentAt = Date.now();
    this.context.heartbeat(details);
  }

  /** Sends this attempt's progress; unless `force`, at most once per `everyMs`. */
  beat(force: boolean): void {
    const { attempt, earlier, everyMs } = this.attempt;
    if (!force && everyMs > 0 && Date.now() - this.lastSentAt < everyMs) return;
    const current = this.progress();
    this.send({
      attempt,
      attempts: earlier,
      current,
      lostTokens: attemptsTokens(earlier),
      inputTokens: current.promptTokens,
      outputTokens: current.completionTokens,
    });
  }

  /** The attempt is over: it joins the ended attempts, so the next one reads it as it ended. */
  ended(attempts: AttemptRecord[]): void {
    this.send({
      attempt: this.attempt.attempt,
      attempts,
      lostTokens: attemptsTokens(attempts),
      inputTokens: 0,
      outputTokens: 0,
    });
  }

  /** Heartbeats every second (a third of the heartbeat timeout when that is shorter) until `stop`. */
  startWaiting(): void {
    const heartbeatTimeoutMs = this.context.info.heartbeatTimeoutMs ?? 0;
    const waitingMs =
      heartbeatTimeoutMs > 0 ? Math.min(WAITING_HEARTBEAT_MS, heartbeatTimeoutMs / 3) : WAITING_HEARTBEAT_MS;
    this.ticker = setInterval(() => this.beat(true), waitingMs);
  }

  stop(): void {
    clearInterval(this.ticker);
  }
}
