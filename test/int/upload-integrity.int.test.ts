/**
 * An upload takes effect all or none, when it is validated: a failed write ends it FAILED, a stop ends
 * it INTERRUPTED at the next start, neither bills anything nor blocks a re-upload; identical uploads at
 * once are one upload and its duplicate; overlapping uploads resolve by the order of their validation.
 * Real SQLite event log and read models, the service's own projections, no HTTP.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { loadConfig } from '../../src/config';
import { ZonedClock } from '../../src/domain/time/zoned-time';
import { openBackends, type Backends } from '../../src/app/backends';
import { UploadService } from '../../src/ingestion/upload-service';
import type { EventStore } from '../../src/ports/event-store';
import { ProjectionRunner } from '../../src/projections/runner';
import { SERVICE_STREAM_PREFIXES } from '../../src/projections/stream-prefixes';
import { generateReadings } from '../../src/tools/readings-generator';

jest.setTimeout(30_000);

const HEADER = 'metering_point_id,timestamp,kwh';
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

interface Harness {
  backends: Backends;
  runner: ProjectionRunner;
  service(eventStore?: EventStore): UploadService;
  upload(csv: string, eventStore?: EventStore): ReturnType<UploadService['uploadReadings']>;
  caughtUp(): Promise<void>;
  close(): Promise<void>;
}

async function harness(): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'upload-integrity-'));
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  const backends = await openBackends(config, silent);
  const clock = new ZonedClock(config.billingTimeZone);
  const { eventStore, readStore } = backends;
  const runner = new ProjectionRunner(
    eventStore,
    readStore.projectionDefinitions({ clock, resolutionMinutes: 15, market: config.priceArea }),
    readStore.versions,
    silent,
    { streamPrefixes: SERVICE_STREAM_PREFIXES },
  );
  await runner.start();
  const make = (store: EventStore) =>
    new UploadService({
      eventStore: store,
      uploads: readStore.uploadQueries,
      clock,
      rules: { resolutionMinutes: 15, maxKwhPerReading: 10_000 },
      spoolDir: dataDir,
      maxUploadBytes: 1e9,
      maxLineBytes: 65_536,
      now: () => new Date('2026-11-22T10:00:00Z'),
      newId: randomUUID,
      singleWriter: true,
      log: () => undefined,
    });
  // One service per log, as in the server; the failing log's service is another writer's view of it.
  const shared = make(eventStore);
  const service = (store: EventStore = eventStore) => (store === eventStore ? shared : make(store));
  return {
    backends,
    runner,
    service,
    upload: (csv, store) =>
      service(store).uploadReadings({
        fileName: 'r.csv',
        content: Readable.from([Buffer.from(csv)]),
        uploadedBy: null,
      }),
    caughtUp: async () => {
      expect(await runner.waitForPosition(null, 10_000)).toBe(true);
    },
    close: async () => {
      await runner.stop();
      await backends.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The event store, refusing the appends `refuse` names (with its message), as a full disk or a locked file does. */
