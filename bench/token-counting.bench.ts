import { optimizeDraft } from '../src/core/prompt-optimizer';
import {
  clearCountCache,
  countCacheStatistics,
  countChatMessages,
  createTiktokenCounter,
  getTiktokenEncoder,
} from '../src/core/token-counter';
import { DEFAULT_CONFIG } from '../src/config/defaults';
import type { ChatMessage, PipelineMode, TokenCounter } from '../src/core/types';
import { loadSampleInputs, simulateRunDrafts } from './support/simulated-run';
import { fixed, markdownTable, median, positiveNumber, printSection, progress } from './support/statistics';

/**
 * Token counting over one run's prompts: raw js-tiktoken (`encode(text).length` on every call) against the
 * cached counter of src/core/token-counter.ts, on the same calls in the same process. The calls are those
 * `optimizeDraft` makes (whole messages, every rendered section, JSON-vs-TOON comparisons, digests when a
 * prompt must be trimmed) for every prompt of a simulated run, recorded once and replayed through both
 * counters; the cached counter starts each replay with an empty cache, as a fresh worker would.
 *
 * Environment: TOKENFLOW_BENCH_MIN_SECONDS (work per trial, default 1), TOKENFLOW_BENCH_TRIALS (trials per
 * counter, default 5), TOKENFLOW_BENCH_RESEARCH_ROUNDS / TOKENFLOW_BENCH_RISK_ROUNDS (default 2 each: 17 prompts).
 */

type CountCall = { kind: 'count'; text: string } | { kind: 'messages'; messages: ChatMessage[] };

/** Records every call made to it and answers with the real count, so the optimizer behaves as in production. */
function recordingCounter(calls: CountCall[]): TokenCounter {
  const counter = createTiktokenCounter('o200k_base', { cacheEntries: 0 });
  return {
    name: counter.name,
    count(text: string): number {
      calls.push({ kind: 'count', text });
      return counter.count(text);
    },
    countMessages(messages: readonly ChatMessage[]): number {
      calls.push({ kind: 'messages', messages: messages.map((message) => ({ ...message })) });
      return counter.countMessages(messages);
    },
  };
}

/** The raw baseline: js-tiktoken's encoder on every call, with the same chat overhead as the cached counter. */
function rawCounter(): TokenCounter {
  const encoder = getTiktokenEncoder('o200k_base');
  const count = (text: string): number => encoder.encode(text, [], []).length;
  return {
    name: 'o200k_base (raw)',
    count,
    countMessages: (messages: readonly ChatMessage[]): number => countChatMessages(messages, count),
  };
}

function replay(calls: readonly CountCall[], counter: TokenCounter): number {
  let total = 0;
  for (const call of calls)
    total += call.kind === 'count' ? counter.count(call.text) : counter.countMessages(call.messages);
  return total;
}

/** Milliseconds per replay of `calls`, repeated for at least `minimumSeconds`; `prepare` runs before each replay. */
function timePerReplay(
  calls: readonly CountCall[],
  counter: TokenCounter,
  prepare: () => void,
  minimumSeconds: number,
): number {
  let replays = 0;
  let measured = 0;
  while (measured < minimumSeconds * 1000) {
    prepare();
    const started = performance.now();
    replay(calls, counter);
    measured += performance.now() - started;
    replays += 1;
  }
  return measured / replays;
}

interface Workload {
  mode: PipelineMode;
  prompts: number;
  calls: CountCall[];
  characters: number;
}

/** The texts a call makes a counter encode (for a message list: each role and content). */
function textsOf(call: CountCall): string[] {
  return call.kind === 'count'
    ? [call.text]
    : call.messages.flatMap((message) => [message.role, message.content]);
}

