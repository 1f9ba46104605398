import { z } from 'zod';
import type { ChatMessage } from './types';
import { DECISION_LINES } from './decision-format';
import { enforceWordLimit } from './word-limit';

/** The structured decision at the end of a run, validated before it is stored or reported. */
export const decisionSchema = z.object({
  action: z.enum(['BUY', 'HOLD', 'SELL']),
  confidence: z.number().min(0).max(1),
  rationale: z.string().trim().min(1),
  entryPrice: z.number().positive().optional(),
  stopLoss: z.number().positive().optional(),
  takeProfit: z.number().positive().optional(),
  timeHorizon: z.string().trim().min(1).optional(),
});

export type Decision = z.infer<typeof decisionSchema>;

export type ParseDecisionResult = { ok: true; decision: Decision } | { ok: false; error: string };

export { DECISION_FORMAT_INSTRUCTIONS } from './decision-format';

/** Characters of a malformed answer quoted back in a repair request; the end is kept, where decisions sit. */
export const REPAIR_QUOTE_CHARACTERS = 1500;

type Field = 'action' | 'confidence' | 'rationale' | 'entryPrice' | 'stopLoss' | 'takeProfit' | 'timeHorizon';

/** Field names as a model might write them, compared lower-case with everything but letters removed. */
const KEY_ALIASES: Record<string, Field> = {
  action: 'action',
  decision: 'action',
  finaldecision: 'action',
  recommendation: 'action',
  signal: 'action',
  confidence: 'confidence',
  confidencelevel: 'confidence',
  conviction: 'confidence',
  rationale: 'rationale',
  reason: 'rationale',
  reasoning: 'rationale',
  justification: 'rationale',
  explanation: 'rationale',
  entry: 'entryPrice',
  entryprice: 'entryPrice',
  stop: 'stopLoss',
  stoploss: 'stopLoss',
  stopprice: 'stopLoss',
  takeprofit: 'takeProfit',
  target: 'takeProfit',
  targetprice: 'takeProfit',
  timehorizon: 'timeHorizon',
  horizon: 'timeHorizon',
};

/** A label at the start of a line (after list or markdown marks) or after `,`, `;` or `|` on the same line. */
const LABEL_PATTERN =
  /(^|\n|[,;|][ \t]*)[ \t>*_#\-\u2022]*(?:\d+[.)][ \t]+)?((?:final[ \t]+)?(?:decision|action|recommendation|signal)|confidence(?:[ \t]+level)?|conviction|rationale|reasoning|reason|justification|explanation|entry(?:[ \t_-]?price)?|stop(?:[ \t_-]?(?:loss|price))?|take[ \t_-]?profit|target(?:[ \t_-]?price)?|(?:time[ \t_-]?)?horizon)[ \t*_]*(?::|=|[ \t][-\u2013][ \t])/gi;

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z]/g, '');
}

