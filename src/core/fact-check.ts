/**
 * The facts a prompt must never lose through compression: numbers, ticker symbols and dates. The optimizer
 * extracts them from a section before and after compression and falls back to the uncompressed section when
 * one went missing (model-based compressors are known to corrupt numbers and IDs, microsoft/LLMLingua#93;
 * rule-based ones can too, so every result is checked).
 *
 * Facts are normalised strings, so the check compares meaning rather than spelling:
 * - numbers: thousands separators removed (`1,009,000` -> `1009000`), trailing zeros after the decimal
 *   point removed (`1478.000000` -> `1478`, `12.50` -> `12.5`), leading zeros removed (`.5` -> `0.5`),
 *   exponents expanded (`1.5e3` -> `1500`), `+` dropped, `-`/`−` kept as `-` (but `-0` is `0`), and a
 *   percent sign kept as part of the fact (`5 %` and `5.0%` are both `5%`, which differs from `5`);
 *   a digit run glued to a preceding letter (`Q3`, `o200k`) is part of a word, not a number;
 * - dates: `YYYY-MM-DD` and `YYYY/MM/DD`, and month-name forms (`Jan 1 2000`, `January 1, 2000`,
 *   `1 Jan 2000`, `Jan. 1st, 2000`) normalised to ISO `YYYY-MM-DD`; the digits of a date are not also
 *   counted as numbers, so rewriting a date's format loses nothing;
 * - tickers: cashtags (`$AAPL`, `$F`) and bare words of 2-5 capital letters with an optional share-class
 *   suffix (`MSFT`, `BRK.B`), except common all-caps words listed in {@link TICKER_STOPWORDS} (English
 *   words, decisions such as BUY/SELL/HOLD, titles such as CEO, indicators such as RSI/MACD, currency codes,
 *   exchanges, agencies). Known tickers passed in `knownTickers` always count, even one-letter or
 *   stop-listed ones (`F`, `ALL`, `NOW`).
 * - URLs are not facts: the digits of a link's path are identifiers, not figures, so news links may be
 *   dropped.
 */

/** Common all-caps words that are not treated as ticker symbols unless passed as known tickers. */
export const TICKER_STOPWORDS: ReadonlySet<string> = new Set(
  // English words and report vocabulary
  (
    'A AN AND ANY ARE AS AT BE BUT BY CAN DO FOR FROM GO HAD HAS HAVE HE HER HIS IF IN INTO IS IT ITS ME MY ' +
    'NO NOT NOW OF OFF OK ON ONE OR OUR OUT OVER SO THAN THAT THE THEIR THEM THEN THEY THIS TO TWO UP US WAS WE ' +
    'WHAT WHEN WHO WHY WILL WITH YES YOU YOUR ALL NEW TOP KEY LOW HIGH OPEN CLOSE DATE TIME YEAR WEEK DAY DAYS ' +
    'NOTE NOTES FINAL TOTAL DATA NEWS RISK RISKS PLAN TRADE TREND LONG SHORT BULL BEAR ENTRY EXIT STOP LOSS GAIN ' +
    'PRICE VALUE RATE BASE CASE BEST WORST NEXT LAST MORE LESS MOST VERY ONLY ALSO JUST SELF TEAM GOOD BAD ' +
    'TODO TBD NA N/A NONE NULL TRUE FALSE END START ID IDS OF REPORT ' +
    // decisions and ratings
    'BUY SELL HOLD AVOID WAIT LONG SHORT NEUTRAL STRONG WEAK ' +
    // titles and corporate words
    'CEO CFO COO CTO CIO CMO VP SVP EVP IR PR HR LLC INC CORP CO LTD PLC AG SA NV AB ' +
    // finance, accounting and indicators
    'EPS PE PB PS PEG ROE ROA ROI ROIC FCF EBIT DCF YOY QOQ MOM TTM YTD MTD FY FQ ATH ATL IPO ETF ETFS REIT ' +
    'NAV AUM GDP CPI PPI PMI ISM FOMC FED ECB BOE BOJ RSI MACD SMA EMA ATR ADX OBV VWAP BB CCI MFI ROC SAR ' +
    'OTC M&A API AI ML LLM GPU CPU EV EVS ESG SAAS CAPEX OPEX COGS SGA DSO ' +
    // currencies, exchanges, regions and agencies
    'USD EUR GBP JPY CNY CHF CAD AUD HKD INR KRW NYSE AMEX LSE TSX HKEX SSE SZSE ' +
    'UK EU USA UN IMF WHO SEC FDA FTC DOJ IRS FBI CIA NASA OPEC NATO CNBC WSJ BBC CNN AP ' +
    'U.S U.K E.U AM PM EST EDT UTC GMT PST PDT CET ' +
    'COVID SARS Q1 Q2 Q3 Q4 H1 H2 ' +
    'JAN FEB MAR APR MAY JUN JUL AUG SEP SEPT OCT NOV DEC MON TUE WED THU FRI SAT SUN'
  ).split(/\s+/),
);

