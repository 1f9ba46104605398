import { z } from 'zod';
import { AGENT_NAMES, type AgentName } from '../core/agents';
import { ON_EXHAUSTED, POOL_PERIODS } from '../core/pool';
import { DEFAULT_FIRST_BYTE_TIMEOUT_SECONDS } from './defaults';

/** Token limits of one run (the seed's `TokenConfig`). */
export const tokenLimitsSchema = z
  .object({
    maxTotalTokens: z.coerce.number().int().positive(),
    maxPromptTokens: z.coerce.number().int().positive(),
    maxResponseTokens: z.coerce.number().int().positive(),
    /**
     * Words a downstream agent reads of each analyst report and older debate turn: their key-fact digest
     * (conclusion, chosen sentences, every figure). 0 sends them whole, within the context budget.
     */
    digestWords: z.coerce.number().int().min(0).max(2000),
    /**
     * The stream monitor stops an optimized call's answer once this many words in a row repeat an earlier
     * passage of it (a model in a loop); 0 turns the check off.
     */
    repetitionWindowWords: z.coerce
      .number()
      .int()
      .refine((value) => value === 0 || (value >= 8 && value <= 500), {
        message: 'must be 0 (off) or from 8 to 500 words',
      }),
    wordLimitCompliance: z.coerce.number().min(0).max(1),
    optimizationTarget: z.coerce.number().min(0).max(0.95),
  })
  .strict();

/** One agent's word limit (in the prompt and enforced after) and its token allocation per run. */
export const agentSettingsSchema = z
  .object({
    wordLimit: z.coerce.number().int().min(20).max(2000),
    allocation: z.coerce.number().int().min(200),
  })
  .strict();

/** The seed's shared budget lines: system & context, summary & output, buffer & overhead. */
export const sharedLinesSchema = z
  .object({
    system_context: z.coerce.number().int().min(0),
    summary_output: z.coerce.number().int().min(0),
    buffer_overhead: z.coerce.number().int().min(0),
  })
  .strict();

/** Per-model limits, prices (USD per million tokens) and tokenizer. */
export const modelSettingsSchema = z
  .object({
    contextWindow: z.coerce.number().int().positive(),
    inputPerMillion: z.coerce.number().min(0),
    cachedInputPerMillion: z.coerce.number().min(0),
    outputPerMillion: z.coerce.number().min(0),
    /**
     * USD per hour of model time: what the machine running a local model costs (a rented GPU or CPU box).
     * Each call then also costs its generation time at this rate. Absent: tokens are the only cost.
     */
    perHour: z.coerce.number().min(0).optional(),
    /** A js-tiktoken encoding name, or `model` for the model's own tokenizer (local GGUF models). */
    tokenizer: z.enum(['o200k_base', 'cl100k_base', 'model']),
  })
  .strict();

export const providerKindSchema = z.enum(['openai', 'local']);

/** An OpenAI-compatible endpoint: where it is, how long to wait for it, and how hard to press it. */
export const openAiSettingsSchema = z
  .object({
    // A fixed message: zod's own might one day quote the value, and a base URL may carry `user:password@`.
    baseUrl: z.string().url('must be a URL such as https://api.openai.com/v1').optional(),
    /** Held by workers only; never part of a workflow payload. */
    apiKey: z.string().min(1).optional(),
    /**
     * Longest wait from sending a request to its first streamed chunk (response headers and the first chunk
     * after them). Long by default: a busy server holds queued requests until a slot frees up.
     */
    firstByteTimeoutSeconds: z.coerce.number().positive('must be a number of seconds above 0').optional(),
    /** Longest silence between two streamed chunks once an answer has started. */
    idleTimeoutSeconds: z.coerce.number().positive('must be a number of seconds above 0'),
    /**
     * @deprecated Use `firstByteTimeoutSeconds`. It once bounded both waits; it is still read, as
     * `firstByteTimeoutSeconds`, when that is not given.
     */
    requestTimeoutSeconds: z.coerce.number().positive('must be a number of seconds above 0').optional(),
    /**
     * Model calls a worker process runs at once against this endpoint (its invoke worker's activity slots);
     * further calls wait in Temporal's task queue rather than in the server's.
     */
    maxConcurrentCalls: z.coerce
      .number()
      .int('must be a whole number of calls')
      .min(1, 'must be at least 1 call at a time'),
    /**
     * Model calls started per second against this endpoint, across every worker polling its task queue
     * (Temporal enforces it server-side). Absent: no rate limit.
     */
    requestsPerSecond: z.coerce
      .number()
      .positive('must be above 0; leave it out for no rate limit')
      .optional(),
  })
  .strict()
  .transform(({ requestTimeoutSeconds, firstByteTimeoutSeconds, ...settings }) => ({
    ...settings,
    firstByteTimeoutSeconds:
      firstByteTimeoutSeconds ?? requestTimeoutSeconds ?? DEFAULT_FIRST_BYTE_TIMEOUT_SECONDS,
  }));

