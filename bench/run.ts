import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The bench runner behind `npm run bench` (scripts/bench.sh holds the CPU lock, then runs this). Each bench is
 * `bench/<name>.bench.ts`, run in its own Node process so one bench's JIT state, caches and Temporal runtime
 * cannot colour another's figures. A bench prints markdown on stdout (progress goes to stderr) and, when
 * TOKENFLOW_BENCH_SECTION_FILE is set, writes the same markdown to that file (see `printSection` in
 * bench/support/statistics.ts), which the runner prefers since servers started by a bench share its stdout. The runner
 * stamps it with the date, the machine and the command, and rewrites the bench's section of BENCHMARKS.md
 * between `<!-- bench:<name>:start -->` and `<!-- bench:<name>:end -->`, leaving every other section alone.
 * A bench that fills several sections (an A/B on two servers) prints each inside its own marker pair; the
 * runner then writes each one where its markers are.
 */

const projectDirectory = path.resolve(__dirname, '..');
const benchDirectory = __dirname;
const benchmarksFile = path.join(projectDirectory, 'BENCHMARKS.md');

/**
 * What `npm run bench` runs without arguments: the micro benches, then the local model, the A/B runs and many
 * runs at once against a rate-limiting endpoint.
 */
export const DEFAULT_BENCHES = [
  'orchestration-overhead',
  'compression',
  'token-counting',
  'local-model',
  'ab',
  'prompt-cache',
  'concurrent-runs',
  'ledger',
  'backtest',
] as const;

const BENCH_SUFFIX = '.bench.ts';
const MARKER_BLOCK = /<!-- bench:([\w.-]+):start -->\n?([\s\S]*?)\n?<!-- bench:\1:end -->/g;

function availableBenches(): string[] {
  return readdirSync(benchDirectory)
    .filter((file) => file.endsWith(BENCH_SUFFIX))
    .map((file) => file.slice(0, -BENCH_SUFFIX.length))
    .sort();
}

/** The command as the person typed it, for the stamp: `npm run bench -- …` when run through npm. */
function invocation(argumentsGiven: readonly string[]): string {
  const tail = argumentsGiven.length > 0 ? ` ${argumentsGiven.join(' ')}` : '';
  return process.env.npm_lifecycle_event === 'bench'
    ? `npm run bench${tail ? ` --${tail}` : ''}`
    : `bash scripts/bench.sh${tail}`;
}

function machine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  const memory = (os.totalmem() / 1024 ** 3).toFixed(1);
  const load = os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
  return `${os.availableParallelism()} CPUs (nproc) ${model}, ${memory} GiB RAM, Node ${process.version}, ${os.platform()} ${os.release()}; load average at start ${load}`;
}

function stamp(section: string, stampLine: string): string {
  const lines = section.trim().split('\n');
  const headingIndex = lines.findIndex((line) => line.startsWith('## '));
  if (headingIndex < 0) return [stampLine, '', ...lines].join('\n');
  return [...lines.slice(0, headingIndex + 1), '', stampLine, ...lines.slice(headingIndex + 1)].join('\n');
}

/** Splits a bench's output into sections by marker pairs, or one section under the bench's own name. */
function sectionsOf(name: string, output: string): Map<string, string> {
  const sections = new Map<string, string>();
  for (const match of output.matchAll(MARKER_BLOCK)) sections.set(match[1] ?? name, match[2] ?? '');
  if (sections.size === 0) sections.set(name, output);
  return sections;
}

const SKELETON = '# tokenflow benchmarks\n';

/** Replaces the section between its markers, or appends it when the file has no such markers yet. */
function writeSection(sectionName: string, body: string): void {
  const current = existsSync(benchmarksFile) ? readFileSync(benchmarksFile, 'utf8') : SKELETON;
  const block = `<!-- bench:${sectionName}:start -->\n${body.trim()}\n<!-- bench:${sectionName}:end -->`;
  const start = `<!-- bench:${sectionName}:start -->`;
  const end = `<!-- bench:${sectionName}:end -->`;
  const startIndex = current.indexOf(start);
  const endIndex = current.indexOf(end, startIndex);
  const next =
    startIndex >= 0 && endIndex >= 0
      ? `${current.slice(0, startIndex)}${block}${current.slice(endIndex + end.length)}`
      : `${current.trimEnd()}\n\n${block}\n`;
  // Write then rename, so a reader never sees half a file.
  const temporary = `${benchmarksFile}.${process.pid}.tmp`;
  writeFileSync(temporary, next);
  renameSync(temporary, benchmarksFile);
}

function runBench(name: string): Promise<{ output: string; exitCode: number; seconds: number }> {
  const file = path.join(benchDirectory, `${name}${BENCH_SUFFIX}`);
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'tokenflow-bench-'));
  const sectionFile = path.join(scratch, 'section.md');
  const started = performance.now();
  return new Promise<{ output: string; exitCode: number; seconds: number }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: projectDirectory,
      env: { ...process.env, TOKENFLOW_BENCH_SECTION_FILE: sectionFile },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      process.stdout.write(chunk);
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const output = existsSync(sectionFile) ? readFileSync(sectionFile, 'utf8') : stdout;
      resolve({ output, exitCode: code ?? (signal ? 1 : 0), seconds: (performance.now() - started) / 1000 });
    });
  }).finally(() => rmSync(scratch, { recursive: true, force: true }));
}

async function main(): Promise<number> {
  const argumentsGiven = process.argv.slice(2);
  const write = !argumentsGiven.includes('--no-write');
  const unknownOptions = argumentsGiven.filter(
    (argument) => argument.startsWith('--') && argument !== '--no-write',
  );
  if (unknownOptions.length > 0) {
    console.error(`bench: unknown option ${unknownOptions.join(', ')}; the only option is --no-write.`);
    return 2;
  }
  const requested = argumentsGiven.filter((argument) => !argument.startsWith('--'));
  const names = requested.length > 0 ? requested : [...DEFAULT_BENCHES];
  const available = availableBenches();
  const unknown = names.filter((name) => !available.includes(name));
  if (unknown.length > 0) {
    console.error(`bench: no bench named ${unknown.join(', ')}; available: ${available.join(', ')}.`);
    return 2;
  }

  const command = invocation(argumentsGiven.filter((argument) => argument !== '--no-write'));
  let failures = 0;
  for (const name of names) {
    const machineAtStart = machine();
    const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    process.stderr.write(`\n# bench ${name}\n`);
    const { output, exitCode, seconds } = await runBench(name);
    if (exitCode !== 0 || output.trim() === '') {
      failures += 1;
      console.error(
        `bench: ${name} failed (exit code ${exitCode}); its section in BENCHMARKS.md was left as it was.`,
      );
      continue;
    }
    if (!write) continue;
    for (const [sectionName, body] of sectionsOf(name, output)) {
      const alone = `npm run bench -- ${name}`;
      const stampLine =
        `_Measured ${date} by \`${command}\`${command === alone ? '' : ` (this bench alone: \`${alone}\`)`}, ` +
        `which runs \`flock /tmp/tokenflow-cpu.lock node --import tsx bench/run.ts\` -> \`bench/${name}${BENCH_SUFFIX}\` ` +
        `(${seconds.toFixed(0)} s). Machine: ${machineAtStart}._`;
      writeSection(sectionName, stamp(body, stampLine));
      process.stderr.write(
        `bench: wrote section "${sectionName}" of ${path.relative(process.cwd(), benchmarksFile)}\n`,
      );
    }
  }
  return failures > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
