/**
 * Safe by default: a first start with no configuration creates an admin API key, prints it once and
 * refuses anonymous callers; keys are created, listed without secrets and revoked through GraphQL, and a
 * revoked key is refused at once over HTTP and WebSocket. The server runs as `npm start` runs it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { graphql, uploadFile, wsClient } from '../support/test-server';
import { parseApiKey } from '../../src/domain/access/api-keys';

const root = resolve(__dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'billing-auth-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Started {
  url: string;
  stdout: string;
  stop(): Promise<void>;
}

/** The server in its own process with no auth settings at all: only a data directory and a port. */
async function start(dataDir: string): Promise<Started> {
  const env: Record<string, string | undefined> = { ...process.env, DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn' };
  for (const name of ['AUTH', 'ADMIN_TOKEN', 'VIEWER_TOKEN', 'HOST']) delete env[name];
  env.PRICE_SCRAPE = 'off';
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/main.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const found = /ready at (\S+)/.exec(stdout)?.[1];
      if (found !== undefined) resolveUrl(found);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return {
    url: url.replace('localhost', '127.0.0.1'),
    stdout,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const CSV = 'metering_point_id,timestamp,kwh\nMP-1,2026-10-01T00:00:00+03:00,1.5\n';

describe('auth, safe by default', () => {
  it('creates and prints one admin key on the first start, refuses anonymous callers, and manages keys', async () => {
    const dataDir = join(work, 'data');
    const server = await start(dataDir);
    try {
      const printed = /^\s+(eb_[0-9a-f]{16}_\S+)$/m.exec(server.stdout)?.[1];
      expect(printed).toBeDefined();
      const admin = printed!;

      const anonymous = await uploadFile(server.url, CSV);
      expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect((await graphql(server.url, '{ meters }')).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      const wrong = await graphql(server.url, '{ meters }', {}, bearer(`${admin.slice(0, -4)}AAAA`));
      expect(wrong.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

      const uploaded = await uploadFile(server.url, CSV, 'r.csv', { headers: bearer(admin) });
      expect(uploaded.data?.uploadReadings.status).toBe('VALIDATED');
      const uploadId = uploaded.data!.uploadReadings.uploadId;
      // At the receipt's position: the upload-status projection runs in its own thread.
      const byWhom = await graphql(
        server.url,
        'query($id: ID!, $p: String) { upload(id: $id, atLeast: $p) { uploadedBy } }',
        { id: uploadId, p: uploaded.data!.uploadReadings.position },
        bearer(admin),
      );
      expect(byWhom.data).toEqual({ upload: { uploadedBy: 'first admin' } });

      const created = await graphql<{ createApiKey: { key: string; apiKey: { id: string; role: string } } }>(
        server.url,
        'mutation { createApiKey(name: "dashboard", role: VIEWER) { key apiKey { id name role revokedAt } } }',
        {},
        bearer(admin),
      );
      const viewer = created.data!.createApiKey;
      expect(viewer.apiKey).toMatchObject({ role: 'VIEWER' });
      const listed = await graphql(server.url, '{ apiKeys { id name role revokedAt } }', {}, bearer(admin));
      expect(JSON.stringify(listed.data)).not.toContain(parseApiKey(viewer.key)!.secret);
      expect((listed.data as { apiKeys: unknown[] }).apiKeys).toHaveLength(2);

      expect((await graphql(server.url, '{ meters }', {}, bearer(viewer.key))).data).toEqual({ meters: ['MP-1'] });
      const viewerUpload = await uploadFile(server.url, CSV, 'v.csv', { headers: bearer(viewer.key) });
      expect(viewerUpload.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const viewerMakesKey = await graphql(
        server.url,
        'mutation { createApiKey(name: "x", role: ADMIN) { key } }',
        {},
        bearer(viewer.key),
      );
      expect(viewerMakesKey.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

      // Over WebSocket the key goes in the connection parameters; a revoked key's next subscription is refused.
      const client = wsClient(server.url, bearer(viewer.key));
      const subscribe = () =>
        new Promise<string>((resolveOutcome) => {
          client.subscribe(
            {
              query: 'subscription($id: ID!) { fileValidation(uploadId: $id) { status } }',
              variables: { id: uploadId },
            },
            {
              next: (value) => resolveOutcome(value.errors ? JSON.stringify(value.errors) : 'data'),
              error: (error) => resolveOutcome(JSON.stringify(error)),
              complete: () => resolveOutcome('complete'),
            },
          );
        });
      try {
        expect(await subscribe()).toBe('data');
        // A subscription still open when the key is revoked (an upload that has not started) is ended.
        const open = new Promise<string>((resolveOutcome) => {
          client.subscribe(
            { query: 'subscription { fileValidation(uploadId: "not-yet") { status } }' },
            {
              next: () => resolveOutcome('data'),
              error: (error) => resolveOutcome(`closed ${(error as { code?: number }).code}`),
              complete: () => resolveOutcome('complete'),
            },
          );
        });
        await graphql(
          server.url,
          'mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }',
          { id: viewer.apiKey.id },
          bearer(admin),
        );
        expect((await graphql(server.url, '{ meters }', {}, bearer(viewer.key))).errors?.[0]?.extensions?.code).toBe(
          'UNAUTHENTICATED',
        );
        expect(await open).toBe('closed 4403');
        expect(await subscribe()).toMatch(/Bearer|authenticat|4403/i);
      } finally {
        await client.dispose();
      }
    } finally {
      await server.stop();
    }

    // A restart keeps the keys and prints none.
    const again = await start(dataDir);
    try {
      expect(again.stdout).not.toMatch(/eb_[0-9a-f]{16}_/);
      expect(
        (await graphql(again.url, '{ meters }', {}, bearer(/^\s+(eb_\S+)$/m.exec(server.stdout)![1]!))).data,
      ).toEqual({
        meters: ['MP-1'],
      });
    } finally {
      await again.stop();
    }
  }, 60_000);
});
