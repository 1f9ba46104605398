import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { summarizeBacktest, type BacktestReport } from '../core/backtest';
import { sampleBacktestEntries } from '../core/backtest/test-entries';
import {
  backtestIdOf,
  listBacktestReports,
  parseBacktestReport,
  readBacktestReport,
  type BacktestListing,
} from './backtest-reports';
import { DashboardHttpError } from './http-error';
import { writeSampleBacktestReport } from './test-backtest-reports';

function readable(listing: BacktestListing | undefined) {
  assert.ok(listing?.readable, `a readable report: ${JSON.stringify(listing)}`);
  return listing;
}

describe('backtest reports of the dashboard', () => {
  let folder: string;

  before(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'tokenflow-dashboard-backtests-'));
  });

  after(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  test('reads a report as writeBacktestReport writes it, summary and runs unchanged', async () => {
    const reports = path.join(folder, 'one');
    const id = await writeSampleBacktestReport(reports);
    assert.equal(id, 'backtest-1');
    const listing = readable(await readBacktestReport(reports, id));
    const written = JSON.parse(await readFile(path.join(reports, `${id}.json`), 'utf8')) as BacktestReport;
    assert.deepEqual(listing.report, written);
    assert.deepEqual(listing.report.summary, summarizeBacktest(sampleBacktestEntries()));
    assert.equal(listing.unreadableEntries, 0);
    assert.equal(listing.summaryRecomputed, false);
    assert.equal(await readBacktestReport(reports, 'backtest-2'), undefined, 'no such file');
  });

  test('lists the folder’s backtest-*.json newest first, each malformed one with why, others ignored', async () => {
    const reports = path.join(folder, 'many');
    await writeSampleBacktestReport(reports, {
      backtestId: 'backtest-old',
      generatedAt: '2026-01-01T00:00:00Z',
    });
    await writeSampleBacktestReport(reports, {
      backtestId: 'backtest-new',
      generatedAt: '2026-02-01T00:00:00Z',
    });
    await writeFile(
      path.join(reports, 'backtest-truncated.json'),
      '{"backtestId": "backtest-truncated", "tic',
    );
    await writeFile(
      path.join(reports, 'backtest-shape.json'),
      JSON.stringify({ backtestId: 'x', ticker: 7 }),
    );
    await writeFile(path.join(reports, 'backtest-array.json'), '[]');
    await writeFile(path.join(reports, 'notes.json'), '{}');
    await writeFile(path.join(reports, 'backtest-with space.json'), '{}');
    await writeFile(path.join(reports, 'comparison-1.json'), '{}');

    const listings = await listBacktestReports(reports);
    const ids = listings.map((listing) => listing.id);
    assert.deepEqual(ids.slice(-2), ['backtest-new', 'backtest-old'], 'the readable ones, newest first');
    assert.deepEqual(
      [...ids.slice(0, -2)].sort(),
      ['backtest-array', 'backtest-shape', 'backtest-truncated'],
      'files written now sort before January’s reports',
    );
    const problem = (id: string) => {
      const listing = listings.find((candidate) => candidate.id === id);
      assert.ok(listing && !listing.readable, id);
      return listing.problem;
    };
    assert.match(
      problem('backtest-truncated'),
      /^The file is not JSON \(.+\); a backtest still being written/,
    );
    assert.match(problem('backtest-shape'), /^The file is not a backtest report \(ticker: /);
    assert.match(problem('backtest-array'), /^The file is not a backtest report \(the report: /);
  });

  test('a partial report keeps its readable runs and works its summary out again', async () => {
    const reports = path.join(folder, 'partial');
    const id = await writeSampleBacktestReport(reports);
    const file = path.join(reports, `${id}.json`);
    const report = JSON.parse(await readFile(file, 'utf8')) as Partial<Omit<BacktestReport, 'entries'>> & {
      entries: unknown[];
    };
    delete report.summary;
    report.entries[0] = { date: '2019-01-04', mode: 'fast' };
    await writeFile(file, JSON.stringify(report));

    const listing = readable(await readBacktestReport(reports, id));
    assert.equal(listing.unreadableEntries, 1);
    assert.equal(listing.summaryRecomputed, true);
    const kept = sampleBacktestEntries().slice(1);
    assert.deepEqual(listing.report.entries, kept);
    assert.deepEqual(listing.report.summary, summarizeBacktest(kept));
  });

  test('a readable summary is the file’s own, as its markdown shows it, not one worked out again', async () => {
    const reports = path.join(folder, 'own-summary');
    const id = await writeSampleBacktestReport(reports);
    const file = path.join(reports, `${id}.json`);
    const report = JSON.parse(await readFile(file, 'utf8')) as BacktestReport;
    assert.ok(report.summary.agreement);
    report.summary.agreement.same = 0;
    await writeFile(file, JSON.stringify(report));
    const listing = readable(await readBacktestReport(reports, id));
    assert.equal(listing.report.summary.agreement?.same, 0);
    assert.equal(listing.summaryRecomputed, false);
  });

  test('a folder that does not exist yet lists nothing', async () => {
    assert.deepEqual(await listBacktestReports(path.join(folder, 'none')), []);
  });

  test('an id is one report name: a path, an encoded separator or bad encoding is a 400', () => {
    assert.equal(
      backtestIdOf('backtest-SPX-2019-01-07-2019-02-22-340157af'),
      'backtest-SPX-2019-01-07-2019-02-22-340157af',
    );
    assert.equal(backtestIdOf('backtest-bt_1.x'), 'backtest-bt_1.x');
    for (const bad of [
      '',
      '..',
      '..%2Fsecret',
      'backtest-a%2F..%2F..%2Fetc',
      'backtest-%2E%2E%5Cx',
      '%E0%A4%A',
      'report-1',
      'backtest-',
    ]) {
      assert.throws(
        () => backtestIdOf(bad),
        (error: unknown) => error instanceof DashboardHttpError && error.status === 400,
        bad,
      );
    }
  });

  test('text that is not a report is one sentence, never an exception', () => {
    for (const text of ['', 'null', '"x"', '{"entries": 3}']) {
      const listing = parseBacktestReport('backtest-x', text, '2026-01-01T00:00:00.000Z');
      assert.equal(listing.readable, false, text);
    }
  });
});
