import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig } from '../src/config/load-config';
import { buildRunSettings } from '../src/config/run-settings';
import type { AgentName } from '../src/core/agents';
import { optimizeDraft } from '../src/core/prompt-optimizer';
import type { AnalysisRequest, AnalysisResult, CallSummary } from '../src/core/run-types';
import type { ChatMessage } from '../src/core/types';
import { disposeLocalModels, getLocalModel, resolveThreadCount, usableCores } from '../src/llm/local-model';
import { createLocalProvider, type LocalChatProvider } from '../src/llm/local-provider';
import { createLocalTokenCounter } from '../src/llm/local-token-counter';
import { createTokenflowWorkers } from '../src/workers/worker';
import type { analysisWorkflow } from '../src/workflows/analysis-workflow';
import { projectDirectory, startTemporal, workflowBundle } from '../test/support/temporal-test-environment';
import { loadSampleInputs, simulateRunDrafts } from './support/simulated-run';
import { fixed, markdownTable, median, printSection, progress } from './support/statistics';

/**
 * `npm run bench -- local-model`: the embedded local model on this machine, in one process.
 *
 * 1. Loading the model (`getLocalModel`: weights plus the generation context) and the threads it runs with.
 * 2. Prompt processing and generation speed through the real provider (`createLocalProvider`) on three real
 *    pipeline prompts of different lengths, each answered with up to 128 tokens, repeated.
 * 3. One full analysis on the local model through a real Temporal dev server, workers and `analysisWorkflow`,
 *    as `tokenflow analyze` runs it: the whole run's wall time and per-agent tokens and latency.
 *
 * Writes the `local-model-throughput` section of BENCHMARKS.md. Without the model file it prints a section
 * saying so and exits non-zero (the runner then leaves the section as it was).
 *
 * Environment: TOKENFLOW_BENCH_REPEATS (runs per prompt, default 3).
 */

const SECTION = 'local-model-throughput';
const TICKER = 'SPX';
const DATE = '2020-04-17';
const MAX_TOKENS = 128;
const CONTEXT_SIZE = 8192;
const MODEL_PATH = path.join(projectDirectory, 'models', 'SmolLM2-135M-Instruct.Q4_1.gguf');

/** The prompts timed: real pipeline prompts of SPX on 2020-04-17 (optimized mode), short to long. */
const PROMPT_AGENTS: readonly { agent: AgentName; label: string }[] = [
  { agent: 'news_analyst', label: 'news analyst (short)' },
  { agent: 'market_analyst', label: 'market analyst (medium)' },
  { agent: 'risk_manager', label: 'risk manager, downstream (long)' },
];

/** One timed generation through the provider. */
interface GenerationTiming {
  promptTokens: number;
  completionTokens: number;
  /** From the request to the first non-empty text delta: reading the prompt plus the first token. */
  firstTextMs: number;
  /** From the first text delta to the end: the remaining completion tokens. */
  restMs: number;
  totalMs: number;
  finishReason: string;
}

function wrap(body: string): string {
  return [`<!-- bench:${SECTION}:start -->`, body.trim(), `<!-- bench:${SECTION}:end -->`].join('\n');
}

function repeatsFromEnvironment(): number {
  const raw = process.env.TOKENFLOW_BENCH_REPEATS;
  if (raw === undefined || raw === '') return 3;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(
      `TOKENFLOW_BENCH_REPEATS=${raw} is not a whole number of at least 1; unset it or give e.g. 3.`,
    );
  }
  return value;
}

async function timeGeneration(
  provider: LocalChatProvider,
  messages: ChatMessage[],
): Promise<GenerationTiming> {
  const started = performance.now();
  let firstTextAt: number | undefined;
  const result = await provider.stream({ model: 'local', messages, maxTokens: MAX_TOKENS }, (delta) => {
    // The provider sends empty deltas while it reads the prompt (heartbeats); the first text is the answer.
    if (delta.text !== '' && firstTextAt === undefined) firstTextAt = performance.now();
  });
  const ended = performance.now();
  const promptTokens = result.serverUsage?.inputTokens;
  const completionTokens = result.serverUsage?.outputTokens;
  if (promptTokens === undefined || completionTokens === undefined) {
    throw new Error(
      'The local provider reported no token usage; the bench needs its serverUsage to compute rates.',
    );
  }
  const firstText = firstTextAt ?? ended;
  return {
    promptTokens,
    completionTokens,
    firstTextMs: firstText - started,
    restMs: ended - firstText,
    totalMs: ended - started,
    finishReason: result.finishReason,
  };
}

