import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config/load-config';
import { commandServesMetrics, metricsPortOf } from './metrics-settings';

function configWith(environment: NodeJS.ProcessEnv) {
  return loadConfig({ environment, cwd: os.tmpdir(), overrides: {} });
}

describe('metrics settings', () => {
  test('tokenflow worker serves on 9464 unless told otherwise; an in-process worker only when a port is set', () => {
    const unset = configWith({});
    assert.equal(metricsPortOf(unset, true), 9464);
    assert.equal(metricsPortOf(unset, undefined), undefined);
    assert.equal(metricsPortOf(unset, false), undefined);

    const ephemeral = configWith({ TOKENFLOW_METRICS_PORT: '0' });
    assert.equal(metricsPortOf(ephemeral, true), 0);
    assert.equal(metricsPortOf(ephemeral, undefined), 0);

    const off = configWith({ TOKENFLOW_METRICS_PORT: 'off' });
    assert.equal(metricsPortOf(off, true), undefined);
    assert.equal(metricsPortOf(off, undefined), undefined);

    assert.equal(metricsPortOf(configWith({ TOKENFLOW_METRICS_PORT: '9100' }), true), 9100);
  });

  test('a port that is not one is refused, naming the field', () => {
    for (const value of ['yes', '70000', '-1', '1.5']) {
      assert.throws(
        () => configWith({ TOKENFLOW_METRICS_PORT: value }),
        /metrics\.port: must be a port from 0 to 65535 \(0 picks a free one\) or "off"/,
        value,
      );
    }
  });

  test('which commands ask for Temporal’s SDK metrics, from their flags and config file', () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'tokenflow-metrics-settings-'));
    try {
      const on = path.join(folder, 'on.json');
      const off = path.join(folder, 'off.json');
      writeFileSync(on, JSON.stringify({ metrics: { port: 0 } }));
      writeFileSync(off, JSON.stringify({ metrics: { port: 'off' } }));
      assert.equal(commandServesMetrics('worker', ['--config', on]), true);
      assert.equal(commandServesMetrics('worker', ['--config', off]), false);
      assert.equal(commandServesMetrics('analyze', ['SPX', '--config', on]), true);
      assert.equal(commandServesMetrics('analyze', ['SPX', '--no-worker', '--config', on]), false);
      assert.equal(commandServesMetrics('report', ['--config', on]), false);
      assert.equal(commandServesMetrics('worker', ['--config', path.join(folder, 'missing.json')]), false);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
