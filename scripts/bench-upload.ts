/**
 * npm run bench [-- --meters 350 --month 2026-10 --max-rss-mb 300]
 *
 * Generates a month of 15-minute readings (350 meters x 31 days = about 1.04 million rows), starts the
 * server as a child process on a fresh data directory, uploads the file over HTTP multipart, and reports
 * the wall time and the server's peak resident memory (VmHWM from /proc). Exits 1 over the memory target.
 */
import { createWriteStream, mkdtempSync, openAsBlob, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyCounts, generateReadings } from '../src/tools/readings-generator';
import { peakRssMb, startChildServer } from './lib/child-server';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? (args[at + 1] ?? fallback) : fallback;
};
const meters = Number(option('meters', '350'));
const month = option('month', '2026-10');
const maxRssMb = Number(option('max-rss-mb', '300'));

async function writeReadings(path: string) {
  const counts = emptyCounts();
  const out = createWriteStream(path);
  let buffer: string[] = [];
  for (const line of generateReadings({ month, meters, errorRate: 0.001, seed: 7 }, counts)) {
    buffer.push(line);
    if (buffer.length >= 20_000) {
      if (!out.write(`${buffer.join('\n')}\n`)) await once(out, 'drain');
      buffer = [];
    }
  }
  out.end(`${buffer.join('\n')}\n`);
  await once(out, 'close');
  return counts;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'billing-bench-'));
  const file = join(work, 'readings.csv');
  const counts = await writeReadings(file);
  const bytes = statSync(file).size;
  process.stdout.write(`generated ${counts.rows} rows (${(bytes / 1e6).toFixed(1)} MB), ${counts.valid} valid\n`);

  const server = await startChildServer({ DATA_DIR: join(work, 'data') });
  try {
    const idleRss = peakRssMb(server.pid);
    const form = new FormData();
    form.append(
      'operations',
      JSON.stringify({
        query: 'mutation($f: Upload!) { uploadReadings(file: $f) { status totalRows acceptedRows rejectedRows } }',
        variables: { f: null },
      }),
    );
    form.append('map', JSON.stringify({ 0: ['variables.f'] }));
    form.append('0', await openAsBlob(file), 'readings.csv');
    const started = performance.now();
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'Apollo-Require-Preflight': 'true' },
      body: form,
    });
    const body = (await response.json()) as { data?: { uploadReadings: Record<string, unknown> }; errors?: unknown };
    const seconds = (performance.now() - started) / 1000;
    const peak = peakRssMb(server.pid);
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    const receipt = body.data!.uploadReadings;
    const result = {
      rows: counts.rows,
      megabytes: Number((bytes / 1e6).toFixed(1)),
      seconds: Number(seconds.toFixed(2)),
      rowsPerSecond: Math.round(counts.rows / seconds),
      serverIdleRssMb: Math.round(idleRss),
      serverPeakRssMb: Math.round(peak),
      receipt,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (receipt.acceptedRows !== counts.valid)
      throw new Error(`accepted ${String(receipt.acceptedRows)} != ${counts.valid}`);
    if (peak > maxRssMb) {
      process.stderr.write(`peak RSS ${peak.toFixed(0)} MB is over the ${maxRssMb} MB target\n`);
      process.exitCode = 1;
    }
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
