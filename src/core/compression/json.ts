import type { encode as ToonEncode } from '@toon-format/toon' with { 'resolution-mode': 'import' };
import { lostFacts } from '../fact-check';
import type { TokenCounter } from '../types';
import type { CompressionOptions } from './options';

const CODE_FENCE = /^\s*```[\w-]*\n([\s\S]*?)\n```\s*$/;
const ARRAY_OF_OBJECTS = /\[\s*\{/;

function isJsonWhitespace(code: number): boolean {
  return code === 32 || code === 10 || code === 13 || code === 9;
}

/**
 * Removes whitespace outside strings and trailing fraction zeros of numbers from text known to be JSON, in
 * one pass over its characters, copying unchanged runs as slices.
 */
function stripJsonLayout(text: string): string {
  const parts: string[] = [];
  let copyFrom = 0;
  let index = 0;
  const length = text.length;
  while (index < length) {
    const code = text.charCodeAt(index);
    if (code === 34 /* " */) {
      index += 1;
      while (index < length) {
        const inner = text.charCodeAt(index);
        if (inner === 92 /* \ */) index += 2;
        else if (inner === 34) break;
        else index += 1;
      }
      index += 1;
    } else if (isJsonWhitespace(code)) {
      let end = index + 1;
      while (end < length && isJsonWhitespace(text.charCodeAt(end))) end += 1;
      parts.push(text.slice(copyFrom, index));
      copyFrom = end;
      index = end;
    } else if (code === 46 /* . */) {
      let end = index + 1;
      while (end < length && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end += 1;
      let keep = end;
      while (keep > index + 1 && text.charCodeAt(keep - 1) === 48) keep -= 1;
      if (keep === index + 1) keep = index;
      if (keep !== end) {
        parts.push(text.slice(copyFrom, keep));
        copyFrom = end;
      }
      index = end;
    } else {
      index += 1;
    }
  }
  parts.push(text.slice(copyFrom));
  return parts.join('');
}

/**
 * Minifies JSON without re-serialising it (so no number loses precision through a double): whitespace outside
 * strings goes and trailing fraction zeros are dropped (`12.50` -> `12.5`, `3.0` -> `3`). Undefined when the
 * text is not JSON.
 */
export function minifyJson(text: string): string | undefined {
  try {
    JSON.parse(text);
  } catch {
    return undefined;
  }
  return stripJsonLayout(text);
}

type ToonEncoder = typeof ToonEncode;
let toonEncoder: ToonEncoder | null | undefined;

/**
 * `@toon-format/toon` is an ES module; Node >= 20.19 can `require` it from this CommonJS build. On older
 * runtimes TOON is skipped and minified JSON is used.
 */
function loadToonEncoder(): ToonEncoder | null {
  if (toonEncoder !== undefined) return toonEncoder;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const toon = require('@toon-format/toon') as { encode?: ToonEncoder };
    toonEncoder = typeof toon.encode === 'function' ? toon.encode : null;
  } catch {
    toonEncoder = null;
  }
  return toonEncoder;
}

const LOGFMT_BARE = /^[^\s="\\]+$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function logfmtScalar(value: unknown): string | undefined {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return LOGFMT_BARE.test(value) ? value : JSON.stringify(value);
  if (Array.isArray(value) && value.every((entry) => entry === null || typeof entry !== 'object')) {
    return JSON.stringify(value);
  }
  return undefined;
}

/**
 * Writes a flat JSON object in logfmt (`key=value` pairs separated by spaces, strings with spaces quoted),
 * one line per run of scalar fields and one `key: a=1 b=2` line per nested object of scalars. For the flat
 * records of indicators and fundamentals this costs fewer tokens than minified JSON (no quotes around keys)
 * and than TOON (no indentation). Undefined for deeper or array-shaped documents.
 */
export function encodeLogfmt(value: unknown): string | undefined {
  if (!isPlainObject(value)) return undefined;
  const lines: string[] = [];
  let pairs: string[] = [];
  for (const [key, entry] of Object.entries(value)) {
    if (!LOGFMT_BARE.test(key)) return undefined;
    const scalar = logfmtScalar(entry);
    if (scalar !== undefined) {
      pairs.push(`${key}=${scalar}`);
      continue;
    }
    if (!isPlainObject(entry)) return undefined;
    const nested: string[] = [];
    for (const [nestedKey, nestedEntry] of Object.entries(entry)) {
      const nestedScalar = logfmtScalar(nestedEntry);
      if (!LOGFMT_BARE.test(nestedKey) || nestedScalar === undefined) return undefined;
      nested.push(`${nestedKey}=${nestedScalar}`);
    }
    if (pairs.length > 0) lines.push(pairs.join(' '));
    pairs = [];
    lines.push(`${key}: ${nested.join(' ')}`.trimEnd());
  }
  if (pairs.length > 0) lines.push(pairs.join(' '));
  return lines.join('\n');
}

/**
 * Compresses a JSON document to the cheapest of: minified JSON; logfmt for flat objects
 * ({@link encodeLogfmt}); TOON (`@toon-format/toon`, which writes arrays of uniform objects as one header
 * plus CSV-like rows) for documents holding arrays of objects. A re-encoding is only used when it keeps every
 * fact (numbers pass through a double when re-encoded). Undefined when the text (optionally inside a code
 * fence) is not JSON.
 */
export function compressJson(text: string, options: CompressionOptions = {}): string | undefined {
  const fenced = CODE_FENCE.exec(text);
  const source = (fenced?.[1] ?? text).trim();
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch {
    return undefined;
  }
  const minified = stripJsonLayout(source);
  let best = minified;
  const logfmt = encodeLogfmt(parsed);
  if (logfmt !== undefined && isSmaller(logfmt, best, options.counter)) best = logfmt;
  // TOON only wins on arrays of objects (a header plus rows); for plain objects its indentation costs more
  // tokens than minified JSON's quotes, so it is not even tried.
  const encode = ARRAY_OF_OBJECTS.test(source) ? loadToonEncoder() : null;
  if (encode !== null) {
    try {
      const toon = encode(parsed as Parameters<ToonEncoder>[0]);
      if (isSmaller(toon, best, options.counter)) best = toon;
    } catch {
      // Not encodable as TOON: keep the other candidates.
    }
  }
  if (best === minified) return minified;
  return lostFacts(source, best, options.factOptions).length === 0 ? best : minified;
}

/**
 * Whether `candidate` costs fewer tokens than `reference`. Clear length differences decide without
 * tokenizing; close calls are counted when a counter is available.
 */
function isSmaller(candidate: string, reference: string, counter: TokenCounter | undefined): boolean {
  if (candidate.length >= reference.length) return false;
  if (candidate.length < reference.length * 0.85 || counter === undefined) return true;
  return counter.count(candidate) < counter.count(reference);
}