function stripMarkdown(value: string): string {
  return value.replace(/^[\s*_`"']+|[\s*_`"']+$/g, '');
}

/** A value still showing the template's `<...>` placeholder is no value. */
function isPlaceholder(value: string): boolean {
  return /^<[^>]*>$/.test(value.trim());
}

type RawFields = Partial<Record<Field, unknown>>;

interface Problem {
  field: 'action' | 'confidence' | 'rationale';
  text: string;
}

const MISSING: Record<Problem['field'], string> = {
  action: 'a DECISION line with BUY, HOLD or SELL',
  confidence: 'a CONFIDENCE line with a number from 0.0 to 1.0',
  rationale: 'a RATIONALE line with at least one sentence',
};

function parseAction(value: unknown): { action?: Decision['action']; problem?: string } {
  if (typeof value !== 'string' || isPlaceholder(value)) return { problem: MISSING.action };
  // "BUY or HOLD or SELL", "BUY|HOLD|SELL": the template echoed back, not a choice.
  if (/\b(?:buy|hold|sell)\b\s*(?:\||\/|,|\bor\b)\s*\b(?:buy|hold|sell)\b/i.test(value)) {
    return { problem: 'a DECISION line with exactly one of BUY, HOLD or SELL (it listed several)' };
  }
  const match = /\b(buy|hold|sell)\b/i.exec(value);
  if (!match?.[1]) return { problem: MISSING.action };
  return { action: match[1].toUpperCase() as Decision['action'] };
}

/** Reads 0.6, 60%, 60 (taken as percent), 6/10; rejects ranges and placeholders. */
function parseConfidence(value: unknown): { confidence?: number; problem?: string } {
  const fromNumber = (number: number, percent: boolean): number | undefined => {
    const scaled = percent || number > 1 ? number / 100 : number;
    return Number.isFinite(scaled) && scaled >= 0 && scaled <= 1 ? scaled : undefined;
  };
  const invalid = (shown: string) => ({
    problem: `a CONFIDENCE line with one number from 0.0 to 1.0 (it gave "${shown.slice(0, 40)}")`,
  });
  if (typeof value === 'number') {
    const confidence = fromNumber(value, false);
    return confidence === undefined ? invalid(String(value)) : { confidence };
  }
  if (typeof value !== 'string' || value.trim() === '' || isPlaceholder(value))
    return { problem: MISSING.confidence };
  if (/\d(?:\.\d+)?\s*%?\s*(?:-|\u2013|\bto\b)\s*\d/i.test(value)) return invalid(value.trim());
  const fraction = /(\d+(?:\.\d+)?)\s*\/\s*(10|100)\b/.exec(value);
  if (fraction?.[1] && fraction[2]) {
    const confidence = fromNumber(Number(fraction[1]) / Number(fraction[2]), false);
    return confidence === undefined ? invalid(value.trim()) : { confidence };
  }
  const match = /(-?\d+(?:\.\d+)?|-?\.\d+)\s*(%|percent)?/i.exec(value);
  if (!match?.[1]) return invalid(value.trim());
  const confidence = fromNumber(Number(match[1]), match[2] !== undefined);
  return confidence === undefined ? invalid(value.trim()) : { confidence };
}

/** Prices are optional: anything that is not a positive number ("none", "n/a", a placeholder) leaves them out. */
function parsePrice(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : undefined;
  if (typeof value !== 'string' || isPlaceholder(value)) return undefined;
  const match = /\d[\d,]*(?:\.\d+)?|\.\d+/.exec(value);
  if (!match) return undefined;
  const number = Number(match[0].replace(/,/g, ''));
  return Number.isFinite(number) && number > 0 ? number : undefined;
}

function parseText(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string' || isPlaceholder(value)) return undefined;
  const text = stripMarkdown(value);
  return text === '' ? undefined : text;
}

function toDecision(fields: RawFields): { decision?: Decision; problems: Problem[] } {
  const problems: Problem[] = [];
  const action = parseAction(fields.action);
  if (action.problem) problems.push({ field: 'action', text: action.problem });
  const confidence = parseConfidence(fields.confidence);
  if (confidence.problem) problems.push({ field: 'confidence', text: confidence.problem });
  const rationale = parseText(fields.rationale);
  if (rationale === undefined) problems.push({ field: 'rationale', text: MISSING.rationale });
  if (problems.length > 0 || !action.action || confidence.confidence === undefined || !rationale) {
    return { problems };
  }
  const candidate: Record<string, unknown> = {
    action: action.action,
    confidence: confidence.confidence,
    rationale,
  };
  const entryPrice = parsePrice(fields.entryPrice);
  const stopLoss = parsePrice(fields.stopLoss);
  const takeProfit = parsePrice(fields.takeProfit);
  const timeHorizon = parseText(fields.timeHorizon);
  if (entryPrice !== undefined) candidate.entryPrice = entryPrice;
  if (stopLoss !== undefined) candidate.stopLoss = stopLoss;
  if (takeProfit !== undefined) candidate.takeProfit = takeProfit;
  if (timeHorizon !== undefined) candidate.timeHorizon = timeHorizon;
  const parsed = decisionSchema.safeParse(candidate);
  if (!parsed.success) {
    // Unreachable with the checks above; kept so a schema change cannot let an invalid decision through.
    return {
      problems: [
        { field: 'action', text: `a valid decision (${parsed.error.issues[0]?.message ?? 'invalid'})` },
      ],
    };
  }
  return { decision: parsed.data, problems: [] };
}

/** Text of every balanced `{...}` at the top level of `text`, skipping braces inside JSON strings. */
function braceBlocks(text: string): string[] {
  const blocks: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index];
    if (inString) {
      if (character === '\\') index += 1;
      else if (character === '"') inString = false;
      continue;
    }
    if (character === '"' && depth > 0) inString = true;
    else if (character === '{') {
      if (depth === 0) start = index;
      depth += 1;
    } else if (character === '}' && depth > 0) {
      depth -= 1;
      if (depth === 0) blocks.push(text.slice(start, index + 1));
    }
  }
  return blocks;
}

function parseJsonObject(candidate: string): Record<string, unknown> | undefined {
  for (const source of [candidate, candidate.replace(/,\s*([}\]])/g, '$1')]) {
    try {
      const value: unknown = JSON.parse(source);
      if (value && typeof value === 'object' && !Array.isArray(value))
        return value as Record<string, unknown>;
    } catch {
      // Not JSON (or not this variant of it); the next variant or the labelled-lines reader gets a chance.
    }
  }
  return undefined;
}

