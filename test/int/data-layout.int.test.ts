/**
 * The embedded layout: the log in energy-billing.sqlite, the read models in read-models.sqlite. A data
 * directory of an older version (read models inside the log's file) starts: the derived tables leave
 * the log's file and the read models are rebuilt from the log.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config';
import { openReadStore } from '../../src/app/backends';
import {
  openSqliteDatabase,
  PAGE_CACHE_KIB,
  QUERY_PAGE_CACHE_KIB,
  type SqliteDatabase,
} from '../../src/infrastructure/sqlite/database';
import { createLogger } from '../../src/logger';
import { startServer } from '../../src/app/composition-root';
import { generateReadings } from '../../src/tools/readings-generator';
import { graphql, uploadFile } from '../support/test-server';

jest.setTimeout(60_000);

it('moves an older one-file data directory to two files: the log kept, the read models rebuilt from it', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'billing-layout-'));
  const config: Config = {
    ...loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', PRICE_SCRAPE: 'off', AUTH: 'off' }),
    port: 0,
    host: '127.0.0.1',
  };
  const lines: string[] = [];
  try {
    let server = await startServer(config, createLogger('silent'));
    const csv = [...generateReadings({ month: '2026-10', days: 2, meters: 3, errorRate: 0, seed: 4 })].join('\n');
    const receipt = (await uploadFile(server.url, csv)).data!.uploadReadings;
    await server.stop();
    expect(existsSync(join(dataDir, 'read-models.sqlite'))).toBe(true);

    // What an older version left: the read models (and lease, checkpoints) inside the log's file.
    rmSync(join(dataDir, 'read-models.sqlite'));
    rmSync(join(dataDir, 'read-models.sqlite-wal'), { force: true });
    rmSync(join(dataDir, 'read-models.sqlite-shm'), { force: true });
    const log = openSqliteDatabase(join(dataDir, 'energy-billing.sqlite'));
    log.exec(`CREATE TABLE rm_invoices (month TEXT, meter TEXT, doc TEXT);
      CREATE TABLE projection_checkpoints (projection TEXT PRIMARY KEY, position TEXT, updated_ms INTEGER);
      CREATE TABLE projector_lease (name TEXT PRIMARY KEY, holder TEXT, expires_ms INTEGER)`);
    log.close();

    server = await startServer(
      config,
      createLogger('warn', (line) => lines.push(line)),
    );
    try {
      const upload = await graphql(
        server.url,
        'query($id: ID!, $p: String) { upload(id: $id, atLeast: $p) { status acceptedRows } }',
        {
          id: receipt.uploadId,
          p: receipt.position,
        },
      );
      expect(upload.data?.upload).toEqual({ status: 'VALIDATED', acceptedRows: receipt.acceptedRows });
      const invoices = await graphql(server.url, '{ invoices(month: "2026-10") { totalCount } }');
      expect(invoices.data?.invoices.totalCount).toBe(3);
    } finally {
      await server.stop();
    }
    const after = openSqliteDatabase(join(dataDir, 'energy-billing.sqlite'));
    try {
      const tables = after.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all();
      expect(tables.map((t) => (t as { name: string }).name).filter((n) => !n.startsWith('sqlite_'))).toEqual([
        'events',
      ]);
    } finally {
      after.close();
    }
    expect(lines.join('')).toContain('dropped the read models the log file held');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

it("gives the writers SQLite's 2 MB page cache, not better-sqlite3's 16 MB, and the query connection 16 MB", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'billing-cache-'));
  try {
    const db = openSqliteDatabase(join(dir, 'any.sqlite'));
    try {
      expect(db.pragma('cache_size', { simple: true })).toBe(-PAGE_CACHE_KIB);
    } finally {
      db.close();
    }
    const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent' });
    const cacheOf = async (purpose: 'queries' | 'projections') => {
      const store = await openReadStore(config, purpose);
      try {
        // The setting is the connection's own: asked on the connection the store's models use.
        const models = store.uploadQueries as unknown as { db: SqliteDatabase };
        return models.db.pragma('cache_size', { simple: true });
      } finally {
        await store.close();
      }
    };
    expect(await cacheOf('queries')).toBe(-QUERY_PAGE_CACHE_KIB);
    expect(await cacheOf('projections')).toBe(-PAGE_CACHE_KIB);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
