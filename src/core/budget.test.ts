import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_AGENTS } from '../config/defaults';
import type { BudgetLine } from './agents';
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
  summarizeBudget,
  totalSpent,
  validateHardCapChange,
  type BudgetState,
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

describe('a call that spends past its ceiling', () => {
  test('a new budget has no overruns', () => {
    assert.deepEqual(seedBudget().overruns, []);
  });

  test('spend within the ceiling is charged with no overrun', () => {
    const budget = seedBudget();
    const reservation = reserve(budget, 'call', 'trader', 1000, 200);
    assert.ok(reservation);
    assert.deepEqual(settle(budget, reservation, 1200), { charged: 1200 });
    assert.deepEqual(budget.overruns, []);
  });

  test('is charged in full and reported, in the result and in the state', () => {
    const budget = seedBudget();
    const reservation = reserve(budget, 'call', 'trader', 1000, 200);
    assert.ok(reservation);
    const result = settle(budget, reservation, 1500.2);
    const overrun = { id: 'call', line: 'trader', ceiling: 1200, spent: 1501 };
    assert.deepEqual(result, { charged: 1501, overrun });
    assert.deepEqual(budget.overruns, [overrun]);
    assert.equal(totalSpent(budget), 1501, 'the bill is the bill: no token is dropped');
    assert.equal(budget.lines.trader.spent, 1000);
    assert.equal(budget.lines.buffer_overhead.spent, 501);
  });

  test('a reservation settled twice is charged once', () => {
    const budget = seedBudget();
    const reservation = reserve(budget, 'call', 'trader', 1000);
    assert.ok(reservation);
    settle(budget, reservation, 800);
    assert.deepEqual(settle(budget, reservation, 5000), { charged: 0 });
    assert.equal(totalSpent(budget), 800);
    assert.deepEqual(budget.overruns, []);
  });

  test('stops every further reservation on every line', () => {
    const budget = seedBudget();
    const reservation = reserve(budget, 'call', 'market_analyst', 500);
    assert.ok(reservation);
    assert.ok(availableFor(budget, 'trader') > 0);
    settle(budget, reservation, 501);
    for (const line of Object.keys(budget.lines) as BudgetLine[]) {
      assert.equal(availableFor(budget, line), 0, line);
      assert.equal(reserve(budget, `after-${line}`, line, 1), undefined, line);
    }
    assert.equal(budget.reservations.length, 0);
  });

  test('is summarized as a copy, with the tokens spent past the hard cap', () => {
    const budget = seedBudget(5000);
    const reservation = reserve(budget, 'call', 'trader', availableFor(budget, 'trader'));
    assert.ok(reservation);
    settle(budget, reservation, 6000);
    const summary = summarizeBudget(budget);
    assert.equal(summary.overCap, 1000);
    assert.deepEqual(summary.overruns, [
      { id: 'call', line: 'trader', ceiling: reservation.amount, spent: 6000 },
    ]);
    summary.overruns.push({ id: 'other', line: 'trader', ceiling: 0, spent: 1 });
    const first = summary.overruns[0];
    assert.ok(first);
    first.spent = 0;
    assert.equal(budget.overruns.length, 1);
    assert.equal(budget.overruns[0]?.spent, 6000);
  });

  test('a run within its cap reports no tokens over it', () => {
    const budget = seedBudget(5000);
    const reservation = reserve(budget, 'call', 'trader', 100);
    assert.ok(reservation);
    settle(budget, reservation, 100);
    assert.equal(summarizeBudget(budget).overCap, 0);
    assert.deepEqual(summarizeBudget(budget).overruns, []);
  });

  test('the hard cap can still be raised or lowered after an overrun', () => {
    const budget = seedBudget();
    const reservation = reserve(budget, 'call', 'trader', 1000);
    assert.ok(reservation);
    settle(budget, reservation, 3000);
    assert.match(validateHardCapChange(budget, 2999) ?? '', /below the 3000 tokens/);
    changeHardCap(budget, 10000);
    assert.equal(budget.hardCap, 10000);
    assert.equal(runRemaining(budget), 7000);
    assert.equal(availableFor(budget, 'risk_manager'), 0, 'a new cap does not clear the overrun');
  });
});

describe('budget state built before overruns were recorded', () => {
  function legacyBudget(): BudgetState {
    const { overruns: _overruns, ...legacy } = seedBudget();
    return legacy as BudgetState;
  }

  test('reserves, summarizes and changes its cap as before', () => {
    const budget = legacyBudget();
    assert.equal(availableFor(budget, 'trader'), 1500 + Math.floor((5000 * 1500) / 28000));
    const reservation = reserve(budget, 'call', 'trader', 1000);
    assert.ok(reservation);
    assert.deepEqual(settle(budget, reservation, 900), { charged: 900 });
    assert.equal(validateHardCapChange(budget, 30000), undefined);
    changeHardCap(budget, 30000);
    const summary = summarizeBudget(budget);
    assert.deepEqual(summary.overruns, []);
    assert.equal(summary.overCap, 0);
  });

  test('records its first overrun', () => {
    const budget = legacyBudget();
    const reservation = reserve(budget, 'call', 'trader', 1000);
    assert.ok(reservation);
    const { overrun } = settle(budget, reservation, 1001);
    assert.ok(overrun);
    assert.deepEqual(budget.overruns, [overrun]);
    assert.equal(availableFor(budget, 'trader'), 0);
  });
});
