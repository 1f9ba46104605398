import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  compressItemList,
  compressItems,
  compressJson,
  compressSection,
  compressTables,
  compressText,
  dedupeItemTexts,
  encodeLogfmt,
  flattenAnswerMarkup,
  formatNumberCell,
  minifyJson,
  normalizeWhitespace,
  removeBoilerplateAndRepeats,
  splitSentences,
} from './compression';
import { extractFacts, lostFacts } from './fact-check';
import { createTiktokenCounter } from './token-counter';
import type { NewsItem, PromptSection } from './types';

const counter = createTiktokenCounter('o200k_base');

// ---------------------------------------------------------------------------------------------------------
// Fixtures: real S&P 500 bars (vega-datasets, as the bundled sample uses them), a fundamentals record, and
// twenty news items of April 2020 with the duplicates a news aggregator delivers (syndicated copies, reworded
// headlines, a stale repost), as the origin project's news feed did.

const SP500_CSV = readFileSync(join(process.cwd(), 'node_modules/vega-datasets/data/sp500-2000.csv'), 'utf8');
const SP500_ROWS = SP500_CSV.trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split(','));
/** The 30 bars up to 2020-04-17: `date,open,high,low,close,adjclose,volume` with six decimals, as published. */
const BARS = SP500_ROWS.slice(-30);
const HEADER = ['Date', 'Open', 'High', 'Low', 'Close', 'Adj Close', 'Volume'];

function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

const PRICE_TABLE = markdownTable(HEADER, BARS);

const FUNDAMENTALS_JSON = JSON.stringify(
  {
    ticker: 'AAPL',
    period: 'FY2020 Q2',
    currency: 'USD',
    reportDate: '2020-04-30',
    metrics: {
      revenue: 58313000000,
      netIncome: 11249000000,
      eps: 2.55,
      grossMargin: 0.381,
      operatingMargin: 0.2262,
      peRatio: 23.52,
      priceToBook: 14.42,
      debtToEquity: 1.4,
      currentRatio: 1.5,
      freeCashFlow: 11155000000,
      dividendPerShare: 0.82,
      sharesOutstanding: 4334335000,
    },
    notes:
      'Services revenue reached an all-time high of $13.35 billion; no guidance given for the June quarter.',
  },
  null,
  2,
);

