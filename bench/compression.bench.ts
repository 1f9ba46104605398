import { compressSection, type CompressionOptions } from '../src/core/compression';
import { extractFacts, lostFacts } from '../src/core/fact-check';
import { optimizeDraft } from '../src/core/prompt-optimizer';
import { createTiktokenCounter } from '../src/core/token-counter';
import type { AnalysisInputs, PromptSection, PromptSectionKind, TokenCounter } from '../src/core/types';
import { SAMPLE_CASES, analystDrafts, loadSampleInputs } from './support/simulated-run';
import { fixed, markdownTable, median, positiveNumber, printSection, progress } from './support/statistics';

/**
 * Compression of the analysts' data sections (prices, indicators, news, social posts, fundamentals) on the
 * bundled sample: tokens before and after in o200k_base, facts lost (must be 0), and the throughput of
 * `compressSection`. The prompts are built exactly as the pipeline builds them (`buildPromptDraft`, then
 * `enhanceDraft`) and optimized by `optimizeDraft` in optimized mode without a context budget, so only
 * compression (no condensing or dropping) changes them.
 *
 * Environment: TOKENFLOW_BENCH_MIN_SECONDS (work per throughput trial, default 1), TOKENFLOW_BENCH_TRIALS
 * (throughput trials per variant, default 3).
 */

interface DataSection {
  ticker: string;
  agent: string;
  section: PromptSection;
  knownTickers: string[];
}

interface Tally {
  sections: number;
  before: number;
  after: number;
  facts: number;
  lostPerSection: number;
  lostInPrompt: number;
  fallbacks: number;
}

const emptyTally = (): Tally => ({
  sections: 0,
  before: 0,
  after: 0,
  facts: 0,
  lostPerSection: 0,
  lostInPrompt: 0,
  fallbacks: 0,
});

function add(tallies: Map<string, Tally>, key: string, update: Partial<Tally>): void {
  const tally = tallies.get(key) ?? emptyTally();
  for (const [field, value] of Object.entries(update) as [keyof Tally, number][]) tally[field] += value;
  tallies.set(key, tally);
}

function isData(section: PromptSection): boolean {
  return section.kind !== 'instructions';
}

/**
 * Megabytes (10^6 bytes of UTF-8 input) per second of `work` over `sections`, repeated until at least
 * `minimumSeconds` have passed; one warm-up pass first so the JIT has compiled the code.
 */
function throughput(
  sections: readonly DataSection[],
  work: (item: DataSection) => void,
  minimumSeconds: number,
): { megabytesPerSecond: number; passes: number; seconds: number } {
  const bytes = sections.reduce((sum, item) => sum + Buffer.byteLength(item.section.text, 'utf8'), 0);
  for (const item of sections) work(item);
  let passes = 0;
  const started = performance.now();
  let elapsed = 0;
  do {
    for (const item of sections) work(item);
    passes += 1;
    elapsed = (performance.now() - started) / 1000;
  } while (elapsed < minimumSeconds);
  return { megabytesPerSecond: (bytes * passes) / 1e6 / elapsed, passes, seconds: elapsed };
}