/** Prompt tokens per second: the prompt read by the time the first text arrived. */
function promptRate(timing: GenerationTiming): number {
  return timing.promptTokens / (timing.firstTextMs / 1000);
}

/** Generation tokens per second after the first text: the first token is counted in the prompt time. */
function generationRate(timing: GenerationTiming): number {
  const tokens = timing.completionTokens - 1;
  return tokens > 0 && timing.restMs > 0 ? tokens / (timing.restMs / 1000) : Number.NaN;
}

function grouped(value: number): string {
  return value.toLocaleString('en-US');
}

function medianAndRange(values: readonly number[], decimals: number): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return 'n/a';
  const low = Math.min(...finite);
  const high = Math.max(...finite);
  return `${fixed(median(finite), decimals)} (${fixed(low, decimals)}-${fixed(high, decimals)})`;
}

/** The agent, plus what the workflow appended to the call id (e.g. `/repair`: the decision repair call). */
function callLabel(call: CallSummary): string {
  const marker = `/${call.agent}/${call.round}`;
  const at = call.callId.lastIndexOf(marker);
  const suffix = at >= 0 ? call.callId.slice(at + marker.length) : '';
  return suffix === '/repair' ? `${call.agent} (decision repair)` : `${call.agent}${suffix}`;
}

function seconds(milliseconds: number, decimals = 1): string {
  return fixed(milliseconds / 1000, decimals);
}

interface ThroughputRow {
  label: string;
  timings: GenerationTiming[];
}

async function measureThroughput(repeats: number): Promise<{ rows: ThroughputRow[]; warmUpMs: number }> {
  const counter = await createLocalTokenCounter(MODEL_PATH);
  const [inputs] = await loadSampleInputs([{ ticker: TICKER, date: DATE }]);
  if (inputs === undefined) throw new Error(`The bundled sample returned no inputs for ${TICKER} ${DATE}.`);
  // buildPromptDraft + enhanceDraft for every agent of an optimized run, with the scripted test model's
  // answers as the reports and debate turns the downstream prompts carry.
  const drafts = simulateRunDrafts(inputs, { mode: 'optimized', researchRounds: 1, riskRounds: 1 });
  const provider = createLocalProvider({ modelPath: MODEL_PATH, threads: 0, contextSize: CONTEXT_SIZE });

  // One short generation first, so the first timed call does not pay for one-off set-up.
  const warmUp = await timeGeneration(provider, [{ role: 'user', content: 'Say hello in one sentence.' }]);
  progress(`local-model: warm-up generation took ${seconds(warmUp.totalMs, 2)} s`);

  const rows: ThroughputRow[] = [];
  for (const { agent, label } of PROMPT_AGENTS) {
    const draft = drafts.find((candidate) => candidate.agent === agent);
    if (!draft) throw new Error(`The simulated run has no ${agent} prompt.`);
    const optimized = optimizeDraft(draft, {
      counter,
      mode: 'optimized',
      contextBudgetTokens: CONTEXT_SIZE - MAX_TOKENS,
      factOptions: { knownTickers: [inputs.ticker] },
    });
    const timings: GenerationTiming[] = [];
    for (let repeat = 1; repeat <= repeats; repeat += 1) {
      const timing = await timeGeneration(provider, optimized.messages);
      timings.push(timing);
      progress(
        `local-model: ${agent} run ${repeat}/${repeats}: ${timing.promptTokens} prompt tokens in ${seconds(timing.firstTextMs, 2)} s ` +
          `(${fixed(promptRate(timing), 0)}/s), ${timing.completionTokens} completion tokens, ` +
          `${fixed(generationRate(timing), 1)}/s after the first`,
      );
    }
    rows.push({ label, timings });
  }
  return { rows, warmUpMs: warmUp.totalMs };
}

interface FullRun {
  result: AnalysisResult;
  serverStartMs: number;
  bundleMs: number;
  workerStartMs: number;
  clientMs: number;
  loadAverage: string;
}