const NEWS: NewsItem[] = [
  {
    date: '2020-04-17',
    source: 'Reuters',
    headline: 'Wall Street rallies as hopes for reopening economy build',
    body: 'U.S. stocks jumped on Friday, with the S&P 500 closing up 2.68% at 2874.56, as investors cheered plans to gradually reopen the economy and early data from a Gilead Sciences trial of remdesivir. The rally was broad, with all 11 major sectors ending higher. Energy and financial shares led the advance. Traders said the mood had improved markedly over the past two weeks. GILD shares rose 9.7% after a report that patients in a Chicago trial were recovering quickly. Volume on U.S. exchanges was 5.79 billion shares, compared with the 20-day average of 6.4 billion. Analysts cautioned that the path to recovery remained uncertain. Read more: Markets live coverage.',
  },
  {
    date: '2020-04-17',
    source: 'Yahoo Finance',
    headline: 'Wall Street rallies as hopes for reopening economy build',
    body: 'U.S. stocks jumped on Friday, with the S&P 500 closing up 2.68% at 2874.56, as investors cheered plans to gradually reopen the economy and early data from a Gilead Sciences trial of remdesivir. The rally was broad, with all 11 major sectors ending higher. Energy and financial shares led the advance. Traders said the mood had improved markedly over the past two weeks. GILD shares rose 9.7% after a report that patients in a Chicago trial were recovering quickly. Volume on U.S. exchanges was 5.79 billion shares, compared with the 20-day average of 6.4 billion. Analysts cautioned that the path to recovery remained uncertain. Read more: Markets live coverage.',
  },
  {
    date: '2020-04-16',
    source: 'CNBC',
    headline: 'Jobless claims top 5 million for a second straight week',
    body: 'Another 5.245 million Americans filed for unemployment benefits in the week ended April 11, the Labor Department said on Thursday. That brings the four-week total to about 22 million. Economists had expected 5.5 million claims. The figures underline how quickly the labor market has deteriorated since lockdowns began. Many state systems were overwhelmed by the surge in applications. Some economists warned that the official numbers likely understate the true extent of job losses. The unemployment rate could exceed 15% in April, according to several forecasts. The department will publish its next weekly report on April 23, 2020.',
  },
  {
    date: '2020-04-16',
    source: 'MarketWatch',
    headline: 'Jobless claims top 5 million for second straight week',
    body: 'Another 5.245 million Americans filed for unemployment benefits in the week ended April 11, the Labor Department said on Thursday. That brings the four-week total to about 22 million. Economists had expected 5.5 million claims. The figures underline how quickly the labor market has deteriorated since lockdowns began.',
  },
  {
    date: '2020-04-16',
    source: 'Bloomberg',
    headline: 'Amazon hits record high as shoppers turn to online orders',
    body: "Amazon.com Inc. shares rose 4.4% to a record $2,408.19 on Thursday as consumers stuck at home shifted more of their spending online. AMZN has gained about 30% this year, outperforming the S&P 500 by a wide margin. The company said it plans to hire another 75,000 workers after adding 100,000 in March. Analysts at several brokerages raised their price targets. The move added roughly $50 billion to the company's market value. Shares of other online retailers also climbed. Some investors questioned whether the rally had gone too far. The company is scheduled to report first-quarter results on April 30, 2020.",
  },
  {
    date: '2020-04-15',
    source: 'Reuters',
    headline: 'Retail sales plunge by record 8.7% in March',
    body: 'U.S. retail sales fell 8.7% in March, the biggest drop since the government began tracking the series in 1992, the Commerce Department said. Economists polled by Reuters had forecast a 8.0% decline. Sales at clothing stores collapsed 50.5%, while receipts at grocery stores surged 26.9%. The report adds to evidence that the economy is sliding into a deep recession. Consumer spending accounts for more than two-thirds of U.S. economic activity. Several economists said the second quarter would be far worse. Stocks fell after the release.',
  },
  {
    date: '2020-04-15',
    source: 'Investing.com',
    headline: 'Retail sales plunge by a record 8.7% in March',
    body: 'U.S. retail sales fell 8.7% in March, the biggest drop since the government began tracking the series in 1992, the Commerce Department said. Sales at clothing stores collapsed 50.5%, while receipts at grocery stores surged 26.9%. Industrial production dropped 5.4%, also the most since 1946.',
  },
  {
    date: '2020-04-15',
    source: 'CNBC',
    headline: 'Bank of America profit falls 45% as it sets aside $3.6 billion for bad loans',
    body: 'Bank of America said first-quarter profit fell 45% to $4.01 billion, or 40 cents a share, as it built reserves for loan losses expected from the pandemic. BAC set aside $3.6 billion in provisions for credit losses. Revenue slipped to $22.77 billion from $23 billion a year earlier. Chief Executive Brian Moynihan said the bank was prepared for a range of scenarios. The lender has extended payment deferrals to hundreds of thousands of customers. Shares fell 6.3% in afternoon trading. Other large banks reported similar trends this week.',
  },
  {
    date: '2020-04-14',
    source: 'Reuters',
    headline: 'JPMorgan quarterly profit drops 69% on credit reserve build',
    body: 'JPMorgan Chase & Co reported a 69% drop in first-quarter profit to $2.87 billion on Tuesday. JPM built $6.8 billion of credit reserves, and CEO Jamie Dimon said the bank is preparing for a fairly severe recession. Trading revenue rose 32% to $7.2 billion. Analysts said the results set the tone for the rest of the banking sector. The bank also suspended share buybacks through the second quarter. Its stock fell 2.7%.',
  },
  {
    date: '2020-04-14',
    source: 'Associated Press',
    headline: 'IMF says global economy will shrink 3% this year',
    body: 'The International Monetary Fund forecast that the global economy will contract 3% in 2020, the worst downturn since the Great Depression. It projected U.S. output would fall 5.9% and the euro area 7.5%. The fund said a partial recovery was possible in 2021, when it expects growth of 5.8%, if the pandemic fades in the second half of the year. Officials stressed that the outlook was highly uncertain. They urged governments to coordinate their responses. The views expressed in this article are those of the author.',
  },
  {
    date: '2020-04-14',
    source: 'AP News',
    headline: 'IMF says the global economy will shrink 3% this year',
    body: 'The International Monetary Fund forecast that the global economy will contract 3% in 2020, the worst downturn since the Great Depression. It projected U.S. output would fall 5.9% and the euro area 7.5%.',
  },
  {
    date: '2020-04-13',
    source: "Barron's",
    headline: 'Oil prices fall despite record OPEC+ output deal',
    body: 'Oil prices slipped on Monday even after OPEC+ agreed on Sunday to cut output by 9.7 million barrels per day, the largest cut ever. Brent crude settled down 0.8% at $31.74 a barrel while WTI fell 1.5% to $22.41. Traders said the cuts were not enough to offset the collapse in demand. Demand may fall by as much as 30 million barrels a day in April. Storage tanks around the world are filling up fast. Energy stocks were mixed. XOM slipped 1.1% and CVX edged up 0.4%.',
  },
  {
    date: '2020-04-13',
    source: 'The Motley Fool',
    headline: 'Why Zoom Video stock keeps climbing',
    body: 'Shares of Zoom Video Communications have soared as remote work and schooling push usage to new highs. ZM closed at $121.93, up 6.8% on the day. Daily meeting participants climbed to more than 200 million in March from 10 million in December. The company has faced questions about privacy and security. Management has pledged to fix the problems within 90 days. Some analysts think the valuation is stretched. Others argue the shift to video meetings is permanent. This article is not financial advice.',
  },
  {
    date: '2020-04-12',
    source: 'Financial Times',
    headline: 'Federal Reserve unveils $2.3tn in new lending programmes',
    body: 'The Federal Reserve announced on Thursday up to $2.3 trillion in loans to support households, employers and state and local governments. The package includes a $600 billion Main Street lending program for small and mid-sized companies. It will also buy investment-grade corporate bonds and some high-yield debt. Chair Jerome Powell said the Fed would use its powers forcefully, proactively and aggressively. Markets welcomed the move. Investment-grade bond spreads tightened sharply. Critics said the central bank was taking on too much credit risk.',
  },
  {
    date: '2020-04-12',
    source: 'Reuters',
    headline: 'Apple and Google team up on contact-tracing technology',
    body: "Apple Inc and Alphabet Inc's Google said on Friday they would work together on technology to help trace the spread of the coronavirus. AAPL and GOOGL plan to release software tools in May, followed by a broader platform in the months after. The companies said user privacy would be protected. Public health authorities would build the apps. Privacy advocates expressed caution. The two firms control the software on nearly all smartphones in use.",
  },
  {
    date: '2020-04-11',
    source: 'Benzinga',
    headline: 'Tesla to furlough workers as California plant stays shut',
    body: 'Tesla Inc plans to furlough non-essential workers and cut salaries by as much as 30% while its Fremont plant remains closed. TSLA shares have rebounded to $573.00 after falling to $361.22 in March. The company said the measures will last until at least May 4, 2020. Employees were told of the plan in an email. Production in Shanghai has resumed. Analysts expect deliveries to fall sharply in the second quarter.',
  },
  {
    date: '2020-04-11',
    source: 'Benzinga',
    headline: 'Tesla to furlough workers as California plant stays shut',
    body: 'Tesla Inc plans to furlough non-essential workers and cut salaries by as much as 30% while its Fremont plant remains closed. TSLA shares have rebounded to $573.00 after falling to $361.22 in March. The company said the measures will last until at least May 4, 2020. Employees were told of the plan in an email. Production in Shanghai has resumed. Analysts expect deliveries to fall sharply in the second quarter.',
  },
  {
    date: '2020-04-10',
    source: 'Reuters',
    headline: 'Johnson & Johnson raises dividend, cuts 2020 forecast',
    body: 'Johnson & Johnson raised its quarterly dividend by 6.3% to $1.01 a share and cut its 2020 sales forecast to between $77.5 billion and $80.5 billion. JNJ said first-quarter sales rose 3.3% to $20.69 billion, helped by stockpiling. The company expects the pandemic to weigh on medical device sales. It is also working on a vaccine candidate. Shares rose 4.5%.',
  },
  {
    date: '2020-04-10',
    source: 'Seeking Alpha',
    headline: 'Microsoft Teams reaches 44 million daily users',
    body: 'Microsoft said its Teams collaboration app reached 44 million daily users, up from 32 million a week earlier. MSFT shares have held up better than the broader market, down about 5% from their February peak. The company is adding capacity to its Azure cloud. Executives said demand remained strong across regions. Investors will get more detail with quarterly results on April 29, 2020. Click here to subscribe to our newsletter.',
  },
  {
    date: '2020-04-09',
    source: 'Reuters',
    headline: 'Wall Street rallies as hopes for reopening economy grow',
    body: 'U.S. stocks jumped on Friday, with the S&P 500 closing up 2.68% at 2874.56, as investors cheered plans to gradually reopen the economy. Energy and financial shares led the advance.',
  },
];

