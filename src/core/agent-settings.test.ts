import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_AGENTS } from '../config/defaults';
import { calibratedAgentSettings, effectiveAgentSettings, type RunCalibration } from './agent-settings';

const settings = { agents: DEFAULT_AGENTS };
const calibration: RunCalibration = {
  version: 'v1',
  agents: { risk_manager: { wordLimit: 90, allocation: 1800, tokensPerWord: 1.4 } },
};

describe('effective agent settings', () => {
  test('optimized mode runs under the calibrated word limit and allocation where learning set them', () => {
    const effective = effectiveAgentSettings('risk_manager', settings, 'optimized', calibration);
    assert.equal(effective.wordLimit, 90);
    assert.equal(effective.measuredWordLimit, 90);
    assert.equal(effective.allocation, 1800);
    assert.equal(effective.calibration?.tokensPerWord, 1.4);
  });

  test('an agent without a calibration keeps its configured settings', () => {
    const effective = effectiveAgentSettings('trader', settings, 'optimized', calibration);
    assert.equal(effective.wordLimit, DEFAULT_AGENTS.trader.wordLimit);
    assert.equal(effective.allocation, DEFAULT_AGENTS.trader.allocation);
    assert.equal(effective.calibration, undefined);
  });

  test('baseline mode states no limit and measures compliance against the configured one', () => {
    const effective = effectiveAgentSettings('risk_manager', settings, 'baseline', calibration);
    assert.equal(effective.wordLimit, undefined);
    assert.equal(effective.measuredWordLimit, DEFAULT_AGENTS.risk_manager.wordLimit);
    assert.equal(effective.allocation, 1800);
  });

  test("the run's budget lines take the calibrated allocations and leave the configured ones alone", () => {
    const agents = calibratedAgentSettings(settings, calibration);
    assert.deepEqual(agents.risk_manager, { wordLimit: 90, allocation: 1800 });
    assert.deepEqual(agents.trader, DEFAULT_AGENTS.trader);
    assert.equal(settings.agents.risk_manager.wordLimit, DEFAULT_AGENTS.risk_manager.wordLimit);
  });
});
