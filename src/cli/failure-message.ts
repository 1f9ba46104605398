/** The innermost meaningful message of a (workflow) failure chain, for one-sentence CLI errors. */
export function failureMessage(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error);
  let cause: unknown = error;
  const seen = new Set<unknown>();
  while (cause && typeof cause === 'object' && !seen.has(cause)) {
    seen.add(cause);
    const current = cause as { message?: string; name?: string; cause?: unknown };
    if (
      current.message &&
      !/^(Activity task failed|Workflow execution failed|Activity function .* failed)$/i.test(current.message)
    ) {
      message = current.message;
    }
    cause = current.cause;
  }
  return message;
}
