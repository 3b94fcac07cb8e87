/**
 * Safe by default: a first start with no configuration creates an admin API key, prints it once and
 * refuses anonymous callers; keys are created, listed without secrets and revoked through GraphQL, and a
 * revoked key is refused at once over HTTP and WebSocket. The server runs as `npm start` runs it.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
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

/** The server in its own process as `npm start` runs it, with no auth settings: a data directory and a port. */
function spawnServer(dataDir: string, port = 0) {
  const env: Record<string, string | undefined> = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  };
  for (const name of ['AUTH', 'ADMIN_TOKEN', 'VIEWER_TOKEN']) delete env[name];
  env.PRICE_SCRAPE = 'off';
  return spawn(process.execPath, ['--require', 'tsx/cjs', 'src/app/main.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function start(dataDir: string): Promise<Started> {
  const child = spawnServer(dataDir);
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
              // GraphQL errors, or the close event of a connection refused at its connection_init (4403).
              error: (error) => resolveOutcome(`${JSON.stringify(error)} ${(error as { code?: number }).code ?? ''}`),
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
        const refused = (await graphql(server.url, '{ meters }', {}, bearer(viewer.key))).errors?.[0];
        expect(refused?.extensions?.code).toBe('UNAUTHENTICATED');
        // The key's holder is told it was revoked; a caller who only guessed its id is told nothing of it.
        expect(refused?.message).toMatch(/^this API key was revoked at \d{4}-\d\d-\d\dT.*ask an admin for a new one/);
        const guessed = `${viewer.key.slice(0, -4)}AAAA`;
        const guessedAnswer = (await graphql(server.url, '{ meters }', {}, bearer(guessed))).errors?.[0];
        expect(guessedAnswer?.extensions?.code).toBe('UNAUTHENTICATED');
        expect(guessedAnswer?.message).not.toMatch(/revoked/);
        const exported = await fetch(`${server.url.replace('/graphql', '')}/exports/invoices.csv?month=2026-10`, {
          headers: bearer(viewer.key),
        });
        expect(exported.status).toBe(401);
        expect(JSON.stringify(await exported.json())).toMatch(/revoked/);
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

  it('a first start on a taken port names PORT and makes no key; the next start on a free port shows one', async () => {
    const dataDir = join(work, 'taken-port');
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const taken = (holder.address() as AddressInfo).port;
    try {
      const child = spawnServer(dataDir, taken);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      expect(code).toBe(1);
      expect(stderr).toContain(`port ${taken} on 127.0.0.1 is in use`);
      expect(stderr).toMatch(/another port with PORT/);
      expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(stdout).not.toMatch(/eb_[0-9a-f]{16}_/);
    } finally {
      await new Promise((r) => holder.close(r));
    }
    const again = await start(dataDir);
    try {
      const key = /^\s+(eb_[0-9a-f]{16}_\S+)$/m.exec(again.stdout)?.[1];
      expect(key).toBeDefined();
      expect((await graphql(again.url, '{ meters }', {}, bearer(key!))).data).toEqual({ meters: [] });
    } finally {
      await again.stop();
    }
  }, 60_000);
});
