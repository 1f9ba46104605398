/** Resolves at the first SIGINT (Ctrl-C) or SIGTERM: long-running commands then close what they opened. */
export function untilInterrupted(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}
