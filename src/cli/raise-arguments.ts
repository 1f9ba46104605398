import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load-config';
import type { AppConfig } from '../config/schema';

/** A positive whole number of tokens from a flag, or one clear sentence. */
export function tokensFlag(value: string | undefined, flag: string): number {
  const tokens = Number(value);
  if (value === undefined || !Number.isInteger(tokens) || tokens <= 0)
    throw new Error(`${flag} must be a positive whole number of tokens (got "${value ?? ''}").`);
  return tokens;
}

export interface RaiseArguments {
  /** The one positional: a run's workflow id, or a pool's name. */
  target: string;
  /** `--raise N`, checked; absent when not given. */
  raise?: number;
  json: boolean;
  config: AppConfig;
}

/**
 * The arguments of `tokenflow budget` and `tokenflow pool`: one run or pool (`what` names it in the error), an
 * optional `--raise N`, `--json` and `--config`.
 */
export function parseRaiseArguments(argv: string[], what: string, usage: string): RaiseArguments {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      raise: { type: 'string' },
      json: { type: 'boolean', default: false },
      config: { type: 'string' },
    },
  });
  const [target] = positionals;
  if (!target || positionals.length !== 1) throw new Error(`Give one ${what}: ${usage}`);
  return {
    target,
    ...(values.raise === undefined ? {} : { raise: tokensFlag(values.raise, '--raise') }),
    json: values.json,
    config: loadConfig({ file: values.config }),
  };
}
