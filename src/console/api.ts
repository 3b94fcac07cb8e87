/**
 * The console talks to the service only through its public GraphQL API: queries and mutations over
 * HTTP, files as multipart requests, subscriptions over graphql-ws. The key stays in this tab's session.
 */
import { createClient, type Client } from 'graphql-ws';

const TOKEN_KEY = 'energy-billing.token';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface Session {
  token: string | null;
  role: 'ADMIN' | 'VIEWER';
  name: string | null;
}

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

/**
 * The furthest log position a mutation of this tab answered: queries that take `atLeast` pass it, so a
 * screen shows what the admin just did (read-your-writes) even while projections catch up.
 */
let furthest: string | null = null;

/** Whether position `a` is later in the log (SQLite: integers; EventStoreDB: fixed-width hex, ordered as text). */
function later(a: string, b: string): boolean {
  return /^\d+$/.test(a) && /^\d+$/.test(b) ? BigInt(a) > BigInt(b) : a > b;
}

export function notePosition(position: string | null | undefined): void {
  if (position != null && (furthest === null || later(position, furthest))) furthest = position;
}

export const atLeast = (): string | null => furthest;

const endpoint = (): string => new URL('/graphql', location.href).toString();

function authHeaders(token: string | null): Record<string, string> {
  return token === null ? {} : { authorization: `Bearer ${token}` };
}

async function answer<T>(response: Response): Promise<T> {
  let body: { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    throw new ApiError(`the server answered ${response.status} without a GraphQL body`, null);
  }
  const error = body.errors?.[0];
  if (error !== undefined) throw new ApiError(error.message, error.extensions?.code ?? null);
  if (body.data === undefined) throw new ApiError('the server answered without data', null);
  return body.data;
}

export async function gql<T>(token: string | null, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(endpoint(), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authHeaders(token) },
    body: JSON.stringify({ query, variables }),
  });
  return answer<T>(response);
}

/** A mutation with one file (`$file`), as the GraphQL multipart request spec sends it. */
export async function gqlWithFile<T>(
  token: string | null,
  query: string,
  file: File,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query, variables: { ...variables, file: null } }));
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  form.append('0', file, file.name);
  const response = await fetch(endpoint(), {
    method: 'POST',
    // Apollo's CSRF protection wants this header on multipart requests.
    headers: { 'apollo-require-preflight': 'true', ...authHeaders(token) },
    body: form,
  });
  return answer<T>(response);
}

let wsClient: { token: string | null; client: Client } | null = null;

function subscriptionClient(token: string | null): Client {
  if (wsClient === null || wsClient.token !== token) {
    void wsClient?.client.dispose();
    const url = endpoint().replace(/^http/, 'ws');
    wsClient = {
      token,
      client: createClient({ url, connectionParams: token === null ? {} : { authorization: `Bearer ${token}` } }),
    };
  }
  return wsClient.client;
}

/** Subscribes; answers a function that stops it. */
export function subscribe<T>(
  token: string | null,
  query: string,
  variables: Record<string, unknown>,
  handlers: { next(data: T): void; error(error: Error): void; complete?(): void },
): () => void {
  return subscriptionClient(token).subscribe<T>(
    { query, variables },
    {
      next: (value) => {
        if (value.errors !== undefined && value.errors.length > 0) {
          handlers.error(new ApiError(value.errors[0]!.message, String(value.errors[0]!.extensions?.code ?? '')));
        } else if (value.data != null) handlers.next(value.data as T);
      },
      error: (error) => handlers.error(error instanceof Error ? error : new ApiError('the subscription failed', null)),
      complete: () => handlers.complete?.(),
    },
  );
}

/** GETs a path of this server with the key (exports and documents need the Authorization header). */
async function fetchWithKey(token: string | null, path: string): Promise<Blob> {
  const response = await fetch(new URL(path, location.href), { headers: authHeaders(token) });
  if (!response.ok) {
    // The routes answer errors as GraphQL does: the message says what is wrong and how to mend it.
    const body = (await response.json().catch(() => null)) as {
      errors?: Array<{ message: string; extensions?: { code?: string } }>;
    } | null;
    const error = body?.errors?.[0];
    if (error !== undefined) throw new ApiError(error.message, error.extensions?.code ?? null);
    throw new ApiError(`${path}: HTTP ${response.status}`, null);
  }
  return response.blob();
}

/** Saves what a path answers as a file. */
export async function download(token: string | null, path: string, fileName: string): Promise<void> {
  saveBlob(await fetchWithKey(token, path), fileName);
}

/** Opens what a path answers (an invoice document) in a new tab. */
export async function openDocument(token: string | null, path: string): Promise<void> {
  const url = URL.createObjectURL(await fetchWithKey(token, path));
  window.open(url, '_blank', 'noopener');
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Who the key belongs to; null when it is refused. */
export async function signIn(token: string | null): Promise<Session> {
  const data = await gql<{ whoami: { role: 'ADMIN' | 'VIEWER'; name: string | null } }>(
    token,
    '{ whoami { role name } }',
  );
  return { token, role: data.whoami.role, name: data.whoami.name };
}

/** Data lines of a file (lines after the header), counted from its bytes, for the progress bar. */
export async function countDataLines(file: File): Promise<number> {
  let lines = 0;
  let last = 10;
  const reader = file.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (const byte of value) if (byte === 10) lines += 1;
    last = value[value.length - 1] ?? last;
  }
  if (last !== 10) lines += 1; // a last line without a newline
  return Math.max(0, lines - 1);
}
