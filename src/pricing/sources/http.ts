export interface RetryPolicy {
  attempts: number;
  timeoutMs: number;
  backoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, timeoutMs: 20_000, backoffMs: 1_000 };

export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    url: string,
  ) {
    super(`HTTP ${status} from ${redact(url)}`);
    this.name = 'HttpStatusError';
  }
}

/** Tokens travel in query strings (ENTSO-E): never write them to logs or errors. */
export function redact(url: string): string {
  return url.replace(/(securityToken|token)=[^&]*/gi, '$1=***');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * GETs a URL as text. Network errors, timeouts and 5xx answers are retried with exponential backoff
 * (bounded by `attempts`); a 4xx answer is final and returned with its body, since it explains itself.
 */
export async function getText(
  url: string,
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<{ status: number; body: string }> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(policy.timeoutMs) });
      const body = await response.text();
      if (response.status >= 500) throw new HttpStatusError(response.status, body, url);
      return { status: response.status, body };
    } catch (error) {
      lastError = error;
      if (attempt < policy.attempts) await sleep(policy.backoffMs * 2 ** (attempt - 1));
    }
  }
  const reason =
    lastError instanceof Error && lastError.name === 'TimeoutError'
      ? `no answer within ${policy.timeoutMs} ms`
      : lastError instanceof Error
        ? lastError.message
        : String(lastError);
  throw new Error(`${redact(url)}: ${reason} after ${policy.attempts} attempts`);
}