/** One news item as the prompt builder renders it (`src/core/prompts.ts`). */
function renderNewsItem(item: NewsItem): string {
  return `${item.date} | ${item.source} | ${item.headline}\n${item.body}`;
}

const NEWS_TEXT = NEWS.map(renderNewsItem).join('\n\n');

function savings(before: string, after: string): number {
  return 1 - counter.count(after) / counter.count(before);
}

function section(kind: PromptSection['kind'], text: string): PromptSection {
  return { id: kind, title: kind, kind, text, priority: 70, condensable: false };
}

// ---------------------------------------------------------------------------------------------------------

describe('lossless compression of data sections', () => {
  const table = compressSection(section('table', PRICE_TABLE), { counter });
  const json = compressSection(section('json', FUNDAMENTALS_JSON), { counter });
  const news = compressSection(section('news', NEWS_TEXT), { counter });

  test('keeps every number, ticker and date of the price table, the fundamentals and the news', () => {
    assert.deepEqual(lostFacts(PRICE_TABLE, table.text), []);
    assert.deepEqual(lostFacts(FUNDAMENTALS_JSON, json.text), []);
    assert.deepEqual(lostFacts(NEWS_TEXT, news.text), []);
    // The fixtures really carry facts of each kind, so the check above has something to lose.
    const newsFacts = extractFacts(NEWS_TEXT);
    for (const fact of ['AAPL', 'GOOGL', 'TSLA', '2874.56', '5.245', '8.7%', '2020-04-30']) {
      assert.ok(newsFacts.has(fact), `fixture lacks ${fact}`);
    }
    assert.ok(extractFacts(PRICE_TABLE).size > 150);
  });

  test('keeps each bar’s values in its own row, numerically equal (checked without the fact extractor)', () => {
    const lines = table.text.split('\n');
    assert.match(lines[0] ?? '', /Adj Close equals Close/);
    for (const [date, open, high, low, close, adjustedClose, volume] of BARS) {
      const row = lines.find((line) => line.startsWith(`${date},`));
      assert.ok(row, `row ${date} missing`);
      const values = row.split(',').slice(1).map(Number);
      assert.deepEqual(values, [open, high, low, close, volume].map(Number), `row ${date}`);
      assert.equal(Number(adjustedClose), Number(close), 'the note may only fold equal columns');
    }
  });

  test('keeps the fundamentals record field for field', () => {
    const source = JSON.parse(FUNDAMENTALS_JSON) as { metrics: Record<string, number> } & Record<
      string,
      unknown
    >;
    for (const [key, value] of Object.entries(source.metrics)) {
      assert.ok(json.text.includes(`${key}=${value}`), `metrics.${key}=${value} missing from ${json.text}`);
    }
    assert.ok(json.text.includes('reportDate=2020-04-30'));
    assert.ok(json.text.includes(JSON.stringify(source.notes)));
  });

  test('needs at least 30% fewer o200k tokens on the data sections together', (context) => {
    const before = counter.count(PRICE_TABLE) + counter.count(FUNDAMENTALS_JSON) + counter.count(NEWS_TEXT);
    const after = counter.count(table.text) + counter.count(json.text) + counter.count(news.text);
    const shares = {
      table: savings(PRICE_TABLE, table.text),
      json: savings(FUNDAMENTALS_JSON, json.text),
      news: savings(NEWS_TEXT, news.text),
      all: 1 - after / before,
    };
    const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;
    context.diagnostic(
      `o200k savings: table ${percent(shares.table)}, json ${percent(shares.json)}, news ${percent(shares.news)}, all ${percent(shares.all)}`,
    );
    assert.ok(shares.all >= 0.3, `only ${(shares.all * 100).toFixed(1)}% fewer tokens`);
    // Each kind contributes; the table is bounded by its digits (about 70% of its tokens are figures).
    assert.ok(shares.table >= 0.25, `table ${shares.table}`);
    assert.ok(shares.json >= 0.3, `json ${shares.json}`);
    assert.ok(shares.news >= 0.3, `news ${shares.news}`);
  });

  test('the check catches a lost row, figure or ticker (so the tests above can fail)', () => {
    const withoutRow = table.text
      .split('\n')
      .filter((line) => !line.startsWith('2020-04-09,'))
      .join('\n');
    const lost = lostFacts(PRICE_TABLE, withoutRow);
    assert.ok(lost.includes('2020-04-09'), `date not reported: ${lost.join(', ')}`);
    assert.ok(lost.includes('2776.98999'), `open of 2020-04-09 not reported: ${lost.join(', ')}`);
    assert.deepEqual(lostFacts(NEWS_TEXT, news.text.replace('$22.41', '$22.4')), ['22.41']);
    assert.deepEqual(lostFacts(NEWS_TEXT, news.text.replace(/\bJNJ\b/g, 'J&J')), ['JNJ']);
  });
});

