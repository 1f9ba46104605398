/**
 * Whether a decision called the direction of the price over the period after it. BUY hits when the forward
 * return is above zero and SELL when it is below; a return of exactly zero misses both. HOLD is not scored: it
 * makes no call on the direction, and counting it against a band of "small" moves would need a threshold the
 * pipeline never states. No decision or no known return is not scored either. Undefined means not scored.
 */
export function decisionHit(
  decision: string | undefined,
  forwardReturn: number | undefined,
): boolean | undefined {
  if (forwardReturn === undefined || !Number.isFinite(forwardReturn)) return undefined;
  if (decision === 'BUY') return forwardReturn > 0;
  if (decision === 'SELL') return forwardReturn < 0;
  return undefined;
}

/** The normal quantile of a two-sided 95% interval. */
export const Z_95 = 1.96;

/**
 * Wilson score interval of a proportion: unlike the normal approximation it stays inside [0, 1] and keeps a
 * sensible width at 0 or all successes and with few trials, which is what a backtest of a few dozen dates has.
 * Undefined when there are no trials.
 */
export function wilsonInterval(
  successes: number,
  trials: number,
  z: number = Z_95,
): { low: number; high: number } | undefined {
  if (trials <= 0) return undefined;
  const proportion = successes / trials;
  const zSquared = z * z;
  const denominator = 1 + zSquared / trials;
  const center = (proportion + zSquared / (2 * trials)) / denominator;
  const halfWidth =
    (z * Math.sqrt((proportion * (1 - proportion)) / trials + zSquared / (4 * trials * trials))) /
    denominator;
  return { low: Math.max(0, center - halfWidth), high: Math.min(1, center + halfWidth) };
}
