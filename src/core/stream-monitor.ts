import { FINISH_REASON } from './finish-reasons';
import { answerBeforeRepeat, RepetitionDetector, type RepetitionFound } from './repetition-detector';
import { estimateServerTokens } from './tokenizer-drift';
import type { TokenCounter } from './types';

/**
 * Live completion token count that stays cheap on long answers: text up to a recent word boundary is counted
 * once and kept as a running total, only the short tail since is recounted on each delta. Splitting before a
 * space matches how BPE pre-tokenizers split, so the total stays within a token or two of a full recount.
 */
export class LiveTokenCount {
  private committed = 0;
  private tail = '';
  tokens = 0;

  constructor(private readonly counter: TokenCounter) {}

  add(text: string): void {
    this.tail += text;
    if (this.tail.length > 256) {
      const boundary = this.tail.lastIndexOf(' ', this.tail.length - 16);
      if (boundary > 0) {
        this.committed += this.counter.count(this.tail.slice(0, boundary));
        this.tail = this.tail.slice(boundary);
      }
    }
    this.tokens = this.committed + this.counter.count(this.tail);
  }
}

/** Why the stream monitor stopped an answer: past its token ceiling (`limit`) or repeating itself. */
export type MonitorStop = typeof FINISH_REASON.limit | typeof FINISH_REASON.repetition;

export interface StreamMonitorOptions {
  counter: TokenCounter;
  /** The attempt's `max_tokens`. */
  maxTokens: number;
  /** Server tokens per local token of completion, as learned (1 before any is learned). */
  completionFactor: number;
  /** What the bill's completion estimate multiplies local tokens by (the learned drift, else an allowance). */
  estimateFactor: number;
  /** Optimized calls: stop once this many words in a row repeat an earlier passage; absent or < 2: off. */
  repetitionWindowWords?: number;
}

/**
 * The Stream Monitor of the seed's Response Control: it reads an answer as it streams, keeps a live count of its
 * tokens, and says when to stop it: a server that runs past `max_tokens` (the ceiling check uses the best
 * estimate and a little slack for one answer's drift from the mean, so a server that honours `max_tokens` is
 * never cut on its last chunks), or a runaway that has started rewriting what it already wrote.
 */
export class StreamMonitor {
  text = '';
  chunks = 0;
  stopped: MonitorStop | undefined;
  private readonly live: LiveTokenCount;
  private readonly repetition: RepetitionDetector;
  private readonly ceiling: number;
  private repeat: RepetitionFound | undefined;

  constructor(private readonly options: StreamMonitorOptions) {
    this.live = new LiveTokenCount(options.counter);
    this.repetition = new RepetitionDetector(options.repetitionWindowWords ?? 0);
    this.ceiling = options.maxTokens + Math.ceil(options.maxTokens * 0.02) + 4;
  }

  /** Reads one streamed delta; returns why to stop the stream now, if it should stop. */
  observe(delta: string): MonitorStop | undefined {
    if (delta !== '') {
      this.text += delta;
      this.chunks += 1;
      this.live.add(delta);
    }
    if (Math.max(this.chunks, Math.ceil(this.live.tokens * this.options.completionFactor)) > this.ceiling) {
      this.stopped = FINISH_REASON.limit;
    } else if (delta !== '') {
      this.repeat = this.repetition.update(this.text);
      if (this.repeat) this.stopped = FINISH_REASON.repetition;
    }
    return this.stopped;
  }

  /** The server's completion tokens so far by the best estimate, never below one a streamed chunk. */
  completionEstimate(): number {
    return this.text === ''
      ? 0
      : estimateServerTokens(this.live.tokens, this.options.estimateFactor, this.chunks);
  }

  /** The answer to keep: a runaway's text ends before its repeat. */
  answer(): string {
    return this.repeat ? answerBeforeRepeat(this.text, this.repeat.repeatStart) : this.text;
  }
}
