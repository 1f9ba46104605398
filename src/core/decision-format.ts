/**
 * How the risk manager is asked to write its decision, apart from the parser in `decision.ts` so the prompts
 * (bundled into the workflow code) do not bring the parser's zod along.
 */

/** The labelled lines a decision is written in; one label a line keeps it within reach of a 135M model. */
export const DECISION_LINES = [
  'DECISION: <BUY or HOLD or SELL>',
  'CONFIDENCE: <a number from 0.0 to 1.0>',
  'ENTRY: <entry price, or leave this line out>',
  'STOP: <stop-loss price, or leave this line out>',
  'RATIONALE: <one or two sentences>',
].join('\n');

/** Format instructions the risk manager's prompt ends with; `parseDecision` reads what they ask for. */
export const DECISION_FORMAT_INSTRUCTIONS = `End your answer with these lines, each on its own line, with the part in <> replaced by your value:\n${DECISION_LINES}`;
