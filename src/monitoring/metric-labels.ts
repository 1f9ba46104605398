// The label vocabulary of the worker's metrics: OpenTelemetry GenAI attribute names (dots become underscores in
// Prometheus) and tokenflow's own. Kept apart from the instruments so docs/metrics.md and the tests read one list.
import type { UsageRecord } from '../core/types';

/** `gen_ai.operation.name`: every model call tokenflow makes is a chat completion. */
export const GEN_AI_OPERATION_CHAT = 'chat';

/**
 * `gen_ai.provider.name` of tokenflow's providers. An OpenAI-compatible endpoint (vLLM, llama.cpp server, ...)
 * is `openai`, as the convention asks of instrumentations that only know the API they speak; the embedded model
 * runs on llama.cpp, which has no well-known value, so it gets its own.
 */
export const GEN_AI_PROVIDER_NAME: Readonly<Record<UsageRecord['provider'], string>> = {
  openai: 'openai',
  local: 'llama_cpp',
};

/** `gen_ai.token.type` values of `gen_ai_client_token_usage` (the convention's two). */
export const GEN_AI_TOKEN_TYPE = { input: 'input', output: 'output' } as const;

/**
 * `token_type` values of `tokenflow_tokens_total`, one per ledger column: `prompt` and `completion` of the
 * answered attempt, `cached_prompt` the part of `prompt` the server read from its cache (a subset, not an
 * addition), `lost` everything earlier or unanswered attempts put on the bill.
 */
export const TOKEN_TYPE = {
  prompt: 'prompt',
  cachedPrompt: 'cached_prompt',
  completion: 'completion',
  lost: 'lost',
} as const;

export type TokenType = (typeof TOKEN_TYPE)[keyof typeof TOKEN_TYPE];

/** Labels of tokenflow's per-call metrics. */
export const CALL_LABELS = ['agent', 'model', 'mode', 'provider'] as const;

/** Labels of the OpenTelemetry GenAI metrics, plus tokenflow's agent (and mode where the recorder knows it). */
export const GEN_AI_LABELS = [
  'gen_ai_operation_name',
  'gen_ai_provider_name',
  'gen_ai_request_model',
  'agent',
] as const;

/** The per-call label values of one ledger record; nothing from the prompt, no call id. */
export function callLabels(record: Pick<UsageRecord, 'agent' | 'model' | 'mode' | 'provider'>) {
  return { agent: record.agent, model: record.model, mode: record.mode, provider: record.provider };
}

/** The OpenTelemetry GenAI attributes of one model request. */
export function genAiLabels(request: { agent: string; provider: UsageRecord['provider']; model: string }) {
  return {
    gen_ai_operation_name: GEN_AI_OPERATION_CHAT,
    gen_ai_provider_name: GEN_AI_PROVIDER_NAME[request.provider] ?? request.provider,
    gen_ai_request_model: request.model,
    agent: request.agent,
  };
}
