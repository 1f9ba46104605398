import { open, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// node-llama-cpp is ESM-only: types are imported statically, values through `import()` at load time.
import type {
  ChatHistoryItem,
  ChatWrapper,
  Llama,
  LlamaContext,
  LlamaContextSequence,
  LlamaGrammar,
  LlamaModel,
  Token,
} from 'node-llama-cpp' with { 'resolution-mode': 'import' };
import { FAILURE_TYPE } from '../core/failure-types';
import type { ChatMessage } from '../core/types';
import { ProviderError } from './provider';

/** Where the model file is and how to run it (`local` in the config). */
export interface LocalModelOptions {
  modelPath: string;
  /** Generation threads; 0 means the cores this process may use. Never more than those cores. */
  threads: number;
  /** Tokens the context window holds (prompt plus answer). */
  contextSize: number;
}

/** Settings of one generation context. */
export type LocalContextOptions = Pick<LocalModelOptions, 'threads' | 'contextSize'>;

/**
 * One GGUF model loaded in this process, shared by every provider and token counter that names its path.
 * Holds a single context sequence: generations are serialised (see {@link runExclusive}), so one is enough.
 */
export interface LocalModel {
  /** Absolute path of the GGUF file. */
  readonly modelPath: string;
  /** The file name without `.gguf`, e.g. `SmolLM2-135M-Instruct.Q4_1`. */
  readonly name: string;
  readonly model: LlamaModel;
  /** The model's own chat template (from the GGUF metadata) when it has one. */
  readonly chatWrapper: ChatWrapper;
  /** Milliseconds spent loading the weights (0 when this handle came from the cache). */
  readonly loadMilliseconds: number;
  /** Tokens of `text` under the model's tokenizer, special-token text taken literally. */
  tokenize(text: string): Token[];
  /** Tokens of the chat as the model sees it: its chat template applied, ending with the assistant's turn opening. */
  tokenizeChat(messages: readonly ChatMessage[]): Token[];
  /** The context sequence for generation with these settings, created on first use; its history is cleared. */
  freshSequence(options: LocalContextOptions): Promise<LlamaContextSequence>;
  /** Creates the context for these settings now if it does not exist yet. */
  prepareContext(options: LocalContextOptions): Promise<void>;
}

const GGUF_MAGIC = 'GGUF';

let llamaPromise: Promise<Llama> | undefined;
const models = new Map<string, Promise<LocalModel>>();

/**
 * Loads the GGUF model at `options.modelPath` once per process and returns the shared handle; later calls with
 * the same path (relative paths resolve against the working directory) reuse it. When `threads` and
 * `contextSize` are given, the generation context for them is created too, so a worker that loads the model at
 * start-up pays for the context there rather than on its first request. A missing or unreadable file fails with
 * a non-retryable `ModelUnavailable` {@link ProviderError}; a failed load is not cached, so fetching the model
 * and calling again works.
 */
export async function getLocalModel(
  options: Pick<LocalModelOptions, 'modelPath'> & Partial<LocalContextOptions>,
): Promise<LocalModel> {
  const modelPath = path.resolve(options.modelPath);
  let loading = models.get(modelPath);
  if (!loading) {
    loading = loadModel(modelPath);
    models.set(modelPath, loading);
    loading.catch(() => models.delete(modelPath));
  }
  const localModel = await loading;
  if (options.threads !== undefined && options.contextSize !== undefined) {
    await localModel.prepareContext({ threads: options.threads, contextSize: options.contextSize });
  }
  return localModel;
}

/** Frees every loaded model and the llama.cpp backend (worker shutdown, end of a test file). */
export async function disposeLocalModels(): Promise<void> {
  const loaded = await Promise.allSettled([...models.values()]);
  models.clear();
  for (const result of loaded) if (result.status === 'fulfilled') await result.value.model.dispose();
  const llama = llamaPromise;
  llamaPromise = undefined;
  if (llama) await (await llama).dispose();
}

/**
 * The cores this process may use: the CPU affinity (`os.availableParallelism`), lowered to a cgroup CPU quota
 * when a container sets one. More llama.cpp threads than cores made generation ~100x slower on 2 cores.
 */
export function usableCores(): number {
  const affinity = os.availableParallelism();
  const quota = cgroupCpuQuota();
  return Math.max(1, quota === undefined ? affinity : Math.min(affinity, Math.ceil(quota)));
}

/** Generation threads for a configured value: 0 means {@link usableCores}; anything above it is lowered to it. */
export function resolveThreadCount(requested: number): number {
  const cores = usableCores();
  return requested <= 0 ? cores : Math.min(requested, cores);
}

/** CPUs granted by a cgroup v2 (`cpu.max`) or v1 (`cpu.cfs_quota_us`) quota; undefined when none is set. */
function cgroupCpuQuota(): number | undefined {
  const read = (file: string): string | undefined => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const v2 = read('/sys/fs/cgroup/cpu.max');
  if (v2) {
    const [quota, period] = v2.split(/\s+/);
    if (quota && quota !== 'max' && period) return Number(quota) / Number(period);
    return undefined;
  }
  const quota = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'));
  const period = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_period_us'));
  return quota > 0 && period > 0 ? quota / period : undefined;
}

let queueTail: Promise<unknown> = Promise.resolve();

/**
 * Runs `task` after every task queued before it has finished, one at a time in this process: two
 * generations at once on a small CPU each run at a fraction of the speed. A task whose `signal` aborts while
 * it waits leaves the queue at once with the abort reason.
 */
export function runExclusive<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const previous = queueTail;
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  queueTail = previous.then(() => done);
  const waitTurn = new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    void previous.then(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
  });
  // An aborted waiter still holds its place until its turn comes, then releases it without running.
  return waitTurn.then(
    () => task().finally(release),
    (error: unknown) => {
      void previous.then(release);
      throw error;
    },
  );
}

