import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import type { UploadReceipt } from '../../src/ingestion/upload-receipt';
import { startServer, type RunningServer } from '../../src/app/composition-root';

export interface TestServer {
  server: RunningServer;
  config: Config;
  url: string;
  close(): Promise<void>;
}

/** A real server on a free loopback port with its own data directory. */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'billing-int-'));
  const config: Config = {
    // Auth is off unless a test configures tokens or AUTH itself (test/int/auth.int.test.ts covers it).
    ...loadConfig({
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      PRICE_SCRAPE: 'off',
      AUTH: env.ADMIN_TOKEN !== undefined || env.VIEWER_TOKEN !== undefined ? 'on' : 'off',
      ...env,
    }),
    port: 0,
    host: '127.0.0.1',
  };
  const server = await startServer(config, createLogger(config.logLevel));
  return {
    server,
    config,
    url: server.url,
    close: async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

export async function graphql<T = Record<string, any>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as object) };
}

export const UPLOAD_MUTATION = `mutation Upload($file: Upload!, $uploadId: ID) {
  uploadReadings(file: $file, uploadId: $uploadId) {
    uploadId fileName status totalRows acceptedRows rejectedRows roundedRows duplicateOf position message
  }
}`;

export type { UploadReceipt } from '../../src/ingestion/upload-receipt';

/** A GraphQL multipart request as a browser or curl sends it, with the CSRF preflight header. */
export async function uploadFile(
  url: string,
  content: string | Buffer | Blob,
  fileName = 'readings.csv',
  options: {
    uploadId?: string;
    headers?: Record<string, string>;
    query?: string;
    variables?: Record<string, unknown>;
  } = {},
): Promise<GraphQLResponse<{ uploadReadings: UploadReceipt }>> {
  const form = new FormData();
  form.append(
    'operations',
    JSON.stringify({
      query: options.query ?? UPLOAD_MUTATION,
      variables: { file: null, uploadId: options.uploadId ?? null, ...(options.variables ?? {}) },
    }),
  );
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  const blob = content instanceof Blob ? content : new Blob([content], { type: 'text/csv' });
  form.append('0', blob, fileName);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Apollo-Require-Preflight': 'true', ...(options.headers ?? {}) },
    body: form,
  });
  const text = await response.text();
  try {
    return { status: response.status, ...(JSON.parse(text) as object) };
  } catch {
    return { status: response.status, errors: [{ message: text }] };
  }
}

export function wsClient(url: string, connectionParams: Record<string, unknown> = {}): Client {
  return createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: true,
  });
}

/** Collects every payload of a subscription until the server completes it. */
export function collectSubscription<T>(client: Client, query: string, variables: Record<string, unknown>) {
  const payloads: T[] = [];
  const done = new Promise<T[]>((resolve, reject) => {
    client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          if (value.errors) reject(new Error(JSON.stringify(value.errors)));
          else payloads.push(value.data as T);
        },
        error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
        complete: () => resolve(payloads),
      },
    );
  });
  return { payloads, done };
}
