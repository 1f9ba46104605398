import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { SEARCH_ATTRIBUTES } from '../src/config/search-attributes';
import { projectDirectory, temporalExecutable } from './support/temporal-test-environment';

const run = promisify(execFile);
const script = path.join(projectDirectory, 'scripts', 'dev-server.sh');

/** A port nobody listens on right now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function devServer(command: string, environment: NodeJS.ProcessEnv): Promise<ScriptResult> {
  try {
    const { stdout, stderr } = await run('bash', [script, command], { env: environment, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failure.code ?? -1, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
  }
}

describe('scripts/dev-server.sh', () => {
  const dataDirectory = mkdtempSync(path.join(tmpdir(), 'tokenflow-dev-server-'));
  let environment: NodeJS.ProcessEnv = {};

  after(async () => {
    await devServer('stop', environment);
    rmSync(dataDirectory, { recursive: true, force: true });
  });

  test('starts once, reuses the running server, registers the search attributes and stops by pid', async () => {
    temporalExecutable();
    environment = {
      ...process.env,
      TOKENFLOW_DATA_DIR: dataDirectory,
      TEMPORAL_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
    };
    const address = `127.0.0.1:${environment.TEMPORAL_PORT}`;

    assert.equal(
      (await devServer('status', environment)).code,
      1,
      'status before start must report "not running"',
    );

    const started = await devServer('start', environment);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /started the Temporal server \(pid \d+\)/);
    const pid = Number(readFileSync(path.join(dataDirectory, 'temporal.pid'), 'utf8'));
    assert.ok(Number.isInteger(pid) && pid > 0);
    assert.ok(
      existsSync(path.join(dataDirectory, 'temporal.db')),
      'the server keeps its state under the data folder',
    );

    const again = await devServer('start', environment);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /reusing the Temporal server already running at/);
    assert.equal(
      Number(readFileSync(path.join(dataDirectory, 'temporal.pid'), 'utf8')),
      pid,
      'a second start must not start a second server',
    );

    const status = await devServer('status', environment);
    assert.equal(status.code, 0);
    assert.match(status.stdout, new RegExp(`running \\(pid ${pid}\\) at ${address}`));

    const { stdout } = await run(temporalExecutable(), [
      'operator',
      'search-attribute',
      'list',
      '--address',
      address,
      '--output',
      'json',
    ]);
    const listed = z.object({ customAttributes: z.record(z.string(), z.string()) }).parse(JSON.parse(stdout));
    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) {
      assert.equal(
        listed.customAttributes[name],
        `INDEXED_VALUE_TYPE_${type.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`,
        `search attribute ${name}`,
      );
    }

    const stopped = await devServer('stop', environment);
    assert.match(stopped.stdout, new RegExp(`stopped the Temporal server \\(pid ${pid}\\)`));
    assert.throws(() => process.kill(pid, 0), 'the server process must be gone after stop');
    assert.equal((await devServer('status', environment)).code, 1);
  });

  test('refuses an unknown command with a usage sentence', async () => {
    const result = await devServer('restart-everything', {
      ...process.env,
      TOKENFLOW_DATA_DIR: dataDirectory,
    });
    assert.notEqual(result.code, 0);
    assert.match(
      result.stderr,
      /unknown command 'restart-everything'; use start, stop, status or search-attributes/,
    );
  });
});
