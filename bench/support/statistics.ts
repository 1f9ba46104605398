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
 * Runs a bench's `produce` and prints its markdown section on stdout (the runner, bench/run.ts, writes it into
 * BENCHMARKS.md). Exits non-zero with the error on stderr when the bench fails.
 */
export function printSection(produce: () => Promise<string>): void {
  produce().then(
    (section) => {
      process.stdout.write(section.endsWith('\n') ? section : `${section}\n`);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