/** Facts of a text, by kind. Each set keeps the order of first appearance. */
export interface FactsByKind {
  numbers: Set<string>;
  tickers: Set<string>;
  dates: Set<string>;
}

export interface FactExtractionOptions {
  /** Symbols that always count as tickers, even one-letter or stop-listed ones (e.g. the analysed ticker). */
  knownTickers?: Iterable<string>;
}

const MONTH_NUMBERS: Readonly<Record<string, number>> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};

const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** Month words as written in prose: full names, three-letter forms and `Sept`, capitalised or upper case. */
const MONTH_ALTERNATION = (() => {
  const forms = new Set<string>();
  for (const name of MONTH_NAMES) {
    for (const form of [name, name.slice(0, 3), name === 'September' ? 'Sept' : name]) {
      forms.add(form);
      forms.add(form.toUpperCase());
    }
  }
  // Longest first so `September` is not matched as `Sep` followed by `tember`.
  return [...forms].sort((left, right) => right.length - left.length).join('|');
})();

/** Digits of a number (see {@link FACT_PATTERN}). */
const NUMBER_SOURCE = String.raw`(?<![\w.])([-+\u2212])?(?<![\w.])((?:(?<!,)\d{1,3}(?:,\d{3})+(?!\d|,\d)|\d+)(?:\.\d+)?|\.\d+)(?:[eE]([-+]?\d{1,3})(?!\d))?(\s?%)?`;

/**
 * One left-to-right pass over every kind of fact, so a date's digits are consumed by the date and never
 * read as numbers, and a URL's by the URL. Alternatives, in the order tried at each position:
 * 1. a URL (group 1), skipped: the digits of a link's path are identifiers, not figures;
 * 2. an ISO-like date `YYYY-MM-DD` or `YYYY/MM/DD` (groups 2-4);
 * 3. day-month-year, `1 Jan 2000`, `1st January, 2000` (groups 5-7);
 * 4. month-day-year, `Jan 1 2000`, `Jan. 1st, 2000`, `January 1, 2000` (groups 8-10);
 * 5. a number (groups 11-14): optional sign (only when the sign does not follow a word character, so
 *    `2000-2005` is two unsigned years), a thousands-grouped or plain integer part with optional decimals
 *    or a bare `.5`, optional exponent, optional percent sign; digits glued to a preceding letter or dot are
 *    part of a word. Comma grouping is only read in a number that does not directly follow a comma, so the
 *    CSV row `2002-07-24,910,896.81` holds 910 and 896.81, not 910896.81;
 * 6. a cashtag or a bare run of 1-5 capitals (groups 15-16), filtered afterwards.
 */
const FACT_PATTERN = new RegExp(
  String.raw`((?:https?:\/\/|www\.)[^\s<>()\[\]"']+)` +
    String.raw`|(?<![\w.])(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?!\d)` +
    String.raw`|(?<![\w.])(\d{1,2})(?:st|nd|rd|th)?\s+(${MONTH_ALTERNATION})\.?,?\s+(\d{4})(?!\d)` +
    String.raw`|\b(${MONTH_ALTERNATION})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)` +
    `|${NUMBER_SOURCE}` +
    String.raw`|(?<![\w&$.])(\$)?([A-Z]{1,5}(?:\.[A-Z]{1,2})?)(?![\w&])`,
  'g',
);

