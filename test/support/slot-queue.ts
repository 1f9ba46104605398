/**
 * The slots of a busy server, as llama.cpp's server has them: at most `capacity()` requests are served at
 * once and the others wait in arrival order. A request holds its slot until its `over` signal aborts; tying
 * the slot to one signal frees it however the stream ends (finished, dropped, client gone, closed while hung).
 */
export class SlotQueue {
  readonly #capacity: () => number | undefined;
  readonly #waiting: Array<() => void> = [];
  #holders = 0;

  /** `capacity` is read on every admission, so a changed setting applies to the next free slot. */
  constructor(capacity: () => number | undefined) {
    this.#capacity = capacity;
  }

  /** Requests waiting for a slot. */
  get waitingCount(): number {
    return this.#waiting.length;
  }

  /**
   * Resolves `true` once the caller holds a slot (kept until `over` aborts), or `false` when `over` aborts
   * while it waits: it has then left the queue and will never hold a slot.
   */
  take(over: AbortSignal): Promise<boolean> {
    if (over.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const leave = (): void => {
        const index = this.#waiting.indexOf(admit);
        if (index >= 0) this.#waiting.splice(index, 1);
        resolve(false);
      };
      const admit = (): void => {
        over.removeEventListener('abort', leave);
        this.#holders++;
        over.addEventListener(
          'abort',
          () => {
            this.#holders--;
            this.admit();
          },
          { once: true },
        );
        resolve(true);
      };
      over.addEventListener('abort', leave, { once: true });
      this.#waiting.push(admit);
      this.admit();
    });
  }

  /** Hands free slots to the longest-waiting requests; call it again when the capacity grows. */
  admit(): void {
    const capacity = this.#capacity() ?? Number.POSITIVE_INFINITY;
    while (this.#holders < capacity) {
      const next = this.#waiting.shift();
      if (!next) return;
      next();
    }
  }
}
