/** A connection opened on first use, shared by concurrent users, and retried after a pause when it fails. */
export interface LazyConnection<Value> {
  /** The open connection; rejects with the last failure until `retryAfterMs` has passed since it. */
  get(): Promise<Value>;
  /** The connection if it is open, for closing it at shutdown. */
  current(): Value | undefined;
}

/**
 * Wraps `connect` so the dashboard starts, and its ledger pages work, while Temporal is down: the live section
 * reports the failure, and the page's next poll after the pause tries again. The pause keeps a page polling
 * every second from opening a connection attempt every second.
 */
export function lazyConnection<Value>(
  connect: () => Promise<Value>,
  options: { retryAfterMs: number; now?: () => number },
): LazyConnection<Value> {
  const now = options.now ?? Date.now;
  let opened: Value | undefined;
  let pending: Promise<Value> | undefined;
  let failure: { error: unknown; at: number } | undefined;
  return {
    get() {
      if (opened !== undefined) return Promise.resolve(opened);
      if (pending) return pending;
      if (failure && now() - failure.at < options.retryAfterMs) return Promise.reject(failure.error);
      pending = connect().then(
        (value) => {
          opened = value;
          failure = undefined;
          pending = undefined;
          return value;
        },
        (error: unknown) => {
          failure = { error, at: now() };
          pending = undefined;
          throw error;
        },
      );
      return pending;
    },
    current() {
      return opened;
    },
  };
}