describe('tables', () => {
  const rows = BARS.slice(0, 5).map(
    ([date, open, high, low, close, , volume]) => [date, open, high, low, close, volume] as string[],
  );
  const expectedBody = rows.map((row) => row.map((cell) => formatNumberCell(cell ?? '')).join(','));

  test('reads markdown, bare pipe, fixed-width, CSV and tab-separated tables into the same compact CSV', () => {
    const header = ['date', 'open', 'high', 'low', 'close', 'volume'];
    const formats = {
      markdown: markdownTable(header, rows),
      pipes: [header, ...rows].map((row) => row.join(' | ')).join('\n'),
      fixedWidth: [header, ...rows].map((row) => row.map((cell) => cell.padStart(12)).join('  ')).join('\n'),
      csv: [header, ...rows].map((row) => row.join(',')).join('\n'),
      tabs: [header, ...rows].map((row) => row.join('\t')).join('\n'),
    };
    for (const [name, text] of Object.entries(formats)) {
      const compressed = compressText(text, 'table');
      assert.equal(compressed, [header.join(','), ...expectedBody].join('\n'), name);
    }
  });

  test('writes numbers compactly without changing their value', () => {
    const cases: [string, string][] = [
      ['1469.250000', '1469.25'],
      ['1478.000000', '1478'],
      ['1,009,000', '1009000'],
      ['$1,234.50', '$1234.5'],
      ['5.00 %', '5%'],
      ['+3.20%', '+3.2%'],
      ['-0.00', '0'],
      ['0.000100', '0.0001'],
      ['N/A', 'N/A'],
      ['2020-04-17', '2020-04-17'],
    ];
    for (const [cell, expected] of cases) assert.equal(formatNumberCell(cell), expected, cell);
  });

  test('folds constant columns into a note, as in yfinance output with Dividends and Stock Splits', () => {
    const header = ['Date', 'Close', 'Dividends', 'Stock Splits'];
    const body = BARS.slice(0, 6).map(([date, , , , close]) => [date ?? '', close ?? '', '0.0', '0.0']);
    const compressed = compressTables(markdownTable(header, body), { allFormats: true });
    const [note, csvHeader, firstRow] = compressed.split('\n');
    assert.equal(note, 'In every row: Dividends is 0; Stock Splits is 0.');
    assert.equal(csvHeader, 'Date,Close');
    assert.equal(firstRow, `${body[0]?.[0]},${formatNumberCell(body[0]?.[1] ?? '')}`);
  });

  test('leaves prose with commas alone unless the section is a data table', () => {
    const prose =
      'Revenue rose, margins held, and guidance was raised.\nShares, however, fell, then recovered, late.';
    assert.equal(compressTables(prose, { allFormats: false }), prose);
  });

  test('turns a markdown summary table inside a report into CSV and keeps the prose', () => {
    const report =
      'Momentum is improving.\n\n| Indicator | Value | Signal |\n|---|---|---|\n| RSI(14) | 57.28 | Neutral |\n| MACD | 13.8347 | Bullish |\n\nOverall: **BUY**.';
    const compressed = compressText(report, 'report');
    assert.equal(
      compressed,
      'Momentum is improving.\n\nIndicator,Value,Signal\nRSI(14),57.28,Neutral\nMACD,13.8347,Bullish\n\nOverall: BUY.',
    );
  });
});

