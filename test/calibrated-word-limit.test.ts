import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Calibration } from '../src/core/run-types';
import { failureMessage } from '../src/cli/failure-message';
import { countWords, detectRole, findWordLimit } from './support/scripted-model';
import { runAnalysis, startHarness, testConfig, type Harness } from './support/workflow-harness';

/** The configured risk manager limit is 250 words; learning moved it to this. */
const CALIBRATED_RISK_MANAGER_WORDS = 40;
const RATIONALE_WORDS = 120;

const rationale = Array.from(
  { length: RATIONALE_WORDS / 12 },
  (_, index) => `Point ${index + 1} weighs the trend against the debate and keeps the position small.`,
).join(' ');

let harness: Harness;

before(async () => {
  harness = await startHarness({
    // A risk manager that writes past the limit its prompt gives: the decision parse must cut its rationale
    // to the same limit.
    answerOverride: (messages) =>
      detectRole(messages) === 'risk_manager'
        ? JSON.stringify({ action: 'HOLD', confidence: 0.6, rationale })
        : undefined,
  });
});

after(async () => {
  await harness?.close();
});

describe('a calibrated word limit', () => {
  test('the prompt, the call record and the decision parse all use the calibrated limit', async () => {
    assert.ok(countWords(rationale) >= RATIONALE_WORDS, 'the answer runs past the calibrated limit');
    const calibration: Calibration = {
      version: 'test-calibrated-limit',
      createdAt: '2026-12-01T00:00:00.000Z',
      reasons: ['test: the risk manager writes shorter'],
      agents: {
        // Room in max_tokens for the whole over-long answer, so it is parsed rather than cut and repaired.
        risk_manager: { wordLimit: CALIBRATED_RISK_MANAGER_WORDS, allocation: 2500, tokensPerWord: 6 },
      },
    };
    await harness.store.saveCalibration(calibration);
    const config = testConfig(harness);
    assert.notEqual(config.agents.risk_manager.wordLimit, CALIBRATED_RISK_MANAGER_WORDS);

    const run = await runAnalysis(harness, { config, workflowId: 'test-calibrated-limit' });
    assert.ok(run.ok, run.ok ? '' : failureMessage(run.error));
    const { result } = run;
    assert.equal(result.calibrationVersion, 'test-calibrated-limit');

    const riskManagerRequest = harness.server.requests.find(
      (request) => request.body?.messages && detectRole(request.body.messages) === 'risk_manager',
    );
    const messages = riskManagerRequest?.body?.messages;
    assert.ok(messages, 'the risk manager was called');
    assert.equal(findWordLimit(messages), CALIBRATED_RISK_MANAGER_WORDS, 'prompt');
    const call = result.calls.find((summary) => summary.agent === 'risk_manager');
    assert.equal(call?.wordLimit, CALIBRATED_RISK_MANAGER_WORDS, 'call record');

    assert.equal(result.calls.length, 12, 'the answer was read without a repair');
    assert.ok(result.decision, 'a decision');
    assert.equal(result.decision.action, 'HOLD');
    const words = countWords(result.decision.rationale);
    assert.ok(
      words > 0 && words <= CALIBRATED_RISK_MANAGER_WORDS,
      `the decision's rationale has ${words} words; the risk manager ran under ${CALIBRATED_RISK_MANAGER_WORDS}`,
    );
  });
});
