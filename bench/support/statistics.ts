import { writeFileSync } from 'node:fs';

/** Small helpers shared by the benches: robust summaries of noisy timings and markdown formatting. */

/** The q-quantile (0..1) of `values` by linear interpolation; NaN for an empty list. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((left, right) => left - right);
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  const lower = sorted[below] ?? Number.NaN;
  const upper = sorted[above] ?? Number.NaN;
  return lower + (upper - lower) * (position - below);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Pearson's correlation of two equally long lists; NaN when either has no spread or fewer than 3 values. */
export function correlation(xs: readonly number[], ys: readonly number[]): number {
  const count = Math.min(xs.length, ys.length);
  if (count < 3) return Number.NaN;
  const mean = (values: readonly number[]) =>
    values.slice(0, count).reduce((sum, value) => sum + value, 0) / count;
  const meanX = mean(xs);
  const meanY = mean(ys);
  let products = 0;
  let squaresX = 0;
  let squaresY = 0;
  for (let index = 0; index < count; index += 1) {
    const dx = (xs[index] as number) - meanX;
    const dy = (ys[index] as number) - meanY;
    products += dx * dy;
    squaresX += dx * dx;
    squaresY += dy * dy;
  }
  return squaresX > 0 && squaresY > 0 ? products / Math.sqrt(squaresX * squaresY) : Number.NaN;
}

/** A number with a fixed count of decimals, for tables. */
export function fixed(value: number, decimals = 1): string {
  return Number.isFinite(value) ? value.toFixed(decimals) : 'n/a';
}

/** Renders a markdown table. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Progress for the person running the bench; stdout is reserved for the markdown section. */
export function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

/**
 * Runs a bench's `produce` and prints its markdown section on stdout. Under the runner (bench/run.ts) the
 * section also goes to the file named by TOKENFLOW_BENCH_SECTION_FILE, because child processes such as the
 * Temporal dev server write their own lines to the same stdout. Exits non-zero with the error on stderr when
 * the bench fails.
 */
export function printSection(produce: () => Promise<string>): void {
  produce().then(
    (section) => {
      const text = section.endsWith('\n') ? section : `${section}\n`;
      const sectionFile = process.env.TOKENFLOW_BENCH_SECTION_FILE;
      if (sectionFile) writeFileSync(sectionFile, text);
      process.stdout.write(text);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

/** A positive number from the environment (a bench's repeat count or duration), or `fallback` when unset. */
export function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${name}=${raw} is not a positive number; unset it or give e.g. ${fallback}.`);
  }
  return value;
}