async function measureFullRun(): Promise<FullRun> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tokenflow-bench-local-'));
  let started = performance.now();
  progress('local-model: starting the Temporal dev server (test/support startTemporal)');
  const env = await startTemporal();
  const serverStartMs = performance.now() - started;
  try {
    started = performance.now();
    const bundle = await workflowBundle();
    const bundleMs = performance.now() - started;
    const config = loadConfig({
      environment: {},
      overrides: { provider: 'local', dataDir, temporal: { taskQueue: `bench-local-${process.pid}` } },
    });
    const settings = buildRunSettings(config);
    started = performance.now();
    const workers = await createTokenflowWorkers({
      config,
      connection: env.nativeConnection,
      workflowBundle: bundle,
    });
    const workerStartMs = performance.now() - started;
    const request: AnalysisRequest = {
      ticker: TICKER,
      date: DATE,
      mode: 'optimized',
      researchRounds: 1,
      riskRounds: 1,
    };
    const loadAverage = os
      .loadavg()
      .map((value) => value.toFixed(2))
      .join(' ');
    progress(
      `local-model: running analysisWorkflow on the local model for ${TICKER} ${DATE} (1 research, 1 risk round)`,
    );
    started = performance.now();
    const result = await workers.runUntil(async () => {
      const handle = await env.client.workflow.start<typeof analysisWorkflow>('analysisWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId: `bench-local-${process.pid}-${Date.now()}`,
        args: [{ request, settings }],
      });
      return handle.result();
    });
    const clientMs = performance.now() - started;
    return { result, serverStartMs, bundleMs, workerStartMs, clientMs, loadAverage };
  } finally {
    await env.teardown();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function missingModelSection(): string {
  return wrap(
    [
      '## Local model throughput',
      '',
      `Not measured: the model file is absent (${path.relative(projectDirectory, MODEL_PATH)}); run \`bash scripts/fetch-model.sh\`, then \`npm run bench -- local-model\`.`,
    ].join('\n'),
  );
}

async function produce(): Promise<string> {
  if (!existsSync(MODEL_PATH)) {
    process.exitCode = 1;
    return missingModelSection();
  }
  const repeats = repeatsFromEnvironment();
  try {
    const threads = resolveThreadCount(0);
    const cores = usableCores();
    const loadStarted = performance.now();
    const localModel = await getLocalModel({ modelPath: MODEL_PATH, threads: 0, contextSize: CONTEXT_SIZE });
    const loadMs = performance.now() - loadStarted;
    progress(
      `local-model: loaded ${localModel.name} in ${seconds(loadMs, 2)} s (weights ${seconds(localModel.loadMilliseconds, 2)} s), ${threads} threads`,
    );

    const { rows, warmUpMs } = await measureThroughput(repeats);
    const fullRun = await measureFullRun();
    const { result } = fullRun;
    progress(
      `local-model: analysis ${result.status} in ${seconds(result.totals.wallTimeMs)} s, ` +
        `${result.totals.promptTokens} prompt + ${result.totals.completionTokens} completion tokens, decision ${result.decision?.action ?? 'none'}`,
    );

    const allTimings = rows.flatMap((row) => row.timings);
    const throughputTable = markdownTable(
      [
        'prompt',
        'prompt tokens',
        'completion tokens',
        'time to first text, s',
        'prompt tokens/s',
        'generation tokens/s',
        'total, s',
        'finish',
      ],
      rows.map(({ label, timings }) => [
        label,
        [...new Set(timings.map((timing) => timing.promptTokens))].join('/'),
        [...new Set(timings.map((timing) => timing.completionTokens))].join('/'),
        medianAndRange(
          timings.map((timing) => timing.firstTextMs / 1000),
          2,
        ),
        medianAndRange(timings.map(promptRate), 0),
        medianAndRange(timings.map(generationRate), 1),
        medianAndRange(
          timings.map((timing) => timing.totalMs / 1000),
          2,
        ),
        [...new Set(timings.map((timing) => timing.finishReason))].join('/'),
      ]),
    );

    const callRows = result.calls.map((call) => [
      callLabel(call),
      String(call.round),
      String(call.promptTokens),
      String(call.completionTokens),
      `${call.maxTokens}`,
      seconds(call.latencyMs),
      call.finishReason,
      String(call.attempts),
    ]);
    const callLatencyMs = result.calls.reduce((sum, call) => sum + call.latencyMs, 0);
    const decision = result.decision
      ? `yes: **${result.decision.action}**, confidence ${result.decision.confidence}`
      : 'no decision';
    const degradations =
      result.degradations.length > 0
        ? result.degradations.map((reason) => `  - ${reason}`).join('\n')
        : '  - none';
    const repairs = result.calls.filter((call) => callLabel(call).endsWith('(decision repair)')).length;

    return wrap(
      [
        '## Local model throughput',
        '',
        `The embedded model \`${localModel.name}\` (node-llama-cpp, CPU build, ${grouped(CONTEXT_SIZE)}-token context) on this machine, all in one`,
        `process (\`bench/local-model.bench.ts\`). **Figures are from one run of the bench on a ${os.availableParallelism()}-core machine shared`,
        'with other work** (see the load average in the stamp above); expect them to move by tens of percent between runs.',
        '',
        '### Loading',
        '',
        `- Model load (\`getLocalModel\`, weights and the ${grouped(CONTEXT_SIZE)}-token generation context): **${seconds(loadMs, 2)} s**, of which the`,
        `  weights ${seconds(localModel.loadMilliseconds, 2)} s. A worker pays this once at start; the analysis below reused the loaded model.`,
        `- Threads: **${threads}** (\`resolveThreadCount(0)\`, i.e. the usable cores: ${cores}; \`os.availableParallelism()\` ${os.availableParallelism()}).`,
        '',
        '### Prompt processing and generation',
        '',
        'Three real pipeline prompts for SPX on 2020-04-17 from the bundled sample, built as the workflow builds them in',
        "optimized mode (`buildPromptDraft`, `enhanceDraft` with the agent's word limit, `optimizeDraft` with the",
        "model's own tokenizer): the news analyst, the market analyst (30-bar price table), and the risk manager, the",
        'last and longest downstream prompt, whose analyst reports, plans and debate turns are the scripted test',
        `model's answers (\`bench/support/simulated-run.ts\`, one research and one risk round). Each was sent through the real`,
        `provider (\`createLocalProvider\`, default temperature and seed) with \`maxTokens: ${MAX_TOKENS}\`, ${repeats} times, after one`,
        `short warm-up generation (${seconds(warmUpMs, 2)} s). Token counts are the provider's \`serverUsage\` (the model's tokenizer,`,
        'chat template included). "Time to first text" runs from the request to the first non-empty streamed text, i.e.',
        'reading the prompt plus the first token: prompt tokens/s = prompt tokens / that time. Generation tokens/s =',
        '(completion tokens - 1) / the time from the first text to the end. Cells give the median and, in brackets,',
        `the range of the ${repeats} runs.`,
        '',
        throughputTable,
        '',
        `Over all ${allTimings.length} timed calls: prompt processing **${fixed(median(allTimings.map(promptRate)), 0)} tokens/s**,`,
        `generation **${fixed(median(allTimings.map(generationRate)), 1)} tokens/s** (medians).`,
        '',
        '### One full analysis',
        '',
        `\`analysisWorkflow\` for ${TICKER} on ${DATE}, optimized mode, 1 research and 1 risk round, on the local model, as`,
        "`tokenflow analyze` runs it: a Temporal dev server (`startTemporal()`, the project's CLI binary), config from",
        "`loadConfig` with `provider: 'local'` and otherwise the defaults (threads 0, default token budget and invoke timeouts),",
        'settings from `buildRunSettings`, and the workers of `createTokenflowWorkers` (main queue, and the one-slot',
        'local-model queue that runs one generation at a time).',
        '',
        `- **Workflow wall time (\`result.totals.wallTimeMs\`): ${seconds(result.totals.wallTimeMs)} s**; from starting the workflow to`,
        `  its result, as the client saw it: ${seconds(fullRun.clientMs)} s.`,
        `- Before it: dev server start ${seconds(fullRun.serverStartMs)} s, workflow bundle ${seconds(fullRun.bundleMs)} s, workers`,
        `  ${seconds(fullRun.workerStartMs)} s (model already loaded in this process; a fresh worker adds the load time above).`,
        `- Status: ${result.status}; calls: **${result.calls.length}** (sum of their latencies ${seconds(callLatencyMs)} s);`,
        `  tokens: **${grouped(result.totals.promptTokens)} prompt + ${grouped(result.totals.completionTokens)} completion = ${grouped(result.totals.totalTokens)}**`,
        `  (model tokenizer; budget status ${result.budgetStatus}, ${result.totals.lostTokens} lost tokens).`,
        `- Decision came out: ${decision}${repairs > 0 ? ` (after ${repairs} decision repair call${repairs === 1 ? '' : 's'} with structured output, marked below)` : ''}.`,
        `- Load average (1, 5, 15 min) just before the analysis: ${fullRun.loadAverage}.`,
        '- Degradations recorded by the run:',
        degradations,
        '',
        "Per call (latency: the invoke activity's attempt, from its start to the last token, without time queued on the",
        'one-slot local-model queue; "max": the completion cap the budget set for the call):',
        '',
        markdownTable(
          ['agent', 'round', 'prompt tokens', 'completion tokens', 'max', 'latency, s', 'finish', 'attempts'],
          callRows,
        ),
      ].join('\n'),
    );
  } finally {
    await disposeLocalModels();
  }
}

printSection(produce);
