import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from './load-config';
import { buildRunSettings } from './run-settings';
import { LOCAL_MODEL_NAME } from './defaults';

// A folder without a config file, so only defaults and the overrides apply.
const cwd = mkdtempSync(path.join(tmpdir(), 'tokenflow-config-'));
after(() => rmSync(cwd, { recursive: true, force: true }));

const load = (overrides: Record<string, unknown>) => loadConfig({ environment: {}, cwd, overrides });

describe('loadConfig: the runaway check and machine-time prices', () => {
  test('the repetition window defaults to 25 words, reaches the run settings, and 0 turns it off', () => {
    assert.equal(buildRunSettings(load({})).repetitionWindowWords, 25);
    assert.equal(buildRunSettings(load({ tokens: { repetitionWindowWords: 0 } })).repetitionWindowWords, 0);
  });

  test('a window too short to mean a loop is refused, naming the field', () => {
    assert.throws(
      () => load({ tokens: { repetitionWindowWords: 3 } }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /tokens\.repetitionWindowWords: must be 0 \(off\) or from 8 to 500 words/.test(error.message),
    );
  });

  test("a model's price per hour reaches the run settings; a negative one is refused, naming the field", () => {
    const priced = load({
      provider: 'local',
      model: LOCAL_MODEL_NAME,
      models: { [LOCAL_MODEL_NAME]: { perHour: 0.1 } },
    });
    assert.equal(buildRunSettings(priced).prices.perHour, 0.1);
    assert.equal(buildRunSettings(load({})).prices.perHour, undefined, 'no price per hour by default');
    assert.throws(
      () => load({ models: { [LOCAL_MODEL_NAME]: { perHour: -1 } } }),
      (error: unknown) =>
        error instanceof ConfigError &&
        new RegExp(`models\\.${LOCAL_MODEL_NAME}\\.perHour`).test(error.message),
    );
  });
});
