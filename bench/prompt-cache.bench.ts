import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { DEFAULT_CONFIG, DEFAULT_MODELS } from '../src/config/defaults';
import { loadConfig } from '../src/config/load-config';
import { buildComparisonSettings } from '../src/config/run-settings';
import {
  AGENT_DEFAULTS,
  ANALYST_AGENTS,
  RESEARCH_AGENTS,
  RISK_DEBATER_AGENTS,
  type AgentName,
  type AnalystAgent,
} from '../src/agents';
import type { ComparisonReport, SideSummary } from '../src/core/comparison-report';
import { enhanceDraft } from '../src/core/prompt-enhancer';
import { optimizeDraft } from '../src/core/prompt-optimizer';
import { buildPromptDraft, type PromptLayout } from '../src/core/prompts';
import { sharedTiktokenCounter } from '../src/core/token-counter';
import type { AgentContext, ChatMessage, DebateTurn, PipelineMode } from '../src/core/types';
import { openUsageStore } from '../src/storage/usage-store';
import { createTokenflowWorkers } from '../src/workers/worker';
import type { compareWorkflow } from '../src/workflows/compare-workflow';
import {
  ANY_PREFIX_CACHE,
  OPENAI_PREFIX_CACHE,
  startFakeOpenAiServer,
  type PrefixCacheRule,
} from '../test/support/fake-openai-server';
import { PrefixCache, cachedTokensFor, chatPromptTokenSequence } from '../test/support/prefix-cache';
import { scriptAnswer, type ScriptOptions } from '../test/support/scripted-model';
import { projectDirectory, startTemporal, workflowBundle } from '../test/support/temporal-test-environment';
import { loadSampleInputs } from './support/simulated-run';
import { printSection, progress } from './support/statistics';

/**
 * `npm run bench -- prompt-cache`: how much of the downstream prompts a provider's prefix cache serves.
 * 1. Layout A/B (no Temporal): every prompt of one run built as the pipeline builds it (draft, word limit,
 *    optimizer), in the old `role-first` and the new `shared-prefix` layout, each mode, fed in call order to a
 *    prefix cache under OpenAI's rule and under an any-prefix (llama.cpp-like) rule.
 * 2. A/B runs: `compareWorkflow` (baseline, then optimized) on the scripted server with its prefix cache on,
 *    once per rule, through the real pipeline: cached counts from the usage, priced at the cached-input price.
 */
const TICKER = 'SPX';
const DATE = '2020-04-17';
const MODEL = 'gpt-4o-mini';
const RULES: ReadonlyArray<readonly [string, PrefixCacheRule]> = [
  ["OpenAI's rule (from 1,024 tokens, 128-token steps)", OPENAI_PREFIX_CACHE],
  ['any prefix (llama.cpp-like)', ANY_PREFIX_CACHE],
];

function percent(value: number | undefined): string {
  return value === undefined ? 'n/a' : `${(value * 100).toFixed(1)}%`;
}

interface SimulatedCall {
  agent: AgentName;
  messages: ChatMessage[];
}

/**
 * The prompts of one run in the order the analysis workflow makes its calls, answered by the scripted model
 * (as the test server answers), with the layout forced. Optimized prompts go through the optimizer with the
 * default prompt cap as their context budget, as the workflow does when the budget is ample.
 */