describe('JSON', () => {
  test('minifies without re-serialising, so no literal loses precision', () => {
    const text = '{\n  "id": 12345678901234567890,\n  "price": 12.50,\n  "ratio": 3.0,\n  "label": "a  b"\n}';
    assert.equal(minifyJson(text), '{"id":12345678901234567890,"price":12.5,"ratio":3,"label":"a  b"}');
    assert.equal(minifyJson('not json'), undefined);
  });

  test('prefers minified JSON when a re-encoding would pass a number through a double', () => {
    const text = JSON.stringify({ id: 1, nested: { value: 2 } }, null, 2).replace(
      '"value": 2',
      '"value": 12345678901234567890',
    );
    assert.equal(compressJson(text), '{"id":1,"nested":{"value":12345678901234567890}}');
  });

  test('writes flat records as logfmt and arrays of records as TOON, both decodable to the same data', () => {
    assert.equal(encodeLogfmt({ a: 1, b: 'two words', c: { d: true } }), 'a=1 b="two words"\nc: d=true');
    const estimates = Array.from({ length: 12 }, (_, index) => ({
      broker: `Broker ${String.fromCharCode(65 + index)}`,
      date: `2020-04-${String(index + 1).padStart(2, '0')}`,
      target: 250 + index * 2.5,
      rating: index % 3 === 0 ? 'BUY' : 'HOLD',
    }));
    const text = JSON.stringify(estimates, null, 2);
    const compressed = compressJson(text, { counter }) ?? '';
    assert.match(compressed, /^\[12\]\{broker,date,target,rating\}:/);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const toon = require('@toon-format/toon') as { decode(text: string): unknown };
    assert.deepEqual(toon.decode(compressed), estimates);
    assert.deepEqual(lostFacts(text, compressed), []);
    assert.ok(savings(text, compressed) > 0.5);
  });

  test('reads JSON inside a code fence', () => {
    assert.equal(compressJson('```json\n{ "a": [1, 2.50] }\n```'), 'a=[1,2.5]');
  });
});

