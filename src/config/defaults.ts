import { AGENT_DEFAULTS, type AgentName } from '../agents';
import { DEFAULT_REPETITION_WINDOW_WORDS } from '../core/repetition-detector';
import type { AgentSettings, ModelSettings } from './schema';

/**
 * Word limits and token allocations per agent, from each agent's definition in `src/agents` (the seed's 40K
 * budget for the built-in agents). Live: an agent registered later has its entry here too.
 */
export const DEFAULT_AGENTS: Readonly<Record<AgentName, AgentSettings>> = AGENT_DEFAULTS;

/** Name of the embedded default model (SmolLM2-135M-Instruct, Q4_1 GGUF). */
export const LOCAL_MODEL_NAME = 'smollm2-135m-instruct';
export const DEFAULT_OPENAI_MODEL = 'gpt-4o-mini';

/** Prices in USD per million tokens (list prices; edit in your config file when they change). */
export const DEFAULT_MODELS: Record<string, ModelSettings> = {
  'gpt-4o-mini': {
    contextWindow: 128000,
    inputPerMillion: 0.15,
    cachedInputPerMillion: 0.075,
    outputPerMillion: 0.6,
    tokenizer: 'o200k_base',
  },
  'gpt-4o': {
    contextWindow: 128000,
    inputPerMillion: 2.5,
    cachedInputPerMillion: 1.25,
    outputPerMillion: 10,
    tokenizer: 'o200k_base',
  },
  'gpt-4.1-mini': {
    contextWindow: 1047576,
    inputPerMillion: 0.4,
    cachedInputPerMillion: 0.1,
    outputPerMillion: 1.6,
    tokenizer: 'o200k_base',
  },
  'gpt-3.5-turbo': {
    contextWindow: 16385,
    inputPerMillion: 0.5,
    cachedInputPerMillion: 0.5,
    outputPerMillion: 1.5,
    tokenizer: 'cl100k_base',
  },
  [LOCAL_MODEL_NAME]: {
    contextWindow: 8192,
    inputPerMillion: 0,
    cachedInputPerMillion: 0,
    outputPerMillion: 0,
    tokenizer: 'model',
  },
};

/**
 * Seconds to wait for an endpoint's first streamed chunk: long, because a busy server (one llama.cpp slot,
 * several analysts) holds queued requests until a slot frees up. Applied by the schema rather than listed in
 * {@link DEFAULT_CONFIG}, so the deprecated `openai.requestTimeoutSeconds` can still stand in for it.
 */
export const DEFAULT_FIRST_BYTE_TIMEOUT_SECONDS = 600;

/**
 * Port of `tokenflow worker`'s Prometheus endpoint when `metrics.port` is not set: the OpenTelemetry Prometheus
 * exporter's default, so a collector set up for OpenTelemetry services finds it.
 */
export const DEFAULT_METRICS_PORT = 9464;

/** Defaults before any file or environment is applied; `provider` and `model` are filled in by the loader. */
export const DEFAULT_CONFIG = {
  tokens: {
    maxTotalTokens: 40000,
    maxPromptTokens: 8000,
    maxResponseTokens: 2000,
    digestWords: 50,
    repetitionWindowWords: DEFAULT_REPETITION_WINDOW_WORDS,
    wordLimitCompliance: 0.9,
    optimizationTarget: 0.3,
  },
  sharedLines: { system_context: 5000, summary_output: 2000, buffer_overhead: 5000 },
  agents: DEFAULT_AGENTS,
  debate: { researchRounds: 1, riskRounds: 1 },
  openai: { idleTimeoutSeconds: 60, maxConcurrentCalls: 4 },
  local: { modelPath: 'models/SmolLM2-135M-Instruct.Q4_1.gguf', threads: 0, contextSize: 8192 },
  models: DEFAULT_MODELS,
  temporal: {
    address: 'localhost:7233',
    namespace: 'default',
    taskQueue: 'tokenflow',
    localModelTaskQueue: 'tokenflow-local-model',
    uiUrl: 'http://localhost:8233',
  },
  invoke: { startToCloseSeconds: 600, heartbeatTimeoutSeconds: 30, maximumAttempts: 3 },
  metrics: {},
  dataDir: 'data',
  database: {},
  dataSource: { kind: 'sample' },
  learning: { every: '1h', minimumSamples: 5, maximumAdjustment: 0.5 },
  alerts: {
    budgetUsedFraction: 0.9,
    agentAllocationFraction: 1,
    dailyCostUsd: 5,
    predictionErrorFraction: 0.5,
    minimumCalls: 10,
  },
  reports: { at: '00:15' },
  budgets: { onExhausted: 'degrade', pauseTimeout: '24h' },
  pools: {},
  dashboard: { port: 8300 },
};