async function simulateRun(mode: PipelineMode, layout: PromptLayout): Promise<SimulatedCall[]> {
  const [inputs] = await loadSampleInputs([{ ticker: TICKER, date: DATE }]);
  if (!inputs) throw new Error('The bundled sample has no SPX data.');
  const counter = sharedTiktokenCounter('o200k_base');
  const script: ScriptOptions = {
    verbosity: mode === 'baseline' ? 'baseline' : 'compliant',
    complianceRate: 0.95,
    seed: 1,
  };
  const calls: SimulatedCall[] = [];
  const answer = (agent: AgentName, context: AgentContext): string => {
    const draft = buildPromptDraft(agent, context, {
      mode,
      layout,
      round: 1,
      totalRounds: 1,
      digestWords: DEFAULT_CONFIG.tokens.digestWords,
    });
    const enhanced = mode === 'optimized' ? enhanceDraft(draft, AGENT_DEFAULTS[agent].wordLimit) : draft;
    const { messages } = optimizeDraft(enhanced, {
      counter,
      mode,
      ...(mode === 'optimized' ? { contextBudgetTokens: DEFAULT_CONFIG.tokens.maxPromptTokens } : {}),
    });
    calls.push({ agent, messages });
    return scriptAnswer(messages, script).text;
  };
  const base = { ticker: TICKER, date: DATE };
  const reports: Partial<Record<AnalystAgent, string>> = {};
  for (const agent of ANALYST_AGENTS) reports[agent] = answer(agent, { ...base, inputs });
  const researchDebate: DebateTurn[] = [];
  for (const agent of RESEARCH_AGENTS)
    researchDebate.push({
      agent,
      round: 1,
      text: answer(agent, { ...base, reports, researchDebate: [...researchDebate] }),
    });
  const investmentPlan = answer('research_manager', { ...base, reports, researchDebate });
  const traderPlan = answer('trader', { ...base, reports, investmentPlan, researchDebate });
  const riskDebate: DebateTurn[] = [];
  const late = { ...base, reports, investmentPlan, traderPlan, researchDebate };
  for (const agent of RISK_DEBATER_AGENTS)
    riskDebate.push({ agent, round: 1, text: answer(agent, { ...late, riskDebate: [...riskDebate] }) });
  answer('risk_manager', { ...late, riskDebate });
  return calls;
}

/** Downstream prompt tokens and the part a fresh cache under `rule` serves when the calls come in order. */
function cachedDownstream(calls: readonly SimulatedCall[], rule: PrefixCacheRule) {
  const cache = new PrefixCache(rule);
  let prompt = 0;
  let cached = 0;
  for (const call of calls) {
    const sequence = chatPromptTokenSequence(call.messages);
    const served = cachedTokensFor(cache.matchAndRemember(sequence), rule);
    if ((ANALYST_AGENTS as readonly string[]).includes(call.agent)) continue;
    prompt += sequence.length;
    cached += served;
  }
  return { prompt, cached };
}