const METRICS_PORT_MESSAGE = 'must be a port from 0 to 65535 (0 picks a free one) or "off"';

/**
 * The whole config's schema. Built for each parse rather than once, because the agents it takes are the ones
 * registered by then (`src/agents`): an unknown agent is refused, and one a process registered after this
 * module loaded is accepted.
 */
export function buildAppConfigSchema() {
  const agentMapShape = Object.fromEntries(AGENT_NAMES.map((name) => [name, agentSettingsSchema])) as Record<
    AgentName,
    typeof agentSettingsSchema
  >;
  return z
    .object({
      tokens: tokenLimitsSchema,
      sharedLines: sharedLinesSchema,
      agents: z.object(agentMapShape).strict(),
      debate: z
        .object({
          researchRounds: z.coerce.number().int().min(0).max(5),
          riskRounds: z.coerce.number().int().min(0).max(5),
        })
        .strict(),
      /** `openai` when a base URL or key is configured, else `local`; may be forced. */
      provider: providerKindSchema,
      model: z.string().min(1),
      openai: openAiSettingsSchema,
      local: z
        .object({
          modelPath: z.string().min(1),
          /** Generation threads; 0 means: the cores this process may use. */
          threads: z.coerce.number().int().min(0),
          contextSize: z.coerce.number().int().min(512),
        })
        .strict(),
      models: z.record(z.string(), modelSettingsSchema),
      temporal: z
        .object({
          address: z.string().min(1),
          namespace: z.string().min(1),
          taskQueue: z.string().min(1),
          localModelTaskQueue: z.string().min(1),
          uiUrl: z.string().url('must be a URL such as http://localhost:8233'),
        })
        .strict(),
      invoke: z
        .object({
          startToCloseSeconds: z.coerce.number().positive(),
          heartbeatTimeoutSeconds: z.coerce.number().positive(),
          maximumAttempts: z.coerce.number().int().min(1).max(10),
        })
        .strict(),
      /**
       * The worker's Prometheus endpoint on 127.0.0.1: a port (0 picks a free one) or `off`. Absent, `tokenflow
       * worker` serves it on 9464 and the in-process worker of `tokenflow analyze` and `compare` serves none.
       */
      metrics: z
        .object({
          port: z
            .preprocess(
              // The environment gives strings; a JSON or YAML null is not a port (coercing would make it 0).
              (value) => (typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value),
              z.union(
                [
                  z.literal('off'),
                  z.number().int().min(0, METRICS_PORT_MESSAGE).max(65535, METRICS_PORT_MESSAGE),
                ],
                { error: METRICS_PORT_MESSAGE },
              ),
            )
            .optional(),
        })
        .strict(),
      dataDir: z.string().min(1),
      /**
       * The ledger: absent, a SQLite file under `dataDir`; a `postgres://` URL, one PostgreSQL ledger shared by
       * every worker, the CLI and the dashboard.
       */
      database: z
        .object({
          url: z
            .string()
            .regex(
              /^postgres(ql)?:\/\//,
              'must be a postgres:// or postgresql:// URL (leave it out for SQLite)',
            )
            .optional(),
        })
        .strict(),
      /** Where the market data comes from: the bundled sample or a folder of the user's CSV/JSON files. */
      dataSource: z
        .object({
          kind: z.enum(['sample', 'folder']),
          folder: z.string().optional(),
        })
        .strict(),
      learning: z
        .object({
          /** Interval of the learning Schedule, e.g. `1h` in development, `24h` in production. */
          every: z.string().regex(/^\d+[smhd]$/, 'must look like 30m, 1h or 24h'),
          minimumSamples: z.coerce.number().int().min(1),
          /** Word limits and allocations never move further than this fraction from the configured value. */
          maximumAdjustment: z.coerce.number().min(0).max(0.9),
        })
        .strict(),
      /**
       * Alert rules, evaluated as each run ends and by the daily report; every alert is recorded in the ledger and
       * sent once to `webhookUrl` when one is set.
       */
      alerts: z
        .object({
          /**
           * Slack-compatible incoming webhook (`TOKENFLOW_ALERT_WEBHOOK_URL`). A secret: it never enters a workflow
           * payload, a history or a message (only its origin is named).
           */
          webhookUrl: z
            .string()
            .regex(/^https?:\/\//, 'must be an http:// or https:// URL')
            .optional(),
          /** Alert when a run's spend passes this fraction of its hard cap. */
          budgetUsedFraction: z.coerce.number().min(0).max(1),
          /** Alert when an agent spends more than this multiple of its budget line's allocation. */
          agentAllocationFraction: z.coerce.number().min(0),
          /** Alert when a day's cost passes this many USD. */
          dailyCostUsd: z.coerce.number().min(0),
          // A day's raw word-limit compliance under `tokens.wordLimitCompliance` raises an alert as well.
          /** Alert when an agent's prediction error (mean absolute percentage error) over a day passes this. */
          predictionErrorFraction: z.coerce.number().min(0),
          /** Rates (compliance, prediction error) are judged only over at least this many calls. */
          minimumCalls: z.coerce.number().int().min(1),
        })
        .strict(),
      /**
       * What a run does when its budget cannot pay for its next call: `degrade` (trim or skip, the default) or
       * `pause` (wait durably for `tokenflow budget <id> --raise N`, at most `pauseTimeout`, then degrade). `pool`
       * names the token pool runs draw on when the CLI names none.
       */
      budgets: z
        .object({
          onExhausted: z.enum(ON_EXHAUSTED),
          pauseTimeout: z.string().regex(/^\d+[smhd]$/, 'must look like 30m, 1h or 24h'),
          pool: z.string().min(1).optional(),
        })
        .strict(),
      /**
       * Token pools: a budget per period that many runs and backtests draw on (a team's 2M tokens a day). Held
       * by one entity workflow per pool, started by the first run that names it.
       */
      pools: z.record(
        z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a pool name is letters, digits, "_", "." or "-"'),
        z
          .object({
            tokensPerPeriod: z.coerce.number().int().positive(),
            period: z.enum(POOL_PERIODS),
            /** Overrides `budgets.onExhausted` for runs of this pool. */
            onExhausted: z.enum(ON_EXHAUSTED).optional(),
          })
          .strict(),
      ),
      /** The daily report: a workflow on a Temporal Schedule reports the UTC day before it runs. */
      reports: z
        .object({
          /** UTC time of day (`HH:MM`) the report Schedule runs. */
          at: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a UTC time of day like 00:15'),
        })
        .strict(),
      /** `tokenflow dashboard`: always on 127.0.0.1; the Temporal UI it links to is `temporal.uiUrl`. */
      dashboard: z
        .object({
          port: z.coerce
            .number()
            .int('must be a whole port number')
            .min(0, 'must be a port from 0 to 65535 (0 picks a free one)')
            .max(65535, 'must be a port from 0 to 65535 (0 picks a free one)'),
        })
        .strict(),
    })
    .strict()
    .superRefine((config, context) => {
      const agentTotal = AGENT_NAMES.reduce((sum, name) => sum + config.agents[name].allocation, 0);
      const sharedTotal =
        config.sharedLines.system_context +
        config.sharedLines.summary_output +
        config.sharedLines.buffer_overhead;
      if (agentTotal + sharedTotal > config.tokens.maxTotalTokens) {
        context.addIssue({
          code: 'custom',
          path: ['tokens', 'maxTotalTokens'],
          message: `agent allocations (${agentTotal}) plus shared lines (${sharedTotal}) exceed the hard cap of ${config.tokens.maxTotalTokens}; raise the cap or lower an allocation`,
        });
      }
      if (!config.models[config.model]) {
        context.addIssue({
          code: 'custom',
          path: ['model'],
          message: `model "${config.model}" has no entry under models (known: ${Object.keys(config.models).join(', ')}); add its context window, prices and tokenizer`,
        });
      }
      if (config.tokens.maxResponseTokens > config.tokens.maxTotalTokens) {
        context.addIssue({
          code: 'custom',
          path: ['tokens', 'maxResponseTokens'],
          message: 'must not exceed tokens.maxTotalTokens',
        });
      }
      if (config.budgets.pool !== undefined && !config.pools[config.budgets.pool]) {
        context.addIssue({
          code: 'custom',
          path: ['budgets', 'pool'],
          message: `names pool "${config.budgets.pool}", which is not defined under pools`,
        });
      }
      if (config.dataSource.kind === 'folder' && !config.dataSource.folder) {
        context.addIssue({
          code: 'custom',
          path: ['dataSource', 'folder'],
          message: 'is required when dataSource.kind is "folder"',
        });
      }
    });
}

export type AppConfig = z.infer<ReturnType<typeof buildAppConfigSchema>>;
export type TokenLimits = z.infer<typeof tokenLimitsSchema>;
export type AgentSettings = z.infer<typeof agentSettingsSchema>;
export type ModelSettings = z.infer<typeof modelSettingsSchema>;
export type ProviderKind = z.infer<typeof providerKindSchema>;
export type OpenAiSettings = z.infer<typeof openAiSettingsSchema>;
export type SharedLines = z.infer<typeof sharedLinesSchema>;
