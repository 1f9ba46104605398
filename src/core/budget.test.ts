import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_AGENTS } from '../config/defaults';
import {
  availableFor,
  changeHardCap,
  closeLine,
  createBudget,
  remainingOnLine,
  reservationCeiling,
  reserve,
  runRemaining,
  settle,
  totalSpent,
  validateHardCapChange,
} from './budget';

const sharedLines = { system_context: 5000, summary_output: 2000, buffer_overhead: 5000 };

function seedBudget(hardCap = 40000) {
  return createBudget({ hardCap, agents: DEFAULT_AGENTS, sharedLines });
}

describe('run budget', () => {
  test('the seed allocation adds up to the 40K hard cap', () => {
    const budget = seedBudget();
    const total = Object.values(budget.lines).reduce((sum, line) => sum + line.allocation, 0);
    assert.equal(total, 40000);
    assert.equal(budget.lines.market_analyst.allocation, 3000);
    assert.equal(budget.lines.research_manager.allocation, 4000);
  });

  test('a smaller budget scales every line and still sums to the cap', () => {
    const budget = seedBudget(10001);
    const total = Object.values(budget.lines).reduce((sum, line) => sum + line.allocation, 0);
    assert.equal(total, 10001);
    assert.equal(budget.lines.market_analyst.allocation, 750);
  });

  test('an agent gets its own line plus its share of the pool, never a later agent’s line', () => {
    const budget = seedBudget();
    // 28,000 tokens are allocated to agents; the market analyst's 3,000 entitle it to 3/28 of the 5,000 pool.
    assert.equal(availableFor(budget, 'market_analyst'), 3000 + Math.floor((5000 * 3000) / 28000));
    assert.equal(availableFor(budget, 'trader'), 1500 + Math.floor((5000 * 1500) / 28000));
  });

  test('the last open agent gets the whole pool', () => {
    const budget = seedBudget();
    for (const name of Object.keys(budget.lines)) {
      if (
        name !== 'risk_manager' &&
        name !== 'system_context' &&
        name !== 'summary_output' &&
        name !== 'buffer_overhead'
      ) {
        closeLine(budget, name as Parameters<typeof closeLine>[1]);
      }
    }
    // Closed lines never spent anything, so their allocations joined the pool too.
    assert.equal(availableFor(budget, 'risk_manager'), 40000 - 2000 - 5000);
  });

  test('unused allocation of a closed line flows to later agents', () => {
    const budget = seedBudget();
    const reservation = reserve(budget, 'market', 'market_analyst', 2000);
    assert.ok(reservation);
    settle(budget, reservation, 1200);
    const before = availableFor(budget, 'trader');
    closeLine(budget, 'market_analyst');
    const after = availableFor(budget, 'trader');
    assert.ok(after > before, `${after} > ${before}`);
    // The whole leftover reaches the last agent.
    for (const name of Object.keys(budget.lines)) {
      if (!['risk_manager', 'system_context', 'summary_output', 'buffer_overhead'].includes(name)) {
        closeLine(budget, name as Parameters<typeof closeLine>[1]);
      }
    }
    assert.equal(availableFor(budget, 'risk_manager'), 40000 - 1200 - 2000 - 5000);
  });

  test('a multi-round agent keeps a share of its line for later rounds', () => {
    const budget = seedBudget();
    const poolShare = Math.floor((5000 * 1500) / 28000);
    assert.equal(availableFor(budget, 'bull_researcher', 3), 500 + poolShare);
    assert.equal(availableFor(budget, 'bull_researcher', 1), 1500 + poolShare);
  });

  test('a reservation that does not fit is refused and changes nothing', () => {
    const budget = seedBudget();
    const before = runRemaining(budget);
    const available = availableFor(budget, 'trader');
    assert.equal(reserve(budget, 'x', 'trader', available + 1), undefined);
    assert.equal(runRemaining(budget), before);
    assert.ok(reserve(budget, 'y', 'trader', available));
  });

  test('retry allowance comes from the buffer and excess spend is charged there', () => {
    const budget = seedBudget();
    const reservation = reserve(budget, 'call', 'news_analyst', 1000, 800);
    assert.ok(reservation);
    assert.equal(reservationCeiling(reservation), 1800);
    assert.equal(remainingOnLine(budget, 'buffer_overhead'), 4200);
    settle(budget, reservation, 1500);
    assert.equal(budget.lines.news_analyst.spent, 1000);
    assert.equal(budget.lines.buffer_overhead.spent, 500);
    assert.equal(totalSpent(budget), 1500);
    assert.equal(budget.reservations.length, 0);
  });

  test('reserving the whole run never lets spend pass the cap', () => {
    const budget = seedBudget(5000);
    let spent = 0;
    for (let index = 0; index < 50; index += 1) {
      const line = index % 2 === 0 ? 'trader' : 'market_analyst';
      const available = availableFor(budget, line);
      if (available === 0) break;
      const reservation = reserve(budget, `c${index}`, line, available, 100);
      assert.ok(reservation);
      settle(budget, reservation, reservationCeiling(reservation));
      spent = totalSpent(budget);
      assert.ok(spent <= 5000, `spent ${spent}`);
    }
  });

  test('the hard cap can be raised, and lowered only to what is committed', () => {
    const budget = seedBudget();
    const reservation = reserve(budget, 'a', 'market_analyst', 3000);
    assert.ok(reservation);
    settle(budget, reservation, 3000);
    assert.match(validateHardCapChange(budget, 2000) ?? '', /below the 3000 tokens/);
    changeHardCap(budget, 50000);
    assert.equal(runRemaining(budget), 47000);
    changeHardCap(budget, 20000);
    assert.equal(runRemaining(budget), 17000);
    const protectedSum = Object.values(budget.lines).reduce(
      (sum, line) => sum + Math.max(0, line.allocation - line.spent - line.reserved),
      0,
    );
    assert.ok(protectedSum <= 17000);
  });
});
