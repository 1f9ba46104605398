import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UNKNOWN } from './format';
import { liveRunView } from './live-run-view';

const temporalUi = { url: 'http://localhost:8233/', namespace: 'default' };

describe('a running run as the page shows it', () => {
  test('progress: agents done, tokens against the cap, links', () => {
    const view = liveRunView(
      {
        workflowId: 'analysis SPX/1',
        runId: 'r',
        startedAt: '2026-03-01T10:00:00.000Z',
        ticker: 'SPX',
        mode: 'optimized',
        date: '2020-04-17',
        progress: {
          phase: 'research-debate',
          currentAgents: ['bull_researcher'],
          completedCalls: 4,
          plannedCalls: 12,
          tokensSpent: 12_345,
          hardCap: 40_000,
          costUsd: 0.0021,
          degradations: [],
          budgetStatus: 'within',
        },
      },
      temporalUi,
    );
    assert.equal(view.href, '/runs/analysis%20SPX%2F1');
    assert.equal(view.temporalHref, 'http://localhost:8233/namespaces/default/workflows/analysis%20SPX%2F1');
    assert.equal(view.agentsDone, '4 / 12');
    assert.equal(view.tokens, '12,345 / 40,000');
    assert.equal(view.tokensPercent, '30.9%');
    assert.equal(view.cost, '$0.002100');
    assert.equal(view.currentAgents, 'bull_researcher');
    assert.equal(view.tokensSpent, 12_345);
    assert.equal(view.problem, undefined);
  });

  test('a run that did not answer its query: unknown figures and the reason', () => {
    const view = liveRunView(
      { workflowId: 'w', runId: 'r', startedAt: '2026-03-01T10:00:00.000Z', problem: 'no answer' },
      temporalUi,
    );
    assert.equal(view.tokens, UNKNOWN);
    assert.equal(view.ticker, UNKNOWN);
    assert.equal(view.tokensSpent, undefined);
    assert.equal(view.problem, 'no answer');
  });
});
