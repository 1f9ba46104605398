import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SEARCH_ATTRIBUTES } from '../src/config/search-attributes';
import { projectDirectory, temporalExecutable } from './support/temporal-test-environment';

const run = promisify(execFile);

const healthcheckSchema = z.object({
  test: z.union([z.string(), z.array(z.string())]),
  interval: z.string(),
  retries: z.number().int().positive(),
});
const serviceSchema = z.object({
  image: z.string().optional(),
  build: z.object({ context: z.string(), dockerfile: z.string() }).optional(),
  command: z.union([z.string(), z.array(z.string())]).optional(),
  entrypoint: z.union([z.string(), z.array(z.string())]).optional(),
  environment: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  ports: z.array(z.string()).optional(),
  volumes: z.array(z.string()).optional(),
  depends_on: z.record(z.string(), z.object({ condition: z.string() })).optional(),
  healthcheck: healthcheckSchema.optional(),
  deploy: z.object({ replicas: z.number().int().positive() }).optional(),
  configs: z.array(z.object({ source: z.string(), target: z.string() })).optional(),
});
const composeSchema = z.object({
  services: z.record(z.string(), serviceSchema),
  configs: z.record(z.string(), z.object({ content: z.string() })).optional(),
  volumes: z.record(z.string(), z.unknown()).optional(),
});
type Service = z.infer<typeof serviceSchema>;

const compose = composeSchema.parse(
  parseYaml(readFileSync(path.join(projectDirectory, 'docker-compose.yml'), 'utf8')),
);

function service(name: string): Service {
  const found = compose.services[name];
  assert.ok(found, `docker-compose.yml has no service "${name}"`);
  return found;
}

function healthcheckText(name: string): string {
  const healthcheck = service(name).healthcheck;
  assert.ok(healthcheck, `service ${name} has no healthcheck`);
  return Array.isArray(healthcheck.test) ? healthcheck.test.join(' ') : healthcheck.test;
}

function environmentOf(name: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service(name).environment ?? {}).map(([key, value]) => [key, String(value)]),
  );
}

/** `NAME=TYPE NAME=TYPE ...` as the set-up service lists them. */
function registeredAttributes(): Map<string, string> {
  const listed = environmentOf('temporal-setup-search-attributes').SEARCH_ATTRIBUTES ?? '';
  const entries = listed.split(/\s+/).filter(Boolean);
  const pairs = entries.map((entry) => {
    const [name, type, extra] = entry.split('=');
    assert.ok(name && type && extra === undefined, `SEARCH_ATTRIBUTES entry "${entry}" is not NAME=TYPE`);
    return [name, type] as const;
  });
  const registered = new Map(pairs);
  assert.equal(registered.size, pairs.length, 'SEARCH_ATTRIBUTES lists a name twice');
  return registered;
}

/** The set-up service's script as the container's shell sees it: Compose turns `$$` into `$`. */
function setupScript(): string {
  const command = service('temporal-setup-search-attributes').command;
  const script = Array.isArray(command) ? command.join('\n') : command;
  assert.ok(script, 'temporal-setup-search-attributes has no command');
  return script;
}