/** The caller's abort reason when it is an error, else a standard `AbortError` (as the OpenAI provider does). */
export function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  return new DOMException('The local model request was aborted.', 'AbortError');
}

/** The chat history node-llama-cpp formats, ending with an open assistant turn to generate into. */
export function toChatHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((message) => {
    switch (message.role) {
      case 'system':
        return { type: 'system', text: message.content };
      case 'user':
        return { type: 'user', text: message.content };
      case 'assistant':
        return { type: 'model', response: [message.content] };
    }
  });
  // A trailing assistant message is a prefix the model continues; otherwise the model starts a new turn.
  if (history.at(-1)?.type !== 'model') history.push({ type: 'model', response: [] });
  return history;
}

/** Grammars are compiled once per schema text: the decision repair asks for the same schema every run. */
const grammars = new Map<string, Promise<LlamaGrammar>>();

/** A grammar that forces the model's answer to be JSON matching `schema` (structured output). */
export async function jsonSchemaGrammar(schema: Readonly<Record<string, unknown>>): Promise<LlamaGrammar> {
  const key = JSON.stringify(schema);
  let grammar = grammars.get(key);
  if (!grammar) {
    grammar = getLlamaBackend().then((llama) =>
      llama.createGrammarForJsonSchema(schema as Parameters<Llama['createGrammarForJsonSchema']>[0]),
    );
    grammar.catch(() => grammars.delete(key));
    grammars.set(key, grammar);
  }
  return grammar;
}

async function getLlamaBackend(): Promise<Llama> {
  llamaPromise ??= import('node-llama-cpp').then(({ getLlama }) =>
    // `build: 'never'` uses the prebuilt CPU binary and never compiles llama.cpp at run time.
    getLlama({ gpu: false, build: 'never', maxThreads: usableCores() }),
  );
  llamaPromise.catch(() => (llamaPromise = undefined));
  return llamaPromise;
}

async function loadModel(modelPath: string): Promise<LocalModel> {
  await checkModelFile(modelPath);
  const { resolveChatWrapper } = await import('node-llama-cpp');
  const llama = await getLlamaBackend();
  const started = performance.now();
  let model: LlamaModel;
  try {
    model = await llama.loadModel({ modelPath });
  } catch (error) {
    throw corruptModelError(modelPath, error instanceof Error ? error.message : String(error));
  }
  const loadMilliseconds = performance.now() - started;
  // The GGUF's own Jinja template reproduces the model's training format exactly. The "auto" choice for
  // SmolLM2 (ChatML) prepends a BOS token that is `<|im_start|>` again, and the doubled marker derails it.
  const hasTemplate = typeof model.fileInfo.metadata.tokenizer?.chat_template === 'string';
  const chatWrapper = resolveChatWrapper(model, hasTemplate ? { type: 'jinjaTemplate' } : {});
  const contexts = new Map<string, Promise<LlamaContextSequence>>();
  const sequenceFor = ({ threads, contextSize }: LocalContextOptions): Promise<LlamaContextSequence> => {
    const resolvedThreads = resolveThreadCount(threads);
    const key = `${contextSize}:${resolvedThreads}`;
    let sequence = contexts.get(key);
    if (!sequence) {
      sequence = model
        .createContext({ contextSize, threads: resolvedThreads, sequences: 1 })
        .then((context: LlamaContext) => context.getSequence());
      contexts.set(key, sequence);
      sequence.catch(() => contexts.delete(key));
    }
    return sequence;
  };

  return {
    modelPath,
    name: path.basename(modelPath).replace(/\.gguf$/i, ''),
    model,
    chatWrapper,
    loadMilliseconds,
    tokenize: (text) => model.tokenize(text),
    tokenizeChat: (messages) =>
      chatWrapper
        .generateContextState({ chatHistory: toChatHistory(messages) })
        .contextText.tokenize(model.tokenizer),
    async freshSequence(options) {
      const sequence = await sequenceFor(options);
      // No history leaks from one request to the next: every agent starts from an empty context.
      await sequence.clearHistory();
      return sequence;
    },
    async prepareContext(options) {
      await sequenceFor(options);
    },
  };
}

/** Fails with one sentence when the file is absent or is not a GGUF file, before llama.cpp reads it. */
async function checkModelFile(modelPath: string): Promise<void> {
  let size: number;
  try {
    const info = await stat(modelPath);
    if (!info.isFile()) throw new Error('not a file');
    size = info.size;
  } catch {
    throw new ProviderError(
      `Local model file not found at ${modelPath}: run "bash scripts/fetch-model.sh" or set local.modelPath to a GGUF file.`,
      FAILURE_TYPE.ModelUnavailable,
    );
  }
  const header = Buffer.alloc(4);
  const handle = await open(modelPath, 'r');
  try {
    await handle.read(header, 0, 4, 0);
  } finally {
    await handle.close();
  }
  if (size < 4 || header.toString('latin1') !== GGUF_MAGIC) {
    throw corruptModelError(modelPath, 'it does not start with the GGUF magic bytes');
  }
}

function corruptModelError(modelPath: string, detail: string): ProviderError {
  return new ProviderError(
    `Local model file at ${modelPath} is not a usable GGUF model (${detail}): run "bash scripts/fetch-model.sh" to fetch a verified copy or set local.modelPath to a GGUF file.`,
    FAILURE_TYPE.ModelUnavailable,
  );
}