/** Numbers only, to re-read the text of something that looked like a date but was not one (`2020-13-45`). */
const NUMBER_PATTERN = new RegExp(NUMBER_SOURCE, 'g');

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isoDate(year: string, month: number, day: number): string | undefined {
  if (month < 1 || month > 12 || day < 1 || day > (DAYS_IN_MONTH[month - 1] ?? 0)) return undefined;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** True for a plain literal already in normal form (no sign, grouping, exponent, leading or trailing zero). */
function isNormalLiteral(body: string): boolean {
  const first = body.charCodeAt(0);
  if (first === 48 /* 0 */ && body.length > 1 && body.charCodeAt(1) !== 46 /* . */) return false;
  if (first === 46 /* . */ || body.includes(',')) return false;
  const point = body.indexOf('.');
  return point < 0 || body.charCodeAt(body.length - 1) !== 48;
}

/**
 * Normalises a number literal as the fact check compares it: no thousands separators, no `+`, no leading or
 * trailing zeros, exponent expanded, `%` kept. `percent` marks a literal followed by a percent sign.
 */
export function normalizeNumber(literal: string, options: { percent?: boolean } = {}): string {
  let text = literal.trim();
  let percent = options.percent ?? false;
  if (text.endsWith('%')) {
    percent = true;
    text = text.slice(0, -1).trimEnd();
  }
  let sign = '';
  const first = text.charAt(0);
  if (first === '-' || first === '\u2212') {
    sign = '-';
    text = text.slice(1);
  } else if (first === '+') {
    text = text.slice(1);
  }
  let exponent = 0;
  const exponentIndex = text.search(/[eE]/);
  if (exponentIndex >= 0) {
    exponent = Number.parseInt(text.slice(exponentIndex + 1), 10) || 0;
    text = text.slice(0, exponentIndex);
  }
  return normalizeParts(sign, text, exponent, percent);
}

function normalizeParts(sign: string, body: string, exponent: number, percent: boolean): string {
  const suffix = percent ? '%' : '';
  if (exponent === 0 && isNormalLiteral(body)) {
    return (body === '0' ? '' : sign) + body + suffix;
  }
  const text = body.includes(',') ? body.replace(/,/g, '') : body;
  const pointIndex = text.indexOf('.');
  let integerPart = pointIndex >= 0 ? text.slice(0, pointIndex) : text;
  let fractionPart = pointIndex >= 0 ? text.slice(pointIndex + 1) : '';
  if (exponent !== 0 && Math.abs(exponent) <= 400) {
    const digits = integerPart + fractionPart;
    const pointPosition = integerPart.length + exponent;
    if (pointPosition <= 0) {
      integerPart = '0';
      fractionPart = '0'.repeat(-pointPosition) + digits;
    } else if (pointPosition >= digits.length) {
      integerPart = digits + '0'.repeat(pointPosition - digits.length);
      fractionPart = '';
    } else {
      integerPart = digits.slice(0, pointPosition);
      fractionPart = digits.slice(pointPosition);
    }
  }
  integerPart = integerPart.replace(/^0+(?=\d)/, '') || '0';
  fractionPart = fractionPart.replace(/0+$/, '');
  const isZero = integerPart === '0' && fractionPart === '';
  return `${isZero ? '' : sign}${integerPart}${fractionPart ? `.${fractionPart}` : ''}${suffix}`;
}

type FactKind = keyof FactsByKind;

function monthNumber(name: string): number {
  return MONTH_NUMBERS[name.slice(0, 3).toLowerCase()] ?? 0;
}

function addNumbers(text: string, add: (kind: FactKind, fact: string) => void): void {
  NUMBER_PATTERN.lastIndex = 0;
  for (let match = NUMBER_PATTERN.exec(text); match !== null; match = NUMBER_PATTERN.exec(text)) {
    const sign = match[1] === undefined || match[1] === '+' ? '' : '-';
    const exponent = match[3] === undefined ? 0 : Number.parseInt(match[3], 10);
    add('numbers', normalizeParts(sign, match[2] ?? '', exponent, match[4] !== undefined));
  }
}

/** Calls `add` for every fact of `text` in order of appearance (duplicates included). */
function scanFacts(
  text: string,
  options: FactExtractionOptions,
  add: (kind: FactKind, fact: string) => void,
): void {
  const known = options.knownTickers ? new Set(options.knownTickers) : undefined;
  const pattern = FACT_PATTERN;
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    if (match[1] !== undefined) continue;
    let date: string | undefined | null = null;
    if (match[2] !== undefined) date = isoDate(match[2], Number(match[3]), Number(match[4]));
    else if (match[5] !== undefined)
      date = isoDate(match[7] ?? '', monthNumber(match[6] ?? ''), Number(match[5]));
    else if (match[8] !== undefined) date = isoDate(match[10] ?? '', monthNumber(match[8]), Number(match[9]));
    if (date !== null) {
      if (date === undefined) addNumbers(match[0], add);
      else add('dates', date);
      continue;
    }
    if (match[12] !== undefined) {
      const sign = match[11] === undefined || match[11] === '+' ? '' : '-';
      const exponent = match[13] === undefined ? 0 : Number.parseInt(match[13], 10);
      add('numbers', normalizeParts(sign, match[12], exponent, match[14] !== undefined));
      continue;
    }
    const symbol = match[16];
    if (symbol === undefined) continue;
    if (
      match[15] !== undefined ||
      known?.has(symbol) ||
      (symbol.length >= 2 && !TICKER_STOPWORDS.has(symbol))
    ) {
      add('tickers', symbol);
    }
  }
}

/** Extracts numbers, tickers and dates (see the module comment for what counts and how it is normalised). */
export function extractFactsByKind(text: string, options: FactExtractionOptions = {}): FactsByKind {
  const facts: FactsByKind = { numbers: new Set(), tickers: new Set(), dates: new Set() };
  scanFacts(text, options, (kind, fact) => facts[kind].add(fact));
  return facts;
}

/** Every fact of `text` as one set (numbers, tickers and ISO dates cannot collide, so no kind prefix). */
export function extractFacts(text: string, options: FactExtractionOptions = {}): Set<string> {
  const facts = new Set<string>();
  scanFacts(text, options, (_kind, fact) => facts.add(fact));
  return facts;
}

/** Facts of `source` missing from `candidate`, in the order they first appear in `source`. */
export function lostFacts(source: string, candidate: string, options: FactExtractionOptions = {}): string[] {
  if (source === candidate) return [];
  const kept = extractFacts(candidate, options);
  const lost: string[] = [];
  for (const fact of extractFacts(source, options)) {
    if (!kept.has(fact)) lost.push(fact);
  }
  return lost;
}

/** True when every one of `facts` is in `available`. */
export function factsCovered(facts: Iterable<string>, available: ReadonlySet<string>): boolean {
  for (const fact of facts) {
    if (!available.has(fact)) return false;
  }
  return true;
}
