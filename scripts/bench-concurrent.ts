/**
 * npm run bench:concurrent [-- --uploads 4 --meters 350 --sequential]
 *
 * With --sequential the files are uploaded one after another instead (each answered before the next is
 * sent): the table then gives each upload's own time and whether the last five are no slower than 1.3x
 * the first five (memory and time stay flat as the log and the read models grow).
 *
 * Responsiveness under concurrent uploads: generates as many month files as --uploads (different meters
 * each, 350 by default: about 1M rows and 44 MB a file), starts the service as `npm start` does on a fresh
 * data directory, uploads them all at once, and asks /healthz every 50 ms from the first byte until 10 s
 * after the last answer. Prints each upload's time, the worst and p99 /healthz latency and the server's
 * peak RSS; the figures go to bench/results/<date>-concurrent-<n>.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateReadings } from '../src/tools/readings-generator';
import { peakRssMb, postFile, startChildServer } from './lib/child-server';
import { writeLines } from './lib/write-lines';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1] ?? fallback) : fallback;
};
const uploads = option('uploads', 4);
const meters = option('meters', 350);
const sequential = args.includes('--sequential');

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'billing-concurrent-'));
  try {
    const files = Array.from({ length: uploads }, (_, n) => join(work, `readings-${n}.csv`));
    for (const [n, file] of files.entries()) {
      const meterId = (i: number) => `MP${String(n * meters + i + 1).padStart(6, '0')}`;
      await writeLines(file, generateReadings({ month: '2026-10', meters, errorRate: 0.001, seed: 7 + n, meterId }));
    }
    const server = await startChildServer({ DATA_DIR: join(work, 'data'), PRICE_SCRAPE: 'off' });
    try {
      const health = server.url.replace(/\/graphql$/, '/healthz');
      const latencies: number[] = [];
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const started = performance.now();
          await fetch(health);
          latencies.push(performance.now() - started);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();
      const started = performance.now();
      const upload = async (file: string, n: number, from: number) => {
        const answer = await postFile(
          server.url,
          'mutation($f: Upload!) { uploadReadings(file: $f) { status } }',
          file,
          `readings-${n}.csv`,
        );
        if (answer.uploadReadings.status !== 'VALIDATED') throw new Error(`upload ${n}: ${JSON.stringify(answer)}`);
        return Number(((performance.now() - from) / 1000).toFixed(2));
      };
      const seconds: number[] = [];
      if (sequential) for (const [n, file] of files.entries()) seconds.push(await upload(file, n, performance.now()));
      else seconds.push(...(await Promise.all(files.map((file, n) => upload(file, n, started)))));
      await new Promise((resolve) => setTimeout(resolve, 10_000)); // the projections apply the uploads
      sampling = false;
      await sampler;
      latencies.sort((a, b) => a - b);
      const result = {
        date: new Date().toISOString().slice(0, 10),
        uploads,
        metersPerFile: meters,
        uploadSeconds: seconds,
        healthzWorstMs: Math.round(latencies[latencies.length - 1] ?? NaN),
        healthzP99Ms: Math.round(latencies[Math.floor(latencies.length * 0.99)] ?? NaN),
        healthzSamples: latencies.length,
        serverPeakRssMb: Math.round(peakRssMb(server.pid)),
      };
      mkdirSync('bench/results', { recursive: true });
      const out = join('bench/results', `${result.date}-${sequential ? 'sequential' : 'concurrent'}-${uploads}.json`);
      const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
      const firstFive = median(seconds.slice(0, 5));
      const lastFive = median(seconds.slice(-5));
      writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
      process.stdout.write(
        [
          `| ${uploads} uploads ${sequential ? 'one after another' : 'at once'} (${meters} meters each) | |`,
          '| --- | --- |',
          `| answered VALIDATED after | ${seconds.map((s) => `${s} s`).join(', ')} |`,
          ...(sequential
            ? [
                `| median of the first five / of the last five | ${firstFive} s / ${lastFive} s (${(lastFive / firstFive).toFixed(2)}x; flat at most 1.3x) |`,
              ]
            : []),
          `| /healthz worst / p99 (${latencies.length} asked, through the uploads and 10 s after) | ${result.healthzWorstMs} / ${result.healthzP99Ms} ms |`,
          `| server peak RSS | ${result.serverPeakRssMb} MB |`,
          `all figures: ${out}`,
          '',
        ].join('\n'),
      );
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:concurrent failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
