import type { FactExtractionOptions } from '../fact-check';
import type { TokenCounter } from '../types';

export interface CompressionOptions {
  /** When given, close calls between encodings (minified JSON, logfmt, TOON) are decided in its tokens. */
  counter?: TokenCounter;
  /** Passed to the fact check (e.g. the analysed ticker, so a one-letter symbol counts). */
  factOptions?: FactExtractionOptions;
}
