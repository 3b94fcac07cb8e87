/**
 * The server as `npm start` runs it, in its own process: a stop by signal ends it cleanly and gives the
 * projector lease back at once, so a replay or another projector need not wait for the lease to run out.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

jest.setTimeout(60_000);
const root = resolve(__dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'lifecycle-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function startServer(dataDir: string) {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', PRICE_SCRAPE: 'off' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ready = new Promise<void>((resolveReady, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready at')) resolveReady();
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before it was ready`)));
  });
  return { child, ready };
}

it.each(['SIGTERM', 'SIGINT'] as const)(
  '%s stops the server with exit code 0 and releases the lease',
  async (signal) => {
    const dataDir = join(work, signal);
    const { child, ready } = startServer(dataDir);
    await ready;
    const exited = once(child, 'exit');
    child.kill(signal);
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    const db = new Database(join(dataDir, 'energy-billing.sqlite'), { readonly: true });
    try {
      expect(db.prepare('SELECT * FROM projector_lease').all()).toEqual([]);
    } finally {
      db.close();
    }
  },
);
