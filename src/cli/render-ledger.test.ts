import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderLedger } from './render-ledger';

describe('renderLedger', () => {
  test('shows every attempt of a call, the lost one with its tokens, and what was estimated', () => {
    const text = renderLedger('wf-1', [
      {
        callId: 'wf-1/bull_researcher/1',
        agent: 'bull_researcher',
        round: 1,
        promptTokens: 720,
        completionTokens: 380,
        lostTokens: 869,
        usageSource: 'server',
        finishReason: 'stop',
        attemptRecords: [
          { attempt: 1, outcome: 'lost', promptTokens: 718, completionTokens: 151, source: 'estimated' },
          { attempt: 2, outcome: 'completed', promptTokens: 720, completionTokens: 380, source: 'server' },
        ],
      },
      {
        callId: 'wf-1/trader/1',
        agent: 'trader',
        round: 1,
        promptTokens: 0,
        completionTokens: 0,
        lostTokens: 0,
        usageSource: 'estimated',
        finishReason: 'failed',
        attemptRecords: [
          {
            attempt: 1,
            outcome: 'failed',
            promptTokens: 0,
            completionTokens: 0,
            source: 'estimated',
            failureType: 'AuthenticationFailed',
          },
        ],
      },
    ]);
    const lines = text.split('\n');
    assert.match(lines[1] ?? '', /^Bull Researcher\s+1969 tokens {2}stop$/);
    assert.match(lines[2] ?? '', /attempt 1 {2}lost\s+718 prompt\s+151 completion {2}estimate$/);
    assert.match(lines[3] ?? '', /attempt 2 {2}completed\s+720 prompt\s+380 completion {2}server$/);
    assert.match(text, /attempt 1 {2}failed \(AuthenticationFailed\)/);
    assert.match(text, /Total: 1969 tokens over 2 calls; 869 of them estimated/);
  });
});
