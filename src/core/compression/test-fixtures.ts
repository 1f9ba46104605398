import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTiktokenCounter } from '../token-counter';
import type { NewsItem } from '../types';

/** The tokenizer the savings are measured in. */
export const counter = createTiktokenCounter('o200k_base');

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
export const BARS = SP500_ROWS.slice(-30);
const HEADER = ['Date', 'Open', 'High', 'Low', 'Close', 'Adj Close', 'Volume'];

/** Renders rows as a markdown table with a header row. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

export const PRICE_TABLE = markdownTable(HEADER, BARS);

export const FUNDAMENTALS_JSON = JSON.stringify(
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

export const NEWS: NewsItem[] = [
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
export function renderNewsItem(item: NewsItem): string {
  return `${item.date} | ${item.source} | ${item.headline}\n${item.body}`;
}

export const NEWS_TEXT = NEWS.map(renderNewsItem).join('\n\n');

/** The share of `before`'s tokens that `after` saves. */
export function savings(before: string, after: string): number {
  return 1 - counter.count(after) / counter.count(before);
}
