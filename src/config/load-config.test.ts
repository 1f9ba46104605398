import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

describe('loadConfig: the endpoint timeouts and back-pressure', () => {
  const refusal = (overrides: Record<string, unknown>, pattern: RegExp) =>
    assert.throws(
      () => load({ provider: 'openai', openai: overrides }),
      (error: unknown) => error instanceof ConfigError && pattern.test(error.message),
    );

  test('defaults: 600 s to the first chunk, 60 s of silence between chunks, 4 calls at once, no rate limit', () => {
    const { openai } = load({ provider: 'openai' });
    assert.equal(openai.firstByteTimeoutSeconds, 600);
    assert.equal(openai.idleTimeoutSeconds, 60);
    assert.equal(openai.maxConcurrentCalls, 4);
    assert.equal(openai.requestsPerSecond, undefined);
    assert.equal('requestTimeoutSeconds' in openai, false, 'the deprecated field is read, not passed on');
  });

  test('the deprecated requestTimeoutSeconds stands in for firstByteTimeoutSeconds only when that is absent', () => {
    assert.equal(load({ openai: { requestTimeoutSeconds: 90 } }).openai.firstByteTimeoutSeconds, 90);
    assert.equal(
      load({ openai: { requestTimeoutSeconds: 90, firstByteTimeoutSeconds: 300 } }).openai
        .firstByteTimeoutSeconds,
      300,
    );
    assert.equal(load({ openai: { requestTimeoutSeconds: 90 } }).openai.idleTimeoutSeconds, 60);
  });

  test('numbers from text are read, and a rate limit is kept', () => {
    const { openai } = load({ openai: { maxConcurrentCalls: '2', requestsPerSecond: '0.5' } });
    assert.equal(openai.maxConcurrentCalls, 2);
    assert.equal(openai.requestsPerSecond, 0.5);
  });

  test('each bad value is refused in one sentence naming the field', () => {
    refusal({ maxConcurrentCalls: 0 }, /openai\.maxConcurrentCalls: must be at least 1 call at a time\.$/);
    refusal({ maxConcurrentCalls: 1.5 }, /openai\.maxConcurrentCalls: must be a whole number of calls\.$/);
    refusal(
      { requestsPerSecond: 0 },
      /openai\.requestsPerSecond: must be above 0; leave it out for no rate limit\.$/,
    );
    refusal(
      { firstByteTimeoutSeconds: 0 },
      /openai\.firstByteTimeoutSeconds: must be a number of seconds above 0\.$/,
    );
    refusal({ idleTimeoutSeconds: -1 }, /openai\.idleTimeoutSeconds: must be a number of seconds above 0\.$/);
    refusal(
      { requestTimeoutSeconds: 0 },
      /openai\.requestTimeoutSeconds: must be a number of seconds above 0\.$/,
    );
  });

  test('an endpoint gets its own invoke task queue; the local model keeps its one-slot queue', () => {
    const remote = load({ provider: 'openai', temporal: { taskQueue: 'analyses' } });
    assert.equal(buildRunSettings(remote).invokeTaskQueue, 'analyses-llm');
    const local = load({ provider: 'local', model: LOCAL_MODEL_NAME });
    assert.equal(buildRunSettings(local).invokeTaskQueue, local.temporal.localModelTaskQueue);
  });
});

