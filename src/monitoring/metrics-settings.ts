import { parseArgs } from 'node:util';
import { DEFAULT_METRICS_PORT } from '../config/defaults';
import { loadConfig } from '../config/load-config';
import type { AppConfig } from '../config/schema';

/**
 * Whether a worker serves metrics: `true` for `tokenflow worker` (on 9464 unless `metrics.port` says
 * otherwise), `false` never, absent only when `metrics.port` is set (the in-process worker of `tokenflow
 * analyze`, which would otherwise take 9464 from a worker running beside it).
 */
export type ServeMetrics = boolean | undefined;

/** The port a worker's metrics endpoint listens on (0: any free one), or undefined when it serves none. */
export function metricsPortOf(config: Pick<AppConfig, 'metrics'>, serve: ServeMetrics): number | undefined {
  const { port } = config.metrics;
  if (serve === false || port === 'off') return undefined;
  if (port !== undefined) return port;
  return serve === true ? DEFAULT_METRICS_PORT : undefined;
}

/**
 * Whether a CLI command will run a worker that serves metrics, known before Temporal's Runtime is installed
 * (Temporal's SDK metrics must be asked for then). A config that does not load answers no: the command itself
 * then reports what is wrong with it.
 */
export function commandServesMetrics(command: string | undefined, argv: readonly string[]): boolean {
  const serve: ServeMetrics = command === 'worker' ? true : undefined;
  if (command !== 'worker' && command !== 'analyze' && command !== 'compare') return false;
  const { values } = parseArgs({
    args: [...argv],
    strict: false,
    allowPositionals: true,
    options: { config: { type: 'string' }, 'no-worker': { type: 'boolean' } },
  });
  if (values['no-worker'] === true) return false;
  try {
    const file = typeof values.config === 'string' ? values.config : undefined;
    return metricsPortOf(loadConfig({ file }), serve) !== undefined;
  } catch {
    return false;
  }
}
