// Posting a message to the alert webhook (a Slack-compatible incoming webhook or any HTTP receiver). Its URL is a
// secret (Slack's carries the token in its path): messages name only its origin.
import { FAILURE_TYPE, type FailureType } from '../core/failure-types';
import type { WebhookMessage } from '../core/alerts';

/** How long one post may take before it counts as unavailable (Temporal retries it). */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/** A post that failed, typed for Temporal's retry policy. */
export class WebhookError extends Error {
  constructor(
    message: string,
    readonly type: FailureType,
  ) {
    super(message);
    this.name = 'WebhookError';
  }
}

/** The webhook as it may be shown: its origin only, never its path or credentials. */
export function webhookLabel(url: string): string {
  return URL.canParse(url) ? `${new URL(url).origin}/[path hidden]` : '[the alert webhook]';
}

/** Posts `message` as JSON; resolves on a 2xx answer, throws a {@link WebhookError} otherwise. */
export async function postToWebhook(
  url: string,
  message: WebhookMessage,
  timeoutMs = WEBHOOK_TIMEOUT_MS,
): Promise<void> {
  const label = webhookLabel(url);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const reason =
      error instanceof Error && error.name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : 'the connection failed';
    throw new WebhookError(
      `The alert webhook ${label} could not be reached: ${reason}.`,
      FAILURE_TYPE.WebhookUnavailable,
    );
  }
  // The body is read (and dropped) so the connection can be reused; what it says is not shown (it may echo the URL).
  await response.arrayBuffer().catch(() => undefined);
  if (response.ok) return;
  const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
  throw new WebhookError(
    `The alert webhook ${label} answered HTTP ${response.status}${retryable ? '' : '; check alerts.webhookUrl'}.`,
    retryable ? FAILURE_TYPE.WebhookUnavailable : FAILURE_TYPE.WebhookRejected,
  );
}
