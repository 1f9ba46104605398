import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parseDocument, type ErrorCode } from 'yaml';
import type { ZodError } from 'zod';
import { DEFAULT_CONFIG, DEFAULT_OPENAI_MODEL, LOCAL_MODEL_NAME } from './defaults';
import { buildAppConfigSchema, type AppConfig } from './schema';

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

/** Shown in place of a secret that found its way into a message. */
const REDACTED = '[redacted]';

/** `message` with every one of `secrets` replaced, longest first so a URL goes before its password. */
export function redactSecrets(message: string, secrets: readonly string[]): string {
  return [...secrets]
    .sort((first, second) => second.length - first.length)
    .reduce((text, secret) => text.split(secret).join(REDACTED), message);
}

/**
 * One sentence naming the first bad field. No message quotes a value today; `secrets` (the API key, the
 * base URL, the database URL and their credentials) are redacted anyway, so a future custom message cannot leak one.
 */
export function describeConfigError(
  error: ZodError,
  source: string,
  secrets: readonly string[] = [],
): string {
  const issue = error.issues[0];
  if (!issue) return `Invalid config in ${source}.`;
  const field = issue.path.length > 0 ? issue.path.join('.') : '(root)';
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem(s))` : '';
  return redactSecrets(`Invalid config in ${source}: ${field}: ${issue.message}${more}.`, secrets);
}

/** Shorter than this, a "secret" is more likely a placeholder, and redacting it would garble messages. */
const MINIMUM_SECRET_LENGTH = 4;

/** The values of the merged config and the environment that may be secrets. */
function secretValues(merged: Json, environment: NodeJS.ProcessEnv): string[] {
  const openai = isPlainObject(merged.openai) ? merged.openai : {};
  const candidates: unknown[] = [openai.apiKey, environment.OPENAI_API_KEY];
  const database = isPlainObject(merged.database) ? merged.database : {};
  const alerts = isPlainObject(merged.alerts) ? merged.alerts : {};
  for (const url of [
    openai.baseUrl,
    environment.OPENAI_BASE_URL,
    database.url,
    environment.TOKENFLOW_DATABASE_URL,
    alerts.webhookUrl,
    environment.TOKENFLOW_ALERT_WEBHOOK_URL,
  ]) {
    if (typeof url !== 'string') continue;
    // Whole, because a URL that does not parse may still hold `user:password@`.
    candidates.push(url);
    if (!URL.canParse(url)) continue;
    const { username, password } = new URL(url);
    candidates.push(username, password, safelyDecoded(username), safelyDecoded(password));
  }
  return candidates.filter(
    (value): value is string => typeof value === 'string' && value.length >= MINIMUM_SECRET_LENGTH,
  );
}

function safelyDecoded(component: string): string {
  try {
    return decodeURIComponent(component);
  } catch {
    return component;
  }
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

/** Line and column (both from 1) of a character offset. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}

/** The parse error of a config file: where and what, never the text there, which may be an API key. */
function syntaxError(file: string, language: string, problem: string, line: number, column: number) {
  return new ConfigError(
    `Config file ${file} is not valid ${language}: ${problem} at line ${line}, column ${column}; fix it there (the line is not shown, as it may hold a secret).`,
  );
}

/** YAML error codes in words; the parser's own messages quote the offending line. */
const YAML_PROBLEMS: Partial<Record<ErrorCode, string>> = {
  BAD_INDENT: 'bad indentation',
  TAB_AS_INDENT: 'a tab used as indentation (indent with spaces)',
  BLOCK_AS_IMPLICIT_KEY: 'a value that reads as another key (quote values holding ": ")',
  MULTILINE_IMPLICIT_KEY: 'a key spread over several lines',
  MISSING_CHAR: 'a missing closing quote or bracket',
  DUPLICATE_KEY: 'a key given twice',
  MULTIPLE_DOCS: 'more than one YAML document',
  UNEXPECTED_TOKEN: 'an unexpected character',
  BAD_DQ_ESCAPE: 'an invalid escape in a double-quoted string',
  BAD_SCALAR_START: 'a value starting with a reserved character (quote it)',
  BAD_ALIAS: 'an alias to an anchor that is not defined',
};

function parseYamlConfig(file: string, text: string): unknown {
  // parseDocument rather than parse: parse prints warnings itself, and they quote the source too.
  const document = parseDocument(text);
  const error = document.errors[0];
  if (error) {
    const start = error.linePos?.[0];
    const { line, column } = start
      ? { line: start.line, column: start.col }
      : lineAndColumn(text, error.pos[0]);
    const problem = YAML_PROBLEMS[error.code] ?? error.code.toLowerCase().replaceAll('_', ' ');
    throw syntaxError(file, 'YAML', problem, line, column);
  }
  try {
    return document.toJS();
  } catch {
    throw new ConfigError(
      `Config file ${file} is valid YAML but cannot be turned into values (an alias loop or too many aliases); write the values out in full.`,
    );
  }
}

function parseJsonConfig(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // V8's message may quote the text around the error and gives no position for some errors.
    const located = locateJsonProblem(text);
    if (!located) throw new ConfigError(`Config file ${file} is not valid JSON; check its syntax.`);
    const { line, column } = lineAndColumn(text, located.offset);
    throw syntaxError(file, 'JSON', located.problem, line, column);
  }
}

/** Thrown inside {@link locateJsonProblem} to unwind the descent; its message is the problem in words. */
class JsonProblem extends Error {}

/** Where and why strict JSON parsing stops; undefined when it does not. */
function locateJsonProblem(text: string): { offset: number; problem: string } | undefined {
  let index = 0;
  const stop = (problem: string): never => {
    throw new JsonProblem(index >= text.length ? 'the file ends too early' : problem);
  };
  const skipWhitespace = (): void => {
    while (index < text.length && ' \t\n\r'.includes(text.charAt(index))) index += 1;
  };
  const expect = (character: string, problem: string): void => {
    if (text.charAt(index) !== character) stop(problem);
    index += 1;
  };
  const string = (problem: string): void => {
    expect('"', problem);
    for (;;) {
      const character = text.charAt(index);
      if (character === '') stop('an unterminated string');
      if (character === '"') break;
      if (character < ' ') stop('a control character inside a string');
      if (character !== '\\') {
        index += 1;
        continue;
      }
      const escape = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;
      escape.lastIndex = index;
      if (!escape.test(text)) stop('an invalid escape in a string');
      index = escape.lastIndex;
    }
    index += 1;
  };
  const value = (): void => {
    skipWhitespace();
    const opening = text.charAt(index);
    if (opening === '{' || opening === '[') {
      const closing = opening === '{' ? '}' : ']';
      index += 1;
      skipWhitespace();
      if (text.charAt(index) === closing) {
        index += 1;
        return;
      }
      for (;;) {
        if (opening === '{') {
          skipWhitespace();
          string('expected a property name in double quotes');
          skipWhitespace();
          expect(':', "expected ':' after a property name");
        }
        value();
        skipWhitespace();
        if (text.charAt(index) !== ',') break;
        index += 1;
      }
      expect(closing, `expected ',' or '${closing}'`);
      return;
    }
    if (opening === '"') return string('expected a string');
    const literal = /true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    literal.lastIndex = index;
    if (!literal.test(text)) stop('an unexpected character (strings need double quotes)');
    index = literal.lastIndex;
  };
  try {
    value();
    skipWhitespace();
    if (index < text.length) stop('unexpected text after the end of the JSON value');
    return undefined;
  } catch (error) {
    if (error instanceof JsonProblem) return { offset: index, problem: error.message };
    return undefined;
  }
}

function readConfigFile(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read config file ${file}: ${(error as Error).message}.`);
  }
  const parsed = file.endsWith('.json') ? parseJsonConfig(file, text) : parseYamlConfig(file, text);
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
  if (environment.TOKENFLOW_METRICS_PORT) layer.metrics = { port: environment.TOKENFLOW_METRICS_PORT };
  if (environment.TOKENFLOW_DATABASE_URL) layer.database = { url: environment.TOKENFLOW_DATABASE_URL };
  if (environment.TOKENFLOW_ALERT_WEBHOOK_URL)
    layer.alerts = { webhookUrl: environment.TOKENFLOW_ALERT_WEBHOOK_URL };
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

  const result = buildAppConfigSchema().safeParse(merged);
  if (!result.success) {
    const source = [file ? path.relative(cwd, file) || file : undefined, 'environment', 'defaults']
      .filter(Boolean)
      .join(' + ');
    throw new ConfigError(describeConfigError(result.error, source, secretValues(merged, environment)));
  }
  const config = result.data;
  config.dataDir = path.resolve(cwd, config.dataDir);
  config.local.modelPath = path.resolve(cwd, config.local.modelPath);
  if (config.dataSource.folder) config.dataSource.folder = path.resolve(cwd, config.dataSource.folder);
  return config;
}
