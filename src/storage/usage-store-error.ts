/** A record or argument the store refuses; the message says which field and what to do. */
export class UsageStoreError extends Error {
  override name = 'UsageStoreError';
}