async function layoutSection(): Promise<string> {
  const lines = [
    '### Layout A/B (prompts only)',
    '',
    `Every prompt of one ${TICKER} ${DATE} run (one research and one risk round), built as the pipeline builds it and answered by the scripted model, fed in call order to a fresh prefix cache. "Downstream" is the eight calls after the analysts; the cached share is cached / prompt tokens over them.`,
    '',
    `| mode | layout | downstream prompt tokens | cached, ${RULES.map(([name]) => name).join(' | cached, ')} |`,
    `|---|---|---:|${RULES.map(() => '---:').join('|')}|`,
  ];
  for (const mode of ['baseline', 'optimized'] as const) {
    for (const layout of ['role-first', 'shared-prefix'] as const) {
      progress(`prompt-cache: simulating a ${mode} run, ${layout}`);
      const calls = await simulateRun(mode, layout);
      const shares = RULES.map(([, rule]) => {
        const { prompt, cached } = cachedDownstream(calls, rule);
        return `${cached} (${percent(cached / prompt)})`;
      });
      const { prompt } = cachedDownstream(calls, ANY_PREFIX_CACHE);
      const current = (mode === 'optimized') === (layout === 'shared-prefix') ? ' (used)' : '';
      lines.push(`| ${mode} | ${layout}${current} | ${prompt} | ${shares.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

/** What the side's cost would be if every prompt token were billed at the full input price. */
function listPriceCost(side: SideSummary): number {
  const prices = DEFAULT_MODELS[MODEL];
  if (!prices) throw new Error(`No prices for ${MODEL}.`);
  return (
    side.costUsd +
    ((side.cachedPromptTokens ?? 0) * (prices.inputPerMillion - prices.cachedInputPerMillion)) / 1e6
  );
}

async function runsSection(): Promise<string> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const env = await startTemporal();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tokenflow-bench-prompt-cache-'));
  const store = await openUsageStore(path.join(dataDir, 'tokenflow.db'));
  const bundle = await workflowBundle();
  const rows: string[] = [];
  try {
    for (const [index, [name, rule]] of RULES.entries()) {
      const server = await startFakeOpenAiServer({ prefixCache: rule });
      try {
        const config = loadConfig({
          environment: {},
          cwd: projectDirectory,
          overrides: {
            dataDir,
            provider: 'openai',
            model: MODEL,
            openai: { baseUrl: server.url, apiKey: 'bench' },
            temporal: { taskQueue: `bench-prompt-cache-${index}` },
          },
        });
        const { optimized, baseline } = buildComparisonSettings(config);
        const workers = await createTokenflowWorkers({
          config,
          connection: env.nativeConnection,
          workflowBundle: bundle,
          store,
        });
        progress(`prompt-cache: compare on the scripted server, ${name}`);
        const started = Date.now();
        const result = await workers.runUntil(
          env.client.workflow.execute<typeof compareWorkflow>('compareWorkflow', {
            taskQueue: config.temporal.taskQueue,
            workflowId: `bench-prompt-cache-${index}`,
            args: [
              {
                request: { ticker: TICKER, date: DATE, researchRounds: 1, riskRounds: 1 },
                optimized,
                baseline,
              },
            ],
          }),
        );
        progress(`prompt-cache: ${name} took ${((Date.now() - started) / 1000).toFixed(1)} s`);
        const report = JSON.parse(readFileSync(result.reportJsonPath, 'utf8')) as ComparisonReport;
        for (const [label, side] of [
          ['baseline', report.baseline],
          ['optimized', report.optimized],
        ] as const) {
          rows.push(
            `| ${name} | ${label} | ${side.promptTokens} | ${side.cachedPromptTokens ?? 'n/a'} | ${percent(side.downstreamCachedShare)} | ${side.costUsd.toFixed(6)} | ${listPriceCost(side).toFixed(6)} | ${percent(side.meanFactRecall)} |`,
          );
        }
      } finally {
        await server.close();
      }
    }
  } finally {
    await store.close();
    await env.teardown();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const prices = DEFAULT_MODELS[MODEL];
  return [
    '### A/B runs on the scripted server with a prefix cache',
    '',
    `\`compareWorkflow\` (baseline, then optimized) for ${TICKER} on ${DATE}, one research and one risk round, against the scripted test server with its prefix cache on (\`test/support/prefix-cache.ts\`), a fresh server per rule. Cached counts come from the usage the server reports (\`prompt_tokens_details.cached_tokens\`) through the pipeline to the run's calls; the cost bills them at ${MODEL}'s cached-input price (${prices?.cachedInputPerMillion} against ${prices?.inputPerMillion} USD per million), the last cost column at the full input price. Fact recall: the A/B's mean over the research manager, trader and risk manager.`,
    '',
    '| cache rule | mode | prompt tokens | cached prompt tokens | downstream cached share | cost (USD, cached price) | cost (USD, no cache discount) | fact recall |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

async function main(): Promise<string> {
  const layout = await layoutSection();
  const runs = await runsSection();
  return [
    '<!-- bench:prompt-cache:start -->',
    '## Prompt cache',
    '',
    "Downstream prompts (every agent after the analysts) in optimized mode open with the same bytes: a team preamble, then the analyst report digests, then what only some agents read in stage order, then the agent's role and task (docs/prompt-cache.md). Baseline keeps the origin project's role-first prompts.",
    '',
    layout,
    '',
    runs,
    '<!-- bench:prompt-cache:end -->',
  ].join('\n');
}

printSection(main);