describe('docker-compose.yml', () => {
  test('names the production-shaped services', () => {
    for (const name of [
      'postgresql',
      'temporal',
      'temporal-setup-search-attributes',
      'temporal-ui',
      'tokenflow-worker',
    ]) {
      service(name);
    }
  });

  test('pins every image to a version', () => {
    assert.equal(service('postgresql').image, 'postgres:16');
    assert.match(service('temporal').image ?? '', /^temporalio\/auto-setup:1\.29\.\d+$/);
    assert.match(service('temporal-ui').image ?? '', /^temporalio\/ui:\d+\.\d+\.\d+$/);
    assert.match(
      service('temporal-setup-search-attributes').image ?? '',
      /^temporalio\/admin-tools:1\.29\.\d+-/,
    );
  });

  test('publishes the Temporal frontend on 7233 and the UI on 8080, and nothing of PostgreSQL', () => {
    assert.deepEqual(service('temporal').ports, ['7233:7233']);
    assert.deepEqual(service('temporal-ui').ports, ['8080:8080']);
    assert.equal(service('postgresql').ports, undefined);
  });

  test('health checks probe PostgreSQL, the Temporal frontend and the UI', () => {
    assert.match(healthcheckText('postgresql'), /pg_isready/);
    assert.match(healthcheckText('temporal'), /temporal operator cluster health --address temporal:7233/);
    assert.match(healthcheckText('temporal'), /SERVING/);
    assert.match(healthcheckText('temporal-ui'), /127\.0\.0\.1:8080/);
  });

  test('starts each service only once what it needs is healthy or done', () => {
    const conditions = (name: string): Record<string, string> =>
      Object.fromEntries(
        Object.entries(service(name).depends_on ?? {}).map(([key, value]) => [key, value.condition]),
      );
    assert.deepEqual(conditions('temporal'), { postgresql: 'service_healthy' });
    assert.deepEqual(conditions('temporal-setup-search-attributes'), { temporal: 'service_healthy' });
    assert.deepEqual(conditions('temporal-ui'), { temporal: 'service_healthy' });
    assert.deepEqual(conditions('tokenflow-worker'), {
      postgresql: 'service_healthy',
      temporal: 'service_healthy',
      'temporal-setup-search-attributes': 'service_completed_successfully',
    });
  });

  test('runs Temporal on PostgreSQL with a dynamic config that is mounted and parses', () => {
    const environment = environmentOf('temporal');
    assert.equal(environment.DB, 'postgres12');
    assert.equal(environment.POSTGRES_SEEDS, 'postgresql');
    assert.equal(environment.SKIP_ADD_CUSTOM_SEARCH_ATTRIBUTES, 'true');
    const configPath = environment.DYNAMIC_CONFIG_FILE_PATH ?? '';
    const mount = service('temporal').configs?.find(
      (config) => config.target === path.posix.join('/etc/temporal', configPath),
    );
    assert.ok(mount, `no config is mounted at /etc/temporal/${configPath}`);
    const content = compose.configs?.[mount.source]?.content;
    assert.ok(content, `config ${mount.source} has no content`);
    const dynamicConfig = z
      .record(z.string(), z.array(z.object({ value: z.unknown() })))
      .parse(parseYaml(content));
    assert.deepEqual(dynamicConfig['system.enableActivityEagerExecution'], [{ value: true }]);
  });

  test('builds the worker from the repository and passes the endpoint settings through from the host', () => {
    const worker = service('tokenflow-worker');
    assert.deepEqual(worker.build, { context: '.', dockerfile: 'Dockerfile' });
    assert.deepEqual(worker.command, ['node', 'lib/src/cli/main.js', 'worker']);
    // tsc compiles src/cli/main.ts to lib/src/cli/main.js (rootDir ".", outDir "lib").
    assert.ok(existsSync(path.join(projectDirectory, 'src', 'cli', 'main.ts')), 'src/cli/main.ts is missing');
    const environment = environmentOf('tokenflow-worker');
    assert.equal(environment.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.equal(environment.OPENAI_BASE_URL, '${OPENAI_BASE_URL:-}');
    assert.equal(environment.OPENAI_API_KEY, '${OPENAI_API_KEY:-}');
    assert.ok(
      worker.volumes?.some((volume) => volume.endsWith(':/data')),
      'the worker keeps no /data volume for its usage database',
    );

    const dockerfile = readFileSync(path.join(projectDirectory, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /^FROM node:20-bookworm-slim AS build$/m);
    assert.match(dockerfile, /npm ci\b/);
    assert.match(dockerfile, /npm run build/);
    assert.match(dockerfile, /npm prune --omit=dev/);
    assert.match(dockerfile, /^CMD \["node", "lib\/src\/cli\/main\.js", "worker"\]$/m);
  });

  test("runs two workers on one ledger: a tokenflow database on the stack's PostgreSQL", () => {
    assert.equal(service('tokenflow-worker').deploy?.replicas, 2);
    assert.equal(
      environmentOf('tokenflow-worker').TOKENFLOW_DATABASE_URL,
      'postgres://${POSTGRES_USER:-temporal}:${POSTGRES_PASSWORD:-temporal}@postgresql:5432/tokenflow',
    );
    const mount = service('postgresql').configs?.find((config) =>
      config.target.startsWith('/docker-entrypoint-initdb.d/'),
    );
    assert.ok(mount, 'nothing creates the tokenflow database when PostgreSQL starts');
    assert.match(compose.configs?.[mount.source]?.content ?? '', /^CREATE DATABASE tokenflow;$/m);
  });

  test('registers every search attribute of src/config/search-attributes.ts with its type, and no other', () => {
    assert.deepEqual(Object.fromEntries(registeredAttributes()), { ...SEARCH_ATTRIBUTES });
  });

  test('stays within the custom search attributes that SQL visibility allows per type', () => {
    // Temporal's documented limits for SQL (PostgreSQL, MySQL, SQLite) visibility stores.
    const limits: Record<string, number> = {
      Bool: 3,
      Datetime: 3,
      Double: 3,
      Int: 3,
      Keyword: 10,
      KeywordList: 3,
      Text: 3,
    };
    const counts = new Map<string, number>();
    for (const type of Object.values(SEARCH_ATTRIBUTES)) counts.set(type, (counts.get(type) ?? 0) + 1);
    for (const [type, count] of counts) {
      assert.ok(
        count <= (limits[type] ?? 0),
        `${count} ${type} search attributes exceed the SQL visibility limit of ${limits[type]}`,
      );
    }
  });

  test('escapes every shell variable of the set-up script and health checks from Compose interpolation', () => {
    const shellTexts = [setupScript(), ...['postgresql', 'temporal', 'temporal-ui'].map(healthcheckText)];
    for (const text of shellTexts) {
      assert.doesNotMatch(
        text.replaceAll('$$', ''),
        /\$/,
        `a single $ in "${text.slice(0, 60)}..." would be replaced by Compose from the host environment`,
      );
    }
  });
});

describe('the set-up script against a real Temporal server', () => {
  let environment: TestWorkflowEnvironment;
  before(async () => {
    environment = await TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'existing-path', path: temporalExecutable() } },
    });
  });
  after(async () => {
    await environment?.teardown();
  });

  test('registers the attributes with their types and can run again', async () => {
    const temporal = temporalExecutable();
    const script = setupScript().replaceAll('$$', '$');
    const scriptEnvironment = {
      PATH: `${path.dirname(temporal)}:${process.env.PATH ?? ''}`,
      HOME: process.env.HOME ?? '/tmp',
      TEMPORAL_ADDRESS: environment.address,
      TEMPORAL_NAMESPACE: 'default',
      SEARCH_ATTRIBUTES: environmentOf('temporal-setup-search-attributes').SEARCH_ATTRIBUTES ?? '',
    };
    for (let round = 0; round < 2; round += 1) {
      const { stdout } = await run('sh', ['-c', script], { env: scriptEnvironment, timeout: 120_000 });
      assert.equal(stdout.match(/registered/g)?.length, Object.keys(SEARCH_ATTRIBUTES).length);
    }
    const { stdout } = await run(
      temporal,
      ['operator', 'search-attribute', 'list', '--address', environment.address, '--output', 'json'],
      {
        env: scriptEnvironment,
      },
    );
    const listed = z.object({ customAttributes: z.record(z.string(), z.string()) }).parse(JSON.parse(stdout));
    const expected = Object.fromEntries(
      Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) => [
        name,
        `INDEXED_VALUE_TYPE_${type.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`,
      ]),
    );
    const actual = Object.fromEntries(
      Object.keys(SEARCH_ATTRIBUTES).map((name) => [name, listed.customAttributes[name]]),
    );
    assert.deepEqual(actual, expected);
  });
});
