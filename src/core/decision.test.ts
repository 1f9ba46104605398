import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DECISION_FORMAT_INSTRUCTIONS,
  REPAIR_QUOTE_CHARACTERS,
  buildRepairMessages,
  decisionSchema,
  enforceDecisionWordLimit,
  parseDecision,
} from './decision';
import { countWords } from './word-limit';

function parsed(text: string) {
  const result = parseDecision(text);
  if (!result.ok) assert.fail(`expected a decision, got error: ${result.error}`);
  return result.decision;
}

function failed(text: string): string {
  const result = parseDecision(text);
  if (result.ok) assert.fail(`expected an error, got ${JSON.stringify(result.decision)}`);
  return result.error;
}

describe('parseDecision: JSON', () => {
  test('a bare JSON object', () => {
    assert.deepEqual(
      parsed(
        '{"action":"BUY","confidence":0.72,"rationale":"Breakout on volume.","entryPrice":101.5,"stopLoss":96}',
      ),
      {
        action: 'BUY',
        confidence: 0.72,
        rationale: 'Breakout on volume.',
        entryPrice: 101.5,
        stopLoss: 96,
      },
    );
  });

  test('fenced JSON with prose around, mixed-case keys, lower-case action and a percent confidence', () => {
    const text =
      'Here is my decision:\n```json\n{"Action": "sell", "CONFIDENCE": "60%", "Reasoning": "Earnings miss.", "stop_loss": "$1,050.25",}\n```\nThanks.';
    assert.deepEqual(parsed(text), {
      action: 'SELL',
      confidence: 0.6,
      rationale: 'Earnings miss.',
      stopLoss: 1050.25,
    });
  });

  test('JSON in running prose with a nested decision object', () => {
    const decision = parsed(
      'After weighing it all: {"decision": {"action": "Hold", "confidence": 55, "rationale": "Mixed signals {not clear}."}} done',
    );
    assert.equal(decision.action, 'HOLD');
    assert.equal(decision.confidence, 0.55);
    assert.equal(decision.rationale, 'Mixed signals {not clear}.');
  });
});

describe('parseDecision: labelled lines', () => {
  test('the requested format with prose before it', () => {
    const text = [
      'The aggressive case is weaker than the conservative one.',
      'DECISION: HOLD',
      'CONFIDENCE: 0.65',
      'ENTRY: 101.2',
      'STOP: 95',
      'RATIONALE: Trend is intact but volatility is high.',
    ].join('\n');
    assert.deepEqual(parsed(text), {
      action: 'HOLD',
      confidence: 0.65,
      entryPrice: 101.2,
      stopLoss: 95,
      rationale: 'Trend is intact but volatility is high.',
    });
  });

  test('markdown labels, a multi-line rationale and "none" for an optional price', () => {
    const text =
      '- **Decision:** buy\n- **Confidence:** 80%\n- **Stop:** none\n- **Rationale:** Strong momentum.\nEarnings beat estimates.';
    const decision = parsed(text);
    assert.equal(decision.action, 'BUY');
    assert.equal(decision.confidence, 0.8);
    assert.equal(decision.stopLoss, undefined);
    assert.equal(decision.rationale, 'Strong momentum.\nEarnings beat estimates.');
  });

  test('labels on one line, rationale taken from the surrounding prose', () => {
    const decision = parsed(
      'DECISION: SELL, CONFIDENCE: 7/10\nThe breakdown below support on heavy volume says sell.',
    );
    assert.equal(decision.action, 'SELL');
    assert.equal(decision.confidence, 0.7);
    assert.equal(decision.rationale, 'The breakdown below support on heavy volume says sell.');
  });
});

describe('parseDecision: malformed', () => {
  test('no decision at all names everything that is missing', () => {
    assert.equal(
      failed('I think we should wait and see.'),
      'The answer could not be read as a decision: it needs a DECISION line with BUY, HOLD or SELL, a CONFIDENCE line with a number from 0.0 to 1.0 and a RATIONALE line with at least one sentence.',
    );
  });

  test('only the missing confidence is named when the rest is there', () => {
    assert.equal(
      failed('DECISION: BUY\nRATIONALE: Strong trend.'),
      'The answer could not be read as a decision: it needs a CONFIDENCE line with a number from 0.0 to 1.0.',
    );
  });

  test('the template echoed back is not a decision', () => {
    const error = failed(
      'DECISION: BUY or HOLD or SELL\nCONFIDENCE: 0.0-1.0\nRATIONALE: <one or two sentences>',
    );
    assert.match(error, /exactly one of BUY, HOLD or SELL/);
    assert.match(error, /CONFIDENCE line with one number/);
    assert.match(error, /RATIONALE/);
  });

  test('a confidence above 100% is rejected', () => {
    assert.match(
      failed('DECISION: BUY\nCONFIDENCE: 150%\nRATIONALE: Sure.'),
      /CONFIDENCE line with one number from 0.0 to 1.0 \(it gave "150%"\)/,
    );
  });
});

describe('decision format and repair', () => {
  test('the format instructions name every label the parser needs', () => {
    for (const label of ['DECISION:', 'CONFIDENCE:', 'ENTRY:', 'STOP:', 'RATIONALE:']) {
      assert.ok(DECISION_FORMAT_INSTRUCTIONS.includes(label), label);
    }
  });

  test('the repair request is bounded and quotes the end of the answer', () => {
    const answer = `${'x'.repeat(5000)} DECISION: maybe`;
    const messages = buildRepairMessages(answer, 'The answer could not be read as a decision: it needs X.');
    assert.equal(messages.length, 2);
    assert.equal(messages[0]?.role, 'system');
    const user = messages[1];
    assert.equal(user?.role, 'user');
    assert.ok(user.content.includes('DECISION: maybe'));
    assert.ok(user.content.includes('it needs X.'));
    assert.ok(user.content.includes('RATIONALE:'));
    assert.ok(user.content.length < REPAIR_QUOTE_CHARACTERS + 800, `length ${user.content.length}`);
  });

  test('the word limit applies to the rationale only', () => {
    const decision = decisionSchema.parse({
      action: 'BUY',
      confidence: 0.7,
      rationale: 'First reason is strong. Second reason is longer and goes on for a while.',
      entryPrice: 10,
    });
    const limited = enforceDecisionWordLimit(decision, 6);
    assert.equal(limited.rationale, 'First reason is strong.');
    assert.equal(countWords(limited.rationale), 4);
    assert.equal(limited.entryPrice, 10);
    assert.equal(
      decision.rationale.startsWith('First reason is strong. Second'),
      true,
      'the input is not mutated',
    );
  });
});
