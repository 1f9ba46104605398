import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ZodError } from 'zod';
import { DEFAULT_CONFIG, DEFAULT_OPENAI_MODEL, LOCAL_MODEL_NAME } from './defaults';
import { appConfigSchema, type AppConfig } from './schema';

/** A configuration error the user can fix; its message names the field. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Json = Record<string, unknown>;

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep merge where `override` wins; arrays and scalars are replaced whole. */
export function mergeDeep(base: Json, override: Json): Json {
  const result: Json = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = result[key];
    result[key] = isPlainObject(current) && isPlainObject(value) ? mergeDeep(current, value) : value;
  }
  return result;
}

/** One sentence naming the first bad field. */
export function describeConfigError(error: ZodError, source: string): string {
  const issue = error.issues[0];
  if (!issue) return `Invalid config in ${source}.`;
  const field = issue.path.length > 0 ? issue.path.join('.') : '(root)';
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem(s))` : '';
  return `Invalid config in ${source}: ${field}: ${issue.message}${more}.`;
}

export interface LoadConfigOptions {
  /** Path of a JSON or YAML config file; defaults to TOKENFLOW_CONFIG, then ./tokenflow.config.{json,yaml,yml}. */
  file?: string;
  /** Environment to read; defaults to process.env. */
  environment?: NodeJS.ProcessEnv;
  /** Values that win over file and environment (CLI flags, tests). */
  overrides?: Json;
  /** Folder relative paths are resolved against; defaults to the current directory. */
  cwd?: string;
}

function readConfigFile(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read config file ${file}: ${(error as Error).message}.`);
  }
  let parsed: unknown;
  try {
    parsed = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError(
      `Config file ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}.`,
    );
  }
  if (parsed == null) return {};
  if (!isPlainObject(parsed))
    throw new ConfigError(`Config file ${file} must hold an object at its top level.`);
  return parsed;
}

function environmentLayer(environment: NodeJS.ProcessEnv): Json {
  const layer: Json = {};
  const openai: Json = {};
  if (environment.OPENAI_BASE_URL) openai.baseUrl = environment.OPENAI_BASE_URL;
  if (environment.OPENAI_API_KEY) openai.apiKey = environment.OPENAI_API_KEY;
  if (Object.keys(openai).length > 0) layer.openai = openai;
  const temporal: Json = {};
  if (environment.TEMPORAL_ADDRESS) temporal.address = environment.TEMPORAL_ADDRESS;
  if (environment.TEMPORAL_NAMESPACE) temporal.namespace = environment.TEMPORAL_NAMESPACE;
  if (environment.TEMPORAL_UI_URL) temporal.uiUrl = environment.TEMPORAL_UI_URL;
  if (environment.TOKENFLOW_TASK_QUEUE) temporal.taskQueue = environment.TOKENFLOW_TASK_QUEUE;
  if (Object.keys(temporal).length > 0) layer.temporal = temporal;
  if (environment.TOKENFLOW_MODEL) layer.model = environment.TOKENFLOW_MODEL;
  if (environment.TOKENFLOW_PROVIDER) layer.provider = environment.TOKENFLOW_PROVIDER;
  if (environment.TOKENFLOW_DATA_DIR) layer.dataDir = environment.TOKENFLOW_DATA_DIR;
  if (environment.TOKENFLOW_LOCAL_MODEL_PATH)
    layer.local = { modelPath: environment.TOKENFLOW_LOCAL_MODEL_PATH };
  if (environment.TOKENFLOW_DATA_FOLDER)
    layer.dataSource = { kind: 'folder', folder: environment.TOKENFLOW_DATA_FOLDER };
  return layer;
}

function defaultConfigFile(cwd: string, environment: NodeJS.ProcessEnv): string | undefined {
  if (environment.TOKENFLOW_CONFIG) return path.resolve(cwd, environment.TOKENFLOW_CONFIG);
  for (const name of ['tokenflow.config.json', 'tokenflow.config.yaml', 'tokenflow.config.yml']) {
    const candidate = path.join(cwd, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Parses the configuration once at start: defaults, then the config file, then the environment, then
 * explicit overrides. Throws a {@link ConfigError} whose message names the bad field.
 */
export function loadConfig(options: LoadConfigOptions = {}): AppConfig {
  const environment = options.environment ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = options.file ? path.resolve(cwd, options.file) : defaultConfigFile(cwd, environment);
  let merged: Json = DEFAULT_CONFIG as unknown as Json;
  if (file) merged = mergeDeep(merged, readConfigFile(file));
  merged = mergeDeep(merged, environmentLayer(environment));
  if (options.overrides) merged = mergeDeep(merged, options.overrides);

  const openai = (merged.openai ?? {}) as Json;
  if (merged.provider === undefined) {
    merged.provider = openai.baseUrl || openai.apiKey ? 'openai' : 'local';
  }
  if (merged.model === undefined) {
    merged.model = merged.provider === 'local' ? LOCAL_MODEL_NAME : DEFAULT_OPENAI_MODEL;
  }

  const result = appConfigSchema.safeParse(merged);
  if (!result.success) {
    const source = [file ? path.relative(cwd, file) || file : undefined, 'environment', 'defaults']
      .filter(Boolean)
      .join(' + ');
    throw new ConfigError(describeConfigError(result.error, source));
  }
  const config = result.data;
  config.dataDir = path.resolve(cwd, config.dataDir);
  config.local.modelPath = path.resolve(cwd, config.local.modelPath);
  if (config.dataSource.folder) config.dataSource.folder = path.resolve(cwd, config.dataSource.folder);
  return config;
}
