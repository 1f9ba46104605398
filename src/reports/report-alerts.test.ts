import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ALERT_RULE, type Alert } from '../core/alerts';
import { mergeAlerts } from './report-alerts';

function alert(rule: Alert['rule'], key: string, message = `${key} now`): Alert {
  return { key, rule, day: '2026-05-04', message, value: 1, threshold: 0.5 };
}

describe('mergeAlerts', () => {
  test('one entry per key: recorded text wins, delivery decides the status, the rest are not recorded', () => {
    const merged = mergeAlerts(
      [
        {
          ...alert(ALERT_RULE.RunBudgetUsed, 'run_budget_used:a', 'as sent'),
          raisedAt: '2026-05-04T10:00:00.000Z',
          deliveredAt: '2026-05-04T10:00:01.000Z',
        },
        {
          ...alert(ALERT_RULE.AgentOverAllocation, 'agent_over_allocation:a:trader'),
          raisedAt: '2026-05-04T10:00:00.000Z',
        },
      ],
      [
        alert(ALERT_RULE.RunBudgetUsed, 'run_budget_used:a'),
        alert(ALERT_RULE.DailyCost, 'daily_cost:2026-05-04'),
        alert(ALERT_RULE.RunExhausted, 'run_exhausted:b'),
      ],
    );
    assert.deepEqual(
      merged.map((entry) => [entry.key, entry.status]),
      [
        ['run_budget_used:a', 'delivered'],
        ['agent_over_allocation:a:trader', 'recorded'],
        ['run_exhausted:b', 'not-recorded'],
        ['daily_cost:2026-05-04', 'not-recorded'],
      ],
    );
    assert.equal(merged[0]?.message, 'as sent');
    assert.equal(merged[0]?.deliveredAt, '2026-05-04T10:00:01.000Z');
  });

  test('nothing recorded and nothing raised is an empty list', () => {
    assert.deepEqual(mergeAlerts([], []), []);
  });
});