async function produce(): Promise<string> {
  const minimumSeconds = positiveNumber('TOKENFLOW_BENCH_MIN_SECONDS', 1);
  const trials = Math.round(positiveNumber('TOKENFLOW_BENCH_TRIALS', 3));
  progress('compression: loading the bundled sample');
  const allInputs: AnalysisInputs[] = await loadSampleInputs();
  const counter = createTiktokenCounter('o200k_base');

  const byAgent = new Map<string, Tally>();
  const byCase = new Map<string, Tally>();
  const byKind = new Map<PromptSectionKind, Tally>();
  const lostExamples: string[] = [];
  const dataSections: DataSection[] = [];
  let promptBefore = 0;
  let promptAfter = 0;

  for (const inputs of allInputs) {
    const factOptions = { knownTickers: [inputs.ticker] };
    const caseKey = `${inputs.ticker} ${inputs.date}`;
    for (const draft of analystDrafts(inputs, 'optimized')) {
      const optimized = optimizeDraft(draft, { counter, mode: 'optimized', factOptions });
      promptBefore += optimized.originalPromptTokens;
      promptAfter += optimized.promptTokens;
      const sentText = optimized.messages.map((message) => message.content).join('\n\n');
      const dataSources: string[] = [];
      draft.sections.forEach((section, index) => {
        if (!isData(section)) return;
        const report = optimized.sections[index];
        if (report === undefined || report.id !== section.id) {
          throw new Error(
            `optimizeDraft reported section ${report?.id ?? 'none'} where ${section.id} was expected.`,
          );
        }
        dataSources.push(section.text);
        dataSections.push({
          ticker: inputs.ticker,
          agent: draft.agent,
          section,
          knownTickers: [inputs.ticker],
        });
        // An independent check of compressSection alone, section by section (no cross-section help).
        const compressed = compressSection(section, { counter, factOptions });
        const lost = lostFacts(section.text, compressed.text, factOptions);
        if (lost.length > 0) lostExamples.push(`${caseKey} ${section.id}: ${lost.slice(0, 5).join(', ')}`);
        const update: Partial<Tally> = {
          sections: 1,
          // The optimizer's own counts are of the rendered section (`## title` line included) in o200k_base.
          before: report.originalTokens,
          after: report.finalTokens,
          facts: extractFacts(section.text, factOptions).size,
          lostPerSection: lost.length,
          fallbacks: report.action === 'fallback' ? 1 : 0,
        };
        add(byAgent, draft.agent, update);
        add(byCase, caseKey, update);
        add(byKind, section.kind, update);
      });
      // What reaches the model: every fact of the data sections must be in the messages actually sent.
      const lostInPrompt = lostFacts(dataSources.join('\n\n'), sentText, factOptions);
      lostInPrompt.push(...optimized.lostFacts.filter((fact) => !lostInPrompt.includes(fact)));
      if (lostInPrompt.length > 0)
        lostExamples.push(`${caseKey} ${draft.agent} (sent prompt): ${lostInPrompt.slice(0, 5).join(', ')}`);
      add(byAgent, draft.agent, { lostInPrompt: lostInPrompt.length });
      add(byCase, caseKey, { lostInPrompt: lostInPrompt.length });
    }
  }

  const total = emptyTally();
  for (const tally of byAgent.values())
    for (const field of Object.keys(total) as (keyof Tally)[]) total[field] += tally[field];

  progress(
    `compression: measuring throughput over ${dataSections.length} data sections (${trials} trials per variant)`,
  );
  const plain = (item: DataSection) =>
    compressSection(item.section, { factOptions: { knownTickers: item.knownTickers } });
  const uncachedCounter: TokenCounter = createTiktokenCounter('o200k_base', { cacheEntries: 0 });
  const withCounter = (item: DataSection) => {
    const options: CompressionOptions = {
      counter: uncachedCounter,
      factOptions: { knownTickers: item.knownTickers },
    };
    compressSection(item.section, options);
  };
  const withCheck = (item: DataSection) => {
    const factOptions = { knownTickers: item.knownTickers };
    const result = compressSection(item.section, { factOptions });
    lostFacts(item.section.text, result.text, factOptions);
  };
  const variants = [
    { name: '`compressSection` (no counter: alternatives compared by length)', work: plain },
    {
      name: '`compressSection` with an o200k counter, cache off (JSON vs TOON compared in tokens)',
      work: withCounter,
    },
    {
      name: "`compressSection` + `lostFacts` check (the optimizer's per-section work, no counter)",
      work: withCheck,
    },
  ];
  const results = new Map<string, number[]>(variants.map((variant) => [variant.name, []]));
  const passes = new Map<string, number>();
  for (let trial = 0; trial < trials; trial += 1) {
    // Interleaved trials: a noisy neighbour slows every variant alike instead of one.
    for (const variant of variants) {
      const result = throughput(dataSections, variant.work, minimumSeconds);
      results.get(variant.name)?.push(result.megabytesPerSecond);
      passes.set(variant.name, (passes.get(variant.name) ?? 0) + result.passes);
    }
    progress(`compression: throughput trial ${trial + 1}/${trials} done`);
  }
  const inputBytes = dataSections.reduce(
    (sum, item) => sum + Buffer.byteLength(item.section.text, 'utf8'),
    0,
  );

  const reduction = (tally: Tally) => `${fixed((1 - tally.after / tally.before) * 100, 1)}%`;
  const tallyRow = (label: string, tally: Tally) => [
    label,
    String(tally.sections),
    String(tally.before),
    String(tally.after),
    reduction(tally),
    String(tally.facts),
    String(tally.lostPerSection),
    String(tally.lostInPrompt),
    String(tally.fallbacks),
  ];
  const header = [
    '',
    'data sections',
    'tokens before',
    'tokens after',
    'reduction',
    'facts',
    'lost (per section)',
    'lost (sent prompt)',
    'fallbacks',
  ];
  const kindHeader = header.slice(0, 7).concat(['fallbacks']);
  const totalLost = total.lostPerSection + total.lostInPrompt;

  return [
    '## Compression of data sections',
    '',
    "Bench: `bench/compression.bench.ts`. Inputs: the bundled sample (`createMarketDataProvider({ kind: 'sample' })`)",
    `for ${SAMPLE_CASES.map((sample) => `${sample.ticker} ${sample.date}`).join(', ')}; SPX has 60 daily OHLCV bars, the`,
    'stocks 24 monthly closes (open, high and low equal the close, so column folding helps them most). For each case',
    'the four analyst prompts are built as the pipeline builds them (`buildPromptDraft` then `enhanceDraft`) and run',
    'through `optimizeDraft` in optimized mode with no context budget, so compression is the only change. "Data',
    'sections" are every section except instructions (prices, indicators, news items, social posts, fundamentals);',
    'tokens are o200k_base counts of each rendered section (`## title` line included) as `optimizeDraft` reports them.',
    '"lost (per section)": facts (numbers, tickers, dates; `fact-check.ts`) of a section missing from',
    '`compressSection` of that section alone; "lost (sent prompt)": facts of the data sections missing from the',
    'messages `optimizeDraft` returns, plus any it reports itself.',
    '',
    `**Total: ${total.before} -> ${total.after} tokens on ${total.sections} data sections, ${reduction(total)} fewer; facts lost: ${totalLost}**`,
    `(${total.lostPerSection} per section, ${total.lostInPrompt} in the sent prompts, of ${total.facts} facts); fallbacks to the uncompressed section: ${total.fallbacks}.`,
    `Whole analyst prompts (system, data and instructions): ${promptBefore} -> ${promptAfter} tokens (${fixed((1 - promptAfter / promptBefore) * 100, 1)}% fewer).`,
    ...(lostExamples.length > 0
      ? ['', 'Lost facts (first five per section):', ...lostExamples.map((line) => `- ${line}`)]
      : []),
    '',
    '### By analyst (all cases)',
    '',
    markdownTable(
      ['analyst', ...header.slice(1)],
      [...byAgent].map(([agent, tally]) => tallyRow(agent, tally)),
    ),
    '',
    '### By case (all four analysts)',
    '',
    markdownTable(
      ['case', ...header.slice(1)],
      [...byCase].map(([key, tally]) => tallyRow(key, tally)),
    ),
    '',
    '### By section kind',
    '',
    markdownTable(
      ['kind', ...kindHeader.slice(1)],
      [...byKind].map(([kind, tally]) => [...tallyRow(kind, tally).slice(0, 7), String(tally.fallbacks)]),
    ),
    '',
    '### Throughput',
    '',
    `Over the same ${dataSections.length} data sections (${fixed(inputBytes / 1e3, 1)} kB of UTF-8 per pass), repeated for at`,
    `least ${minimumSeconds} s per trial after one warm-up pass; ${trials} trials per variant, interleaved; MB = 10^6 bytes of input.`,
    '',
    markdownTable(
      ['work', 'MB/s (median)', 'MB/s (min-max)', 'passes'],
      variants.map((variant) => {
        const values = results.get(variant.name) ?? [];
        return [
          variant.name,
          fixed(median(values), 1),
          `${fixed(Math.min(...values), 1)}-${fixed(Math.max(...values), 1)}`,
          String(passes.get(variant.name) ?? 0),
        ];
      }),
    ),
  ].join('\n');
}

printSection(produce);