describe('news and social items', () => {
  test('drops syndicated copies and keeps only the new facts of a repeat', () => {
    const compressed = compressText(NEWS_TEXT, 'news');
    const headlines = compressed.split('\n\n').map((item) => item.split('\n')[0] ?? '');
    assert.equal(headlines.filter((line) => line.includes('Tesla to furlough')).length, 1);
    assert.equal(headlines.filter((line) => line.includes('IMF says')).length, 1);
    const retail = compressed.split('\n\n').filter((item) => item.includes('Retail sales plunge'));
    assert.equal(retail.length, 2, 'the repeat adds industrial production, so it stays');
    assert.equal(retail[1]?.split('\n')[1], 'Industrial production dropped 5.4%, also the most since 1946.');
  });

  test('trims a long body to its lead and its fact-bearing sentences, and keeps short bodies whole', () => {
    const compressed = compressText(NEWS_TEXT, 'news');
    const first = compressed.split('\n\n')[0] ?? '';
    assert.ok(first.includes('The rally was broad, with all 11 major sectors ending higher.'), first);
    assert.ok(
      first.includes('Traders said') === false && !first.includes('Energy and financial shares'),
      first,
    );
    assert.ok(first.startsWith('2020-04-17 | Reuters | Wall Street rallies'), first);
    assert.ok(!compressed.includes('Read more'));
    const short = '2020-04-14 | Reuters | Oil steadies\nTraders were cautious. Prices barely moved.';
    assert.equal(compressText(short, 'news'), short);
  });

  test('de-duplicates across sections, one item per section, without losing a fact', () => {
    const texts = NEWS.map(renderNewsItem);
    const deduplicated = dedupeItemTexts(texts, 'news');
    assert.equal(deduplicated.length, texts.length);
    assert.equal(deduplicated[1], '', 'the syndicated copy of item 1 is empty');
    assert.equal(deduplicated[16], '', 'the repeated Tesla item is empty');
    assert.deepEqual(lostFacts(texts.join('\n\n'), deduplicated.join('\n\n')), []);
  });

  test('keeps both stories when headlines differ by one word, dropping only sentences repeated verbatim', () => {
    const items = [
      '2020-04-16 | Newswire | Dow rises on stimulus hopes as oil rebounds\nThe Dow gained 1.5%. Investors cheered the plan.',
      '2020-04-16 | Newswire | Dow falls on stimulus hopes as oil rebounds\nThe Dow slid 1.5%. Investors cheered the plan.',
    ];
    assert.deepEqual(compressItemList(items, { longBodyWords: 60 }), [
      items[0],
      '2020-04-16 | Newswire | Dow falls on stimulus hopes as oil rebounds\nThe Dow slid 1.5%.',
    ]);
  });

  test('drops reposted social posts whose facts are already there', () => {
    const posts = [
      '2020-04-17 | StockTwits | @trader1: $SPY breaking out above 285, loading calls for next week',
      '2020-04-17 | StockTwits | @trader2: $SPY breaking out above 285, loading calls for next week',
      '2020-04-17 | Reddit | u/value: Fed backstop or not, earnings will be ugly; staying in cash',
    ];
    const compressed = compressItems(posts.join('\n\n'), { longBodyWords: 80 });
    assert.deepEqual(compressed.split('\n\n'), [posts[0], posts[2]]);
  });
});

