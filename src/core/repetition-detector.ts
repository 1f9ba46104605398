/**
 * The stream monitor's runaway check: an answer that starts repeating itself word for word will not end by
 * itself. Small models stuck in a loop do this (SmolLM2-135M rewrites the same paragraph until `max_tokens`
 * stops it), and every token of the loop is paid for and then cut by the word limit. The detector sees the
 * answer as it streams and reports the first passage of `windowWords` words that already occurred earlier in
 * it; the answer is what came before the repeat.
 */

/** Words in a row that must recur verbatim before an answer counts as looping. */
export const DEFAULT_REPETITION_WINDOW_WORDS = 25;

/** A word: letters and digits, with inner apostrophes, hyphens, points and commas (`17.3`, `1,200`, `don't`). */
const WORD_PATTERN = /[\p{L}\p{N}]+(?:['\u2019.,-][\p{L}\p{N}]+)*/gu;
const JOINERS = /^['\u2019.,-]$/u;

export interface RepetitionFound {
  /** Offset of the repeated passage in the text: the answer ends before it. */
  repeatStart: number;
  /** Offset of the earlier passage it repeats. */
  firstStart: number;
}

/**
 * Incremental detector over a growing text. Each word is compared once: the key of the window ending at it is
 * looked up among the windows seen before, so a long answer costs time and memory linear in its words times
 * the window.
 */
export class RepetitionDetector {
  private readonly words: { key: string; start: number }[] = [];
  private readonly windows = new Map<string, number>();
  private scanned = 0;
  private found: RepetitionFound | undefined;
  /** This detector's own copy of the word pattern: `lastIndex` carries where the next scan starts. */
  private readonly pattern = new RegExp(WORD_PATTERN.source, WORD_PATTERN.flags);

  /** `windowWords` below 2 turns the detector off (a single word recurring is ordinary prose). */
  constructor(private readonly windowWords: number) {}

  /**
   * Feeds the whole text so far (each call's text extends the previous one) and returns the first repeat, once
   * found. A word touching the end of the text, or followed only by a joiner there, is left for the next call:
   * the stream may still extend it.
   */
  update(text: string): RepetitionFound | undefined {
    if (this.found || this.windowWords < 2) return this.found;
    const pattern = this.pattern;
    pattern.lastIndex = this.scanned;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      const end = match.index + match[0].length;
      // Not complete yet: at the end of the text, or before a joiner that the next chunk may continue (`17.`).
      if (end >= text.length || (JOINERS.test(text[end] ?? '') && end + 1 >= text.length)) break;
      this.scanned = end;
      this.words.push({ key: match[0].toLowerCase(), start: match.index });
      if (this.words.length < this.windowWords) continue;
      const first = this.words.length - this.windowWords;
      const key = this.words
        .slice(first)
        .map((word) => word.key)
        .join(' ');
      const earlier = this.windows.get(key);
      if (earlier !== undefined) {
        this.found = {
          repeatStart: this.words[first]?.start ?? 0,
          firstStart: this.words[earlier]?.start ?? 0,
        };
        return this.found;
      }
      this.windows.set(key, first);
    }
    return undefined;
  }
}

/** The first verbatim repeat of `windowWords` words in a complete text, if any. */
export function findRepetition(text: string, windowWords: number): RepetitionFound | undefined {
  // A final space makes the last word complete.
  return new RepetitionDetector(windowWords).update(`${text} `);
}

/**
 * The answer before a repeat found at `repeatStart`: without trailing whitespace and without the markup-only
 * lines (`###`, `***`) a loop tends to start with.
 */
export function answerBeforeRepeat(text: string, repeatStart: number): string {
  const lines = text.slice(0, repeatStart).split('\n');
  while (lines.length > 0 && !/[\p{L}\p{N}]/u.test(lines.at(-1) ?? '')) lines.pop();
  return lines.join('\n').trimEnd();
}
