import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { marketAnalyst } from './market-analyst';
import { trader } from './trader';
import {
  AGENT_DEFAULTS,
  AGENT_NAMES,
  ANALYST_AGENTS,
  RESEARCH_AGENTS,
  RISK_DEBATER_AGENTS,
  agentDefinition,
  agentsOfStage,
  registerAgent,
  type AgentDefinition,
} from './index';

/** A definition that is not typed as a registered agent: what a mistaken plugin could hand in. */
function candidate(changes: Record<string, unknown>): AgentDefinition {
  return { ...marketAnalyst, name: 'extra_analyst', ...changes } as unknown as AgentDefinition;
}

describe('the agent registry', () => {
  test('derives the roster from the built-in definitions, in pipeline order', () => {
    assert.deepEqual(ANALYST_AGENTS, [
      'market_analyst',
      'news_analyst',
      'social_analyst',
      'fundamentals_analyst',
    ]);
    assert.deepEqual(RESEARCH_AGENTS, ['bull_researcher', 'bear_researcher']);
    assert.deepEqual(RISK_DEBATER_AGENTS, ['aggressive_debater', 'conservative_debater', 'neutral_debater']);
    assert.deepEqual(agentsOfStage('trader'), ['trader']);
    assert.equal(AGENT_NAMES.length, 12);
    assert.deepEqual(Object.keys(AGENT_DEFAULTS), AGENT_NAMES);
    assert.deepEqual(AGENT_DEFAULTS.trader, { wordLimit: 150, allocation: 1500 });
    assert.equal(agentDefinition('risk_manager').stage, 'risk-manager');
  });

  test('refuses a definition it cannot run, saying why', () => {
    const refusals: Array<[Record<string, unknown>, RegExp]> = [
      [{ name: 'Extra Analyst' }, /its name must be a snake_case key/],
      [{ name: 'market_analyst' }, /an agent of that name is already registered/],
      [{ name: 'buffer_overhead' }, /that name is a shared budget line/],
      [{ stage: 'analyst' }, /its stage must be one of analysts, research-debate, /],
      [{ reportPriority: undefined }, /an analyst needs a reportPriority/],
      [{ reads: ['reports'] }, /an analyst must read at least one of prices, /],
      [{ reads: ['weather'] }, /it must read parts among .* \(not weather\)/],
      [{ defaults: { wordLimit: 100 } }, /whole-number wordLimit and allocation/],
    ];
    for (const [changes, message] of refusals) {
      assert.throws(() => registerAgent(candidate(changes)), message, JSON.stringify(changes));
    }
    assert.throws(
      () => registerAgent({ ...trader, name: 'second_trader' } as unknown as AgentDefinition),
      /^Error: Cannot register agent "second_trader": stage trader runs one agent, trader\.$/,
    );
    assert.equal(AGENT_NAMES.length, 12, 'nothing refused was registered');
  });

  test('adds a registered agent to every list derived from it', () => {
    registerAgent(candidate({ defaults: { wordLimit: 120, allocation: 900 } }));
    assert.equal(ANALYST_AGENTS.at(-1), 'extra_analyst');
    assert.equal(AGENT_NAMES[4], 'extra_analyst');
    assert.deepEqual(AGENT_DEFAULTS['extra_analyst' as keyof typeof AGENT_DEFAULTS], {
      wordLimit: 120,
      allocation: 900,
    });
  });
});