describe('loadConfig: no secret in any error message', () => {
  const apiKey = 'sk-test-0123456789abcdef';

  /** The ConfigError `loadConfig` throws for a file holding `text`. */
  function errorFor(name: string, text: string, environment: NodeJS.ProcessEnv = {}): ConfigError {
    const file = path.join(cwd, name);
    writeFileSync(file, text);
    try {
      loadConfig({ file, environment, cwd });
    } catch (error) {
      assert.ok(error instanceof ConfigError, `a ConfigError, not ${String(error)}`);
      return error;
    }
    assert.fail(`${name} was accepted`);
  }

  test('a YAML line that does not parse is named by line and column, and its key is not quoted', () => {
    const error = errorFor('broken.yaml', `provider: openai\nopenai:\n  apiKey: ${apiKey}: oops\n`);
    assert.ok(!error.message.includes(apiKey), error.message);
    assert.ok(!error.message.includes('oops'), error.message);
    assert.match(error.message, /broken\.yaml is not valid YAML: .+ at line 3, column \d+;/);
  });

  test('an unterminated YAML string is named by position without echoing the text', () => {
    const error = errorFor('unterminated.yaml', `openai:\n  apiKey: "${apiKey}\n`);
    assert.ok(!error.message.includes(apiKey), error.message);
    assert.match(error.message, /a missing closing quote or bracket at line \d+, column \d+/);
  });

  test('a JSON syntax error gives the line and column only, for errors V8 would quote', () => {
    // V8 quotes the text around an unexpected token ("... is not valid JSON") and gives no position.
    const unquoted = errorFor('unquoted.json', `{\n  "openai": {\n    "apiKey": ${apiKey}\n  }\n}\n`);
    assert.ok(!unquoted.message.includes(apiKey), unquoted.message);
    assert.match(unquoted.message, /unquoted\.json is not valid JSON: .+ at line 3, column 15;/);

    const missingComma = errorFor('comma.json', `{\n  "openai": { "apiKey": "${apiKey}" "baseUrl": "x" }\n}`);
    assert.ok(!missingComma.message.includes(apiKey), missingComma.message);
    assert.match(missingComma.message, /expected ',' or '}' at line 2, column 52;/);

    const truncated = errorFor('truncated.json', `{ "openai": { "apiKey": "${apiKey}`);
    assert.ok(!truncated.message.includes(apiKey), truncated.message);
    assert.match(truncated.message, /the file ends too early at line 1, column \d+/);
  });

  test('an invalid base URL carrying credentials is refused by field name, without the URL or its parts', () => {
    const error = errorFor(
      'bad-url.yaml',
      `openai:\n  baseUrl: "https//admin:hunter2-password@llm.internal/v1"\n  apiKey: ${apiKey}\n`,
    );
    assert.match(error.message, /openai\.baseUrl: must be a URL/);
    for (const secret of ['hunter2-password', 'admin:', 'llm.internal', apiKey]) {
      assert.ok(!error.message.includes(secret), `${secret} in: ${error.message}`);
    }
  });

  test('an invalid base URL from the environment is not echoed either', () => {
    assert.throws(
      () =>
        loadConfig({
          environment: { OPENAI_BASE_URL: 'ftp:/user:s3cret-pass@[host/v1', OPENAI_API_KEY: apiKey },
          cwd,
        }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /openai\.baseUrl/.test(error.message) &&
        !error.message.includes('s3cret-pass') &&
        !error.message.includes(apiKey),
    );
  });

  test('a secret that a custom message repeats is redacted', () => {
    // A key pasted into the model setting by mistake: the model message names the value, so it must go.
    assert.throws(
      () => loadConfig({ environment: { OPENAI_API_KEY: apiKey, TOKENFLOW_MODEL: apiKey }, cwd }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /model: model "\[redacted\]" has no entry under models/.test(error.message) &&
        !error.message.includes(apiKey),
    );
  });

  test('TOKENFLOW_ALERT_WEBHOOK_URL sets the alert webhook; a bad one is refused without repeating it', () => {
    const url = 'https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX';
    assert.equal(
      loadConfig({ environment: { TOKENFLOW_ALERT_WEBHOOK_URL: url }, cwd }).alerts.webhookUrl,
      url,
    );
    assert.equal(loadConfig({ environment: {}, cwd }).alerts.webhookUrl, undefined);
    assert.throws(
      () =>
        loadConfig({ environment: { TOKENFLOW_ALERT_WEBHOOK_URL: 'hooks.slack.com/XXXXsecretXXXX' }, cwd }),
      (error: Error) =>
        /alerts\.webhookUrl: must be an http:\/\/ or https:\/\/ URL/.test(error.message) &&
        !error.message.includes('XXXXsecretXXXX'),
    );
  });

  test('TOKENFLOW_DATABASE_URL names a PostgreSQL ledger; anything but a postgres URL is refused, unquoted', () => {
    const url = 'postgres://ledger:hunter22-pass@db.internal:5432/tokenflow';
    assert.equal(loadConfig({ environment: { TOKENFLOW_DATABASE_URL: url }, cwd }).database.url, url);
    assert.equal(loadConfig({ environment: {}, cwd }).database.url, undefined);
    assert.throws(
      () => loadConfig({ environment: { TOKENFLOW_DATABASE_URL: 'mysql://ledger:hunter22-pass@db/x' }, cwd }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /database\.url: must be a postgres:\/\/ or postgresql:\/\/ URL/.test(error.message) &&
        !error.message.includes('hunter22-pass'),
    );
  });
});

describe('loadConfig: pools and what a run does when its budget runs out', () => {
  const pools = { team: { tokensPerPeriod: 2_000_000, period: 'day' } };

  test('a run degrades by default; pause reaches the run settings with its timeout', () => {
    const settings = buildRunSettings(load({}));
    assert.equal(settings.onExhausted, undefined);
    assert.equal(settings.pool, undefined);
    const paused = buildRunSettings(load({ budgets: { onExhausted: 'pause', pauseTimeout: '2h' } }));
    assert.equal(paused.onExhausted, 'pause');
    assert.equal(paused.pauseTimeoutSeconds, 7_200);
  });

  test("a run on a pool takes the pool's onExhausted unless the run names its own", () => {
    const config = load({ pools: { team: { ...pools.team, onExhausted: 'pause' } } });
    assert.equal(buildRunSettings(config, { pool: 'team' }).onExhausted, 'pause');
    assert.equal(buildRunSettings(config, { pool: 'team', onExhausted: 'degrade' }).onExhausted, undefined);
    assert.equal(buildRunSettings(config, { pool: 'team' }).pool, 'team');
  });

  test('an unknown pool, period or default pool is refused in one sentence', () => {
    assert.throws(
      () => buildRunSettings(load({ pools }), { pool: 'research' }),
      /No pool "research" in the config \(known: team\)/,
    );
    assert.throws(
      () => load({ pools: { team: { tokensPerPeriod: 10, period: 'hour' } } }),
      (error: unknown) => error instanceof ConfigError && /pools\.team\.period/.test(error.message),
    );
    assert.throws(
      () => load({ pools, budgets: { pool: 'research' } }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /budgets\.pool: names pool "research", which is not defined under pools/.test(error.message),
    );
    assert.throws(
      () => load({ budgets: { pauseTimeout: 'a day' } }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /budgets\.pauseTimeout: must look like 30m, 1h or 24h/.test(error.message),
    );
  });
});