describe('text clean-up', () => {
  test('collapses spaces and blank lines but keeps indentation and never joins two tokens', () => {
    assert.equal(normalizeWhitespace('  a  b\t c \n\n\n\n    - d   e  \r\n'), 'a b c\n\n    - d e');
    assert.deepEqual(lostFacts('12  34\t56', normalizeWhitespace('12  34\t56')), []);
  });

  test('drops boilerplate and repeated lines only when their facts remain elsewhere', () => {
    const text = [
      'Apple reported record services revenue this quarter.',
      'Read more: our full coverage of earnings season',
      'Disclaimer: prices as of 2020-04-17, delayed by 15 minutes.',
      'Apple reported record services revenue this quarter.',
    ].join('\n');
    assert.equal(
      removeBoilerplateAndRepeats(text),
      'Apple reported record services revenue this quarter.\nDisclaimer: prices as of 2020-04-17, delayed by 15 minutes.',
    );
  });

  test('splits sentences but not at abbreviations, initials or decimal points', () => {
    assert.deepEqual(
      splitSentences('Apple Inc. rose 2.5% on Jan. 5. J. Smith of the U.S. Treasury agreed! Why? Fine.'),
      ['Apple Inc. rose 2.5% on Jan. 5.', 'J. Smith of the U.S. Treasury agreed!', 'Why?', 'Fine.'],
    );
  });

  test('reports no change for text that is already compact', () => {
    const compact = section('report', 'The trend is up. RSI is 57.28.');
    assert.deepEqual(compressSection(compact), { text: compact.text, changed: false });
  });
});

describe('quoted answers', () => {
  test('lose their heading markers and markup-only lines, and keep words, figures and tables', () => {
    const answer =
      '## Task\nWrite it.\n###\n#\n| a | b |\n| --- | --- |\n| 1 | 2 |\n***\n```\nWe stay bearish at 4.5%.';
    assert.equal(
      flattenAnswerMarkup(answer),
      'Task\nWrite it.\n| a | b |\n| --- | --- |\n| 1 | 2 |\nWe stay bearish at 4.5%.',
    );
    const compressed = compressText(answer, 'report');
    assert.deepEqual(lostFacts(answer, compressed), []);
    assert.ok(!compressed.includes('#'), compressed);
    assert.equal(
      compressText('## Prices\n###\nx', 'text'),
      '## Prices\n###\nx',
      'only quoted answers are flattened',
    );
  });
});
