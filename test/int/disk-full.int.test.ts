/**
 * A full or read-only disk under DATA_DIR, on real tmpfs mounts: an upload answers within seconds with a
 * clear error and leaves no landed file behind, nothing it holds is billed or counted, the same file
 * uploads whole once there is room again, and a start on a read-only directory says so. Mounting needs
 * root (as on these machines and in CI); elsewhere the suite is skipped and says why.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { DataDirError } from '../../src/infrastructure/data-dir';
import { createLogger } from '../../src/logger';
import { startServer, type RunningServer } from '../../src/app/composition-root';
import { generateReadings } from '../../src/tools/readings-generator';
import { graphql, uploadFile } from '../support/test-server';

const root = mkdtempSync(join(tmpdir(), 'billing-disk-'));

function mount(dir: string, options: string): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' });
}
function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'ignore' });
  } catch {
    // already gone
  }
}

const canMount = ((): boolean => {
  const probe = join(root, 'probe');
  try {
    mount(probe, 'size=1m');
    unmount(probe);
    return true;
  } catch {
    return false;
  }
})();
if (!canMount) process.stderr.write('disk-full tests skipped: mounting a tmpfs needs root here\n');
const describeWithMounts = canMount ? describe : describe.skip;

afterAll(() => rmSync(root, { recursive: true, force: true }));

async function serverOn(dataDir: string): Promise<RunningServer> {
  const config = {
    ...loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', PRICE_SCRAPE: 'off', AUTH: 'off' }),
    port: 0,
    host: '127.0.0.1',
  };
  return startServer(config, createLogger('silent'));
}

// 61,440 rows, 2.6 MB: on a 5 MB disk it lands, but the log cannot take it all with 2 MB taken.
const csv = [...generateReadings({ month: '2026-10', days: 4, meters: 160, errorRate: 0, seed: 1 })].join('\n');

describeWithMounts('a full or read-only disk', () => {
  it('answers an upload the log cannot hold with FAILED in seconds, keeps nothing of it, and takes it again once there is room', async () => {
    const disk = join(root, 'full');
    mount(disk, 'size=5m');
    const server = await serverOn(join(disk, 'data'));
    try {
      writeFileSync(join(disk, 'filler'), Buffer.alloc(2 * 1024 * 1024));
      const started = Date.now();
      const failed = await uploadFile(server.url, csv);
      expect(Date.now() - started).toBeLessThan(5_000);
      const receipt = failed.data!.uploadReadings;
      expect(receipt.status).toBe('FAILED');
      expect(receipt.message).toMatch(/disk is full/);
      expect(receipt.acceptedRows).toBeLessThan(61_440); // what the log holds of it, if anything
      expect(readdirSync(join(disk, 'data', 'incoming'))).toEqual([]);

      rmSync(join(disk, 'filler'));
      // Nothing of the failed upload is billed (the projections catch up once there is room).
      await server.services!.consistency.waitForPosition(receipt.position, 10_000);
      expect(await graphql(server.url, '{ meters }')).toMatchObject({ data: { meters: [] } });
      const again = await uploadFile(server.url, csv);
      expect(again.data!.uploadReadings).toMatchObject({
        status: 'VALIDATED',
        acceptedRows: 61_440,
        duplicateOf: null,
      });
      await server.services!.consistency.waitForPosition(again.data!.uploadReadings.position, 10_000);
      const meters = await graphql(server.url, '{ meters }');
      expect((meters.data as { meters: string[] }).meters).toHaveLength(160);
    } finally {
      await server.stop();
      unmount(disk);
    }
  }, 30_000);

  it('answers an upload that cannot even land with STORAGE_UNAVAILABLE in seconds, leaving no partial file', async () => {
    const disk = join(root, 'fuller');
    mount(disk, 'size=5m');
    const server = await serverOn(join(disk, 'data'));
    try {
      writeFileSync(join(disk, 'filler'), Buffer.alloc(3 * 1024 * 1024 + 512 * 1024));
      const started = Date.now();
      const refused = await uploadFile(server.url, csv);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(refused.errors?.[0]?.extensions?.code).toBe('STORAGE_UNAVAILABLE');
      expect(refused.errors?.[0]?.message).toMatch(/no space left/);
      expect(readdirSync(join(disk, 'data', 'incoming'))).toEqual([]);
    } finally {
      await server.stop();
      unmount(disk);
    }
  }, 30_000);

  it('refuses to start on a read-only DATA_DIR, saying so', async () => {
    const disk = join(root, 'readonly');
    mount(disk, 'ro,size=1m');
    try {
      await expect(serverOn(join(disk, 'data'))).rejects.toThrow(DataDirError);
      await expect(serverOn(join(disk, 'data'))).rejects.toThrow(/cannot be created in .*read-only/);
    } finally {
      unmount(disk);
    }
    const existing = join(root, 'existing');
    mount(existing, 'size=1m');
    mkdirSync(join(existing, 'data'));
    execFileSync('mount', ['-o', 'remount,ro', existing]);
    try {
      await expect(serverOn(join(existing, 'data'))).rejects.toThrow(/is not writable: the file system is read-only/);
    } finally {
      unmount(existing);
    }
  });
});
