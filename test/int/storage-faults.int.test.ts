/**
 * Faults answered as what they are. An issue run whose log refuses a write part-way (a full disk)
 * answers STORAGE_UNAVAILABLE and lists the invoices it issued before, which the log holds exactly;
 * running it again issues the rest, none twice. A damaged log or read-model file stops the start with
 * one message naming the file and how to mend it (the read models: delete them, they are rebuilt).
 */
import type Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startServer } from '../../src/app/composition-root';
import { DamagedFileError } from '../../src/infrastructure/sqlite/damage';
import type { EventStore } from '../../src/ports/event-store';
import { generateReadings } from '../../src/tools/readings-generator';
import { spawnServer } from '../support/spawned-server';
import { graphql, startTestServer, uploadFile, type TestServer } from '../support/test-server';

jest.setTimeout(120_000);
const work = mkdtempSync(join(tmpdir(), 'storage-faults-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Two issue runs of 60 accounts each: a chunk of 50, then one of 10 that the fault refuses.
const ISSUED_FIRST = 50;
const REST = 10;
const ACCOUNTS = 2 * (ISSUED_FIRST + REST);
const ISSUE = `mutation($accounts: [ID!]) { issueInvoices(month: "2026-10", accounts: $accounts, force: true) {
  issued { number account } skipped { account reason } position } }`;

/** The InvoiceIssued events of the log's invoice streams: [number, account] in log order. */
async function issuedInLog(eventStore: EventStore): Promise<Array<[string, string]>> {
  const found: Array<[string, string]> = [];
  for await (const event of eventStore.readAll({ streamPrefixes: ['invoices-'] })) {
    const data = event.data as { number: string; accountId: string };
    if (event.type === 'InvoiceIssued') found.push([data.number, data.accountId]);
  }
  return found;
}

describe('issueInvoices when the log refuses a write part-way', () => {
  let t: TestServer;
  const accountIds: string[] = [];
  beforeAll(async () => {
    t = await startTestServer();
    const csv = [...generateReadings({ month: '2026-10', days: 2, meters: ACCOUNTS, errorRate: 0, seed: 3 })].join(
      '\n',
    );
    const upload = await uploadFile(t.url, csv);
    expect(upload.data?.uploadReadings.status).toBe('VALIDATED');
    const { invoicing } = t.server.services!;
    await t.server.services!.consistency.waitForPosition(upload.data!.uploadReadings.position, 30_000);
    const meters: string[] = (await graphql(t.url, '{ meters }')).data!.meters;
    expect(meters).toHaveLength(ACCOUNTS);
    for (const [i, meter] of meters.entries()) {
      const id = `ACC-${String(i).padStart(3, '0')}`;
      await invoicing.createAccount({
        id,
        name: `Customer ${i}`,
        vatRate: '0.20',
        tariff: { kind: 'FIXED', unitPriceEurMwh: '150', standingChargePerDay: '0.3' },
      });
      await invoicing.assignMeter({ accountId: id, meter, from: '2026-10-01', to: null });
      accountIds.push(id);
    }
  });
  afterAll(() => t?.close());

  type Db = Database.Database;
  const faults: Array<[string, number, (db: Db) => () => void, RegExp]> = [
    [
      'a full disk (SQLITE_FULL)',
      0,
      // SQLite's page limit on the log's own connection refuses the write as a full disk does.
      (db) => {
        db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true }))}`);
        return () => db.pragma('max_page_count = 4294967294');
      },
      /database or disk is full \(SQLITE_FULL\)/,
    ],
    [
      'a failing disk (SQLITE_IOERR, as a power cut leaves it)',
      ISSUED_FIRST + REST,
      // The driver's error for a write the disk failed, thrown where the adapter's transaction runs.
      (db) => {
        const spy = jest.spyOn(db, 'transaction').mockImplementation(() => {
          throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' });
        });
        return () => spy.mockRestore();
      },
      /disk I\/O error \(SQLITE_IOERR_WRITE\)/,
    ],
  ];

  it.each(faults)(
    '%s at the second chunk: STORAGE_UNAVAILABLE listing the 50 invoices issued, which the log holds; issuing again issues the rest, none twice',
    async (_fault, from, inject, said) => {
      const eventStore = t.server.services!.eventStore;
      const db = (eventStore as unknown as { db: Db }).db;
      const accounts = accountIds.slice(from, from + ISSUED_FIRST + REST);
      const before = (await issuedInLog(eventStore)).length;
      const append = eventStore.appendToStream.bind(eventStore);
      let invoiceAppends = 0;
      let lift: (() => void) | null = null;
      const spy = jest.spyOn(eventStore, 'appendToStream').mockImplementation((stream, events, options) => {
        if (stream.startsWith('invoices-') && ++invoiceAppends === 2) lift = inject(db);
        return append(stream, events, options);
      });
      let answer;
      try {
        answer = await graphql(t.url, ISSUE, { accounts });
      } finally {
        spy.mockRestore();
        (lift as (() => void) | null)?.();
      }
      expect(answer.data).toBeNull();
      const error = answer.errors![0]! as { message: string; extensions: Record<string, unknown> };
      expect(error.extensions.code).toBe('STORAGE_UNAVAILABLE');
      expect(error.message).toMatch(
        /^issued 50 of the 60 drafts \(\d{4}-\d{6} to \d{4}-\d{6}\) before it stopped: the event log could not store the write: /,
      );
      expect(error.message).toMatch(said);
      const listed = error.extensions.issued as string[];
      expect(listed).toHaveLength(ISSUED_FIRST);
      const inLog = (await issuedInLog(eventStore)).slice(before);
      expect(inLog.map(([number]) => number)).toEqual(listed);
      expect(error.extensions.position).toEqual(expect.any(String));

      // Again, with the disk mended: the rest are issued, the first 50 skipped as issued; each account once.
      const again = await graphql(t.url, ISSUE, { accounts });
      expect(again.errors).toBeUndefined();
      expect(again.data!.issueInvoices.issued).toHaveLength(REST);
      expect(again.data!.issueInvoices.skipped.map((s: { reason: string }) => s.reason)).toEqual(
        Array(ISSUED_FIRST).fill('ALREADY_ISSUED'),
      );
      const all = (await issuedInLog(eventStore)).slice(before);
      expect(all).toHaveLength(ISSUED_FIRST + REST);
      expect(new Set(all.map(([, account]) => account))).toEqual(new Set(accounts));
      expect(new Set(all.map(([number]) => number)).size).toBe(ISSUED_FIRST + REST);
    },
  );
});

describe('a damaged file at start', () => {
  const whole = join(work, 'whole');
  let uploads: number;
  beforeAll(async () => {
    const config = {
      ...loadConfig({ DATA_DIR: whole, LOG_LEVEL: 'silent', PRICE_SCRAPE: 'off', AUTH: 'off' }),
      port: 0,
      host: '127.0.0.1',
    };
    const server = await startServer(config, createLogger('silent'));
    try {
      const csv = [...generateReadings({ month: '2026-10', days: 3, meters: 20, errorRate: 0, seed: 4 })].join('\n');
      const receipt = (await uploadFile(server.url, csv)).data!.uploadReadings;
      expect(receipt.status).toBe('VALIDATED');
      const answer = await graphql(server.url, 'query($p: String) { uploads(atLeast: $p) { totalCount } }', {
        p: receipt.position,
      });
      uploads = answer.data!.uploads.totalCount;
    } finally {
      await server.stop(); // a clean stop: the WAL is folded into each file
    }
  });

  /** A copy of the whole directory with `bytes` written over `file` at `offset`. */
  function damagedCopy(name: string, file: string, offset: number, bytes: Buffer): string {
    const dir = join(work, name);
    execFileSync('cp', ['-a', whole, dir]);
    const fd = openSync(join(dir, file), 'r+');
    try {
      writeSync(fd, bytes, 0, bytes.length, offset);
    } finally {
      closeSync(fd);
    }
    return dir;
  }

  /** `npm start` on the directory: its exit code and stderr (it must not start). */
  async function startOn(dataDir: string): Promise<{ code: number | null; stderr: string }> {
    const { child, ready } = spawnServer(dataDir);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit') as Promise<[number | null]>;
    if (
      await ready.then(
        () => true,
        () => false,
      )
    )
      child.kill('SIGKILL');
    const [code] = await exited;
    return { code, stderr };
  }

  const PAGE = 4096;
  const garbage = Buffer.alloc(PAGE, 0xa5);

  it('a read-model file: one line naming it, saying that deleting it rebuilds it; deleted, the start rebuilds it from the log', async () => {
    const dir = damagedCopy('read-models-damaged', 'read-models.sqlite', PAGE, garbage);
    const file = join(dir, 'read-models.sqlite');
    const before = statSync(file).mtimeMs;
    const { code, stderr } = await startOn(dir);
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(
      `energy-billing failed to start: the read-model file ${file} is damaged (database disk image is malformed`,
    );
    expect(lines[0]).toContain(
      'delete read-models.sqlite, read-models.sqlite-wal and read-models.sqlite-shm and start again; they are rebuilt from the log',
    );
    expect(statSync(file).mtimeMs).toBe(before); // left as it was, for whoever looks at it

    for (const name of readdirSync(dir)) if (name.startsWith('read-models.sqlite')) rmSync(join(dir, name));
    const { child, ready } = spawnServer(dir);
    try {
      const url = await ready;
      let count = 0;
      for (let polls = 0; count !== uploads && polls < 500; polls++) {
        count = (await graphql(url, '{ uploads { totalCount } }')).data?.uploads.totalCount ?? 0;
      }
      expect(count).toBe(uploads);
      expect((await graphql(url, '{ meters }')).data!.meters).toHaveLength(20);
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });

  it.each([
    ['a page of its events', PAGE, 'database disk image is malformed'],
    ['its header', 0, 'file is not a database'],
  ])('the log, damaged in %s: one line naming it and how to restore it', async (_what, offset, problem) => {
    const dir = damagedCopy(`log-damaged-${offset}`, 'energy-billing.sqlite', offset, garbage);
    const { code, stderr } = await startOn(dir);
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(
      `energy-billing failed to start: the event log ${join(dir, 'energy-billing.sqlite')} is damaged (${problem}`,
    );
    expect(lines[0]).toContain('restore energy-billing.sqlite from your latest backup');
  });

  it('in process, the start rejects with DamagedFileError naming the file', async () => {
    const dir = damagedCopy('in-process', 'read-models.sqlite', PAGE, garbage);
    const config = {
      ...loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', PRICE_SCRAPE: 'off', AUTH: 'off' }),
      port: 0,
      host: '127.0.0.1',
    };
    const failed = await startServer(config, createLogger('silent')).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(DamagedFileError);
    expect((failed as DamagedFileError).files.map((f) => [f.file, f.role])).toEqual([
      [join(dir, 'read-models.sqlite'), 'read-models'],
    ]);
  });
});