function fieldsFromObject(object: Record<string, unknown>): RawFields {
  const fields: RawFields = {};
  for (const [key, value] of Object.entries(object)) {
    const field = KEY_ALIASES[normalizeKey(key)];
    if (field && fields[field] === undefined) fields[field] = value;
  }
  // {"decision": {"action": ...}}: one level of wrapping is common enough to unwrap.
  if (fields.action && typeof fields.action === 'object' && !Array.isArray(fields.action)) {
    return { ...fieldsFromObject(fields.action as Record<string, unknown>) };
  }
  return fields;
}

function jsonCandidates(text: string): RawFields[] {
  const sources: string[] = [];
  for (const fence of text.matchAll(/```[a-zA-Z]*[ \t]*\r?\n?([\s\S]*?)```/g)) {
    if (fence[1]) sources.push(fence[1].trim());
  }
  sources.push(...braceBlocks(text));
  const candidates: RawFields[] = [];
  for (const source of sources) {
    const object = parseJsonObject(source);
    if (object) candidates.push(fieldsFromObject(object));
  }
  return candidates;
}

/**
 * Reads labelled lines. Each label's value runs to the next label; for every field but the rationale only
 * its first line counts, and the other lines are prose. Without a RATIONALE label, the prose (the model's
 * own reasoning around the labels) is the rationale.
 */
function labelledFields(text: string): RawFields {
  const matches = [...text.matchAll(LABEL_PATTERN)];
  const fields: RawFields = {};
  const prose: string[] = [];
  const firstStart = matches[0] ? matches[0].index + (matches[0][1]?.length ?? 0) : text.length;
  prose.push(text.slice(0, firstStart));
  matches.forEach((match, index) => {
    const label = match[2] ?? '';
    const field = KEY_ALIASES[normalizeKey(label.replace(/^final\s+/i, ''))];
    const next = matches[index + 1];
    const end = next ? next.index + (next[1]?.length ?? 0) : text.length;
    const value = text.slice(match.index + match[0].length, end);
    if (!field) return;
    if (field === 'rationale') {
      if (fields.rationale === undefined) fields.rationale = value.trim();
      return;
    }
    const newline = value.indexOf('\n');
    const firstLine = newline === -1 ? value : value.slice(0, newline);
    if (newline !== -1) prose.push(value.slice(newline + 1));
    if (fields[field] === undefined) fields[field] = stripMarkdown(firstLine);
  });
  if (fields.rationale === undefined && matches.length > 0) {
    const remaining = prose.join('\n').trim();
    if (remaining !== '') fields.rationale = remaining;
  }
  return fields;
}

function describeProblems(problems: readonly Problem[]): string {
  const parts = problems.map((problem) => problem.text);
  const list =
    parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}` : parts[0];
  return `The answer could not be read as a decision: it needs ${list}.`;
}

/**
 * Reads a decision from a model's answer: a JSON object (bare, inside ``` fences or surrounded by prose;
 * keys in any case, `"buy"` or `"BUY"`, confidence as 0.6 or "60%") or the labelled lines of
 * `DECISION_FORMAT_INSTRUCTIONS`. The error is one sentence naming what was missing or unreadable.
 */
export function parseDecision(text: string): ParseDecisionResult {
  const attempts = [...jsonCandidates(text), labelledFields(text)].map(toDecision);
  const success = attempts.find((attempt) => attempt.decision);
  if (success?.decision) return { ok: true, decision: success.decision };
  const closest = attempts.reduce((best, attempt) =>
    attempt.problems.length < best.problems.length ? attempt : best,
  );
  return { ok: false, error: describeProblems(closest.problems) };
}

/**
 * The one bounded repair request after a malformed decision: the end of the answer quoted back (at most
 * `REPAIR_QUOTE_CHARACTERS`), what was wrong, and the labelled lines to restate it in, nothing else.
 */
export function buildRepairMessages(malformedAnswer: string, error: string): ChatMessage[] {
  const trimmed = malformedAnswer.trim();
  const quoted =
    trimmed.length > REPAIR_QUOTE_CHARACTERS ? `…${trimmed.slice(-REPAIR_QUOTE_CHARACTERS)}` : trimmed;
  return [
    {
      role: 'system',
      content: 'You restate a trading decision in a fixed format. Reply with the labelled lines only.',
    },
    {
      role: 'user',
      content: `${error}\n\nYour answer was:\n"""\n${quoted}\n"""\n\nRestate the same decision using only these lines, with the part in <> replaced by your value:\n${DECISION_LINES}`,
    },
  ];
}

/** Keeps a decision's rationale within `wordLimit` words (cut at the last full sentence, see `enforceWordLimit`). */
export function enforceDecisionWordLimit(decision: Decision, wordLimit: number): Decision {
  if (!Number.isInteger(wordLimit) || wordLimit < 1) {
    throw new Error(`The decision's word limit must be a whole number of at least 1, got ${wordLimit}.`);
  }
  return { ...decision, rationale: enforceWordLimit(decision.rationale, wordLimit).text };
}
