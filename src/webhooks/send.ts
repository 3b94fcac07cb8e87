/** POSTs a body and answers the HTTP status; throws on a network error, a timeout or when stopped. */
export type Send = (
  url: string,
  request: { body: string; headers: Record<string, string>; timeoutMs: number; signal?: AbortSignal },
) => Promise<number>;

export const sendWithFetch: Send = async (url, request) => {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const response = await fetch(url, {
    method: 'POST',
    body: request.body,
    headers: request.headers,
    // A redirect could lead anywhere, a private address included: it is an answer, not followed.
    redirect: 'manual',
    signal: request.signal === undefined ? timeout : AbortSignal.any([timeout, request.signal]),
  });
  await dropBody(response);
  return response.status;
};

/** How much of a receiver's answer is read: only its status counts, and an answer may be of any size. */
const ANSWER_BYTES_READ = 4 * 1024;

/** Reads at most a few KB of an answer's body (so its connection can be reused), then drops the rest. */
export async function dropBody(response: Response): Promise<void> {
  const reader = response.body?.getReader();
  if (reader === undefined) return;
  try {
    for (let read = 0; read < ANSWER_BYTES_READ;) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
    }
  } catch {
    return; // a body cut short changes nothing: the status is the answer
  }
  await reader.cancel().catch(() => undefined);
}
