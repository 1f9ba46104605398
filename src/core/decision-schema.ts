/**
 * JSON Schema of the decision for structured output: the local model turns it into a grammar, OpenAI-compatible
 * endpoints receive it as `response_format`. Plain data (no zod) so the workflow can pass it along.
 * Every property is required because llama.cpp's JSON-schema grammar requires all keys anyway; the rationale
 * is bounded so a cut at `max_tokens` cannot leave the JSON unclosed.
 */
export const DECISION_JSON_SCHEMA = {
  type: 'object',
  properties: {
    action: { enum: ['BUY', 'HOLD', 'SELL'] },
    confidence: { type: 'number' },
    rationale: { type: 'string', minLength: 20, maxLength: 600 },
  },
  required: ['action', 'confidence', 'rationale'],
} as const;