function refusing(
  store: EventStore,
  refuse: (n: number, events: Parameters<EventStore['appendToStream']>[1]) => string | null,
): EventStore {
  let appends = 0;
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'appendToStream') {
        return (...args: Parameters<EventStore['appendToStream']>) => {
          appends += 1;
          const message = refuse(appends, args[1]);
          return message === null ? target.appendToStream(...args) : Promise.reject(new Error(message));
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

// 40 meters x 2,980 intervals of October 2026: three readings events of 50,000.
const month = (seed: number, meters = 40) => [...generateReadings({ month: '2026-10', meters, seed })].join('\n');
const totalKwh = async (h: Harness): Promise<number> => {
  let total = 0;
  for (const meter of await h.backends.readStore.billing.meters()) {
    for (const day of await h.backends.readStore.billing.dailyUsage(meter, '2026-10-01', '2026-10-31'))
      total += day.totalKwhMicro;
  }
  return total;
};

describe('upload integrity', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('ends an upload whose write fails as FAILED, bills none of it, and takes the same file again', async () => {
    const csv = month(1);
    // FileReceived, the claim, one readings event, then the log refuses.
    const full = refusing(h.backends.eventStore, (n) => (n >= 4 ? 'SQLITE_FULL: database or disk is full' : null));
    const failed = await h.upload(csv, full);
    expect(failed.status).toBe('FAILED');
    expect(failed.message).toContain('database or disk is full');
    expect(failed.message).toContain('none of its readings take effect');
    expect(failed.acceptedRows).toBe(50_000); // what the log holds: the one readings event written
    await h.caughtUp();
    const doc = await h.backends.readStore.uploadQueries.getUpload(failed.uploadId);
    expect(doc?.status).toBe('RECEIVED'); // the FAILED marker could not be written either
    expect(await h.backends.readStore.billing.meters()).toEqual([]);

    // Found unfinished by the next start (here: the next upload of the same file, which holds no claim
    // to wait for, since nobody processes that upload): marked INTERRUPTED, its staged readings dropped.
    const again = await h.upload(csv);
    expect(again).toMatchObject({ status: 'VALIDATED', duplicateOf: null, acceptedRows: 40 * 2980 });
    await h.caughtUp();
    expect(await h.backends.readStore.billing.meters()).toHaveLength(40);
    expect((await h.backends.readStore.uploadQueries.getUpload(failed.uploadId))?.status).toBe('INTERRUPTED');
    expect(await h.backends.readStore.uploadQueries.unfinishedUploads()).toEqual([]);
    expect(await h.service().interruptUnfinishedUploads()).toEqual([]);
  });

  it('records FAILED when the log refuses a readings write but takes the marker', async () => {
    let refused = false;
    const once = refusing(h.backends.eventStore, (_n, events) => {
      if (refused || events[0]?.type !== 'ReadingsAccepted') return null;
      refused = true;
      return 'SQLITE_BUSY: database is locked';
    });
    const csv = `${HEADER}\nMP1,2026-10-01T00:00:00+03:00,1\nMP1,2026-10-01T00:15:00+03:00,bad\n`;
    const failed = await h.upload(csv, once);
    expect(failed).toMatchObject({ status: 'FAILED', acceptedRows: 0, rejectedRows: 0 });
    await h.caughtUp();
    expect(await h.backends.readStore.uploadQueries.getUpload(failed.uploadId)).toMatchObject({ status: 'FAILED' });
    expect(await h.upload(csv)).toMatchObject({
      status: 'VALIDATED',
      acceptedRows: 1,
      rejectedRows: 1,
      duplicateOf: null,
    });
  });

  it('recognises byte-identical uploads made at the same moment: one upload and its duplicate', async () => {
    const csv = month(2, 10);
    const [a, b] = await Promise.all([h.upload(csv), h.upload(csv)]);
    const [original, duplicate] = a.duplicateOf === null ? [a, b] : [b, a];
    expect(original).toMatchObject({ status: 'VALIDATED', acceptedRows: 10 * 2980, duplicateOf: null });
    expect(duplicate).toMatchObject({ status: 'VALIDATED', acceptedRows: 0, duplicateOf: original.uploadId });
    await h.caughtUp();
    const once = await totalKwh(h);
    expect(once).toBeGreaterThan(0);
    expect(await h.upload(csv)).toMatchObject({ duplicateOf: original.uploadId });
    await h.caughtUp();
    expect(await totalKwh(h)).toBe(once);
  });

  it('resolves overlapping uploads by validation order: the file validated later wins every reading it holds', async () => {
    const a = month(3, 20);
    const b = month(4, 20); // the same meters and intervals, other values
    await Promise.all([h.upload(a), h.upload(b)]);
    await h.caughtUp();
    const validated: string[] = [];
    for await (const event of h.backends.eventStore.readAll({ streamPrefixes: ['upload-'] })) {
      if (event.type === 'FileValidated') validated.push((event.data as { uploadId: string }).uploadId);
    }
    const docs = await Promise.all(validated.map((id) => h.backends.readStore.uploadQueries.getUpload(id)));
    const later = docs[1]!;
    expect(later.sha256 === sha(a) || later.sha256 === sha(b)).toBe(true);
    expect(await totalKwh(h)).toBe(expectedTotal(later.sha256 === sha(a) ? a : b));
    expect(expectedTotal(a)).not.toBe(expectedTotal(b));
  });
});

function sha(csv: string): string {
  return createHash('sha256').update(csv).digest('hex');
}

/** Micro-kWh of every row of a generated file without bad rows. */
function expectedTotal(csv: string): number {
  let total = 0;
  for (const line of csv.split('\n').slice(1)) {
    const kwh = line.split(',')[2];
    if (kwh !== undefined && /^\d+(\.\d+)?$/.test(kwh)) total += Math.round(Number(kwh) * 1e6);
  }
  return total;
}
