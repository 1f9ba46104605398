import { test } from 'node:test';
import assert from 'node:assert/strict';
import { budgetShortfall, type CallFrame } from '../src/workflows/call-steps/call-frame';

function frameWith(pausable: boolean, overruns: unknown[]): CallFrame {
  return {
    pausable,
    state: { degradations: [], budget: { overruns } },
  } as unknown as CallFrame;
}

test('a budget shortfall pauses a pausable call, and degrades one that may not pause', () => {
  const pausing = frameWith(true, []);
  budgetShortfall(pausing, 'trader round 1: skipped');
  assert.equal(pausing.shortfall, 'trader round 1: skipped');
  assert.deepEqual(pausing.state.degradations, []);

  const degrading = frameWith(false, []);
  budgetShortfall(degrading, 'trader round 1: skipped');
  assert.equal(degrading.shortfall, undefined);
  assert.deepEqual(degrading.state.degradations, ['trader round 1: skipped']);
});

test('after an overrun no raise can help, so a pausable call degrades instead of waiting', () => {
  const frame = frameWith(true, [{ id: 'x', line: 'trader', ceiling: 10, spent: 20 }]);
  budgetShortfall(frame, 'trader round 1: skipped');
  assert.equal(frame.shortfall, undefined);
  assert.deepEqual(frame.state.degradations, ['trader round 1: skipped']);
});