async function produce(): Promise<string> {
  const minimumSeconds = positiveNumber('TOKENFLOW_BENCH_MIN_SECONDS', 1);
  const trials = Math.round(positiveNumber('TOKENFLOW_BENCH_TRIALS', 5));
  const researchRounds = Math.round(positiveNumber('TOKENFLOW_BENCH_RESEARCH_ROUNDS', 2));
  const riskRounds = Math.round(positiveNumber('TOKENFLOW_BENCH_RISK_ROUNDS', 2));
  const [inputs] = await loadSampleInputs([{ ticker: 'SPX', date: '2020-04-17' }]);
  if (inputs === undefined) throw new Error('The bundled sample returned no inputs for SPX 2020-04-17.');

  const workloads: Workload[] = [];
  for (const mode of ['optimized', 'baseline'] as const) {
    const drafts = simulateRunDrafts(inputs, { mode, researchRounds, riskRounds });
    const calls: CountCall[] = [];
    const recorder = recordingCounter(calls);
    for (const draft of drafts) {
      optimizeDraft(draft, {
        counter: recorder,
        mode,
        // As the workflow does in optimized mode: the prompt must fit the prompt cap (budget permitting).
        contextBudgetTokens: mode === 'optimized' ? DEFAULT_CONFIG.tokens.maxPromptTokens : undefined,
        factOptions: { knownTickers: [inputs.ticker] },
      });
    }
    const characters = calls.flatMap(textsOf).reduce((sum, text) => sum + text.length, 0);
    workloads.push({ mode, prompts: drafts.length, calls, characters });
    progress(`token-counting: ${mode} run: ${drafts.length} prompts, ${calls.length} counter calls recorded`);
  }

  const raw = rawCounter();
  const cached = createTiktokenCounter('o200k_base');
  const rows: string[][] = [];
  const summaries: string[] = [];
  for (const workload of workloads) {
    // Same answers from both counters, or the comparison means nothing.
    clearCountCache(cached);
    const rawTotal = replay(workload.calls, raw);
    const cachedTotal = replay(workload.calls, cached);
    if (rawTotal !== cachedTotal) {
      throw new Error(
        `The cached counter counted ${cachedTotal} tokens where raw js-tiktoken counted ${rawTotal} (${workload.mode} run).`,
      );
    }
    const statistics = countCacheStatistics(cached);
    // Warm-up of both paths before timing.
    timePerReplay(workload.calls, raw, () => undefined, 0.2);
    timePerReplay(workload.calls, cached, () => clearCountCache(cached), 0.2);
    const rawTimes: number[] = [];
    const cachedTimes: number[] = [];
    for (let trial = 0; trial < trials; trial += 1) {
      // Alternate the two counters so a noisy neighbour slows both alike.
      rawTimes.push(timePerReplay(workload.calls, raw, () => undefined, minimumSeconds));
      cachedTimes.push(timePerReplay(workload.calls, cached, () => clearCountCache(cached), minimumSeconds));
    }
    const ratios = rawTimes.map((time, index) => time / (cachedTimes[index] ?? Number.NaN));
    const speedup = median(rawTimes) / median(cachedTimes);
    rows.push([
      `${workload.mode} run`,
      String(workload.prompts),
      String(workload.calls.length),
      `${fixed(workload.characters / 1e3, 0)}k`,
      String(rawTotal),
      statistics ? `${statistics.hits}/${statistics.misses}` : 'n/a',
      fixed(median(rawTimes), 2),
      fixed(median(cachedTimes), 2),
      `**${fixed(speedup, 1)}x**`,
      `${fixed(Math.min(...ratios), 1)}-${fixed(Math.max(...ratios), 1)}x`,
    ]);
    summaries.push(
      `${workload.mode} run: raw ${fixed(median(rawTimes), 2)} ms, cached ${fixed(median(cachedTimes), 2)} ms per run's prompts, ${fixed(speedup, 1)}x`,
    );
    progress(`token-counting: ${summaries[summaries.length - 1]}`);
  }

  return [
    '## Token counting: cached counter vs raw js-tiktoken',
    '',
    'Bench: `bench/token-counting.bench.ts`. One simulated analysis run on the bundled sample (SPX 2020-04-17) per',
    `mode, with ${researchRounds} research and ${riskRounds} risk debate rounds: every agent's prompt is built as the workflow builds it`,
    '(`buildPromptDraft`, `enhanceDraft` in optimized mode) with the context the workflow passes, and the answers',
    'come from the scripted test model (test/support/scripted-model.ts), so the same analyst reports reach every',
    'downstream prompt as in a real run. Each prompt goes through `optimizeDraft` (optimized mode with the default',
    `prompt cap of ${DEFAULT_CONFIG.tokens.maxPromptTokens} tokens as its context budget; baseline mode as is), and every call it makes to the counter`,
    '(whole messages, every rendered section, JSON-vs-TOON comparisons, digests) is recorded. The recorded calls are',
    'replayed through raw js-tiktoken (`encode(text).length` on every call, o200k_base, the encoder built once',
    "beforehand) and through `createTiktokenCounter('o200k_base')` with its cache emptied before every replay, i.e. a",
    'cold cache per run. Both give the same total (checked). Times are per replay of the whole run, median of',
    `${trials} alternating trials of at least ${minimumSeconds} s each.`,
    '',
    markdownTable(
      [
        'workload',
        'prompts',
        'counter calls',
        'characters',
        'tokens counted',
        'cache hits/misses',
        'raw ms',
        'cached ms',
        'speedup',
        'speedup, per trial',
      ],
      rows,
    ),
    '',
    '"Cache hits/misses" are the counter\'s own statistics over one replay; they include the lookups of the',
    '`## `-headed pieces a long text is split into (`splitAtHeadings`), which is how a rendered message, unique to',
    'its prompt, still gets the counts of the reports and sections it shares with other prompts from the cache.',
    '',
    `${summaries.join('; ')}.`,
  ].join('\n');
}

printSection(produce);
