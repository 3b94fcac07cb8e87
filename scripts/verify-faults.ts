/**
 * npm run verify:faults [-- --runs 10 --meters 350]
 * The "nothing lost" checks that take minutes, for a reviewer to run (not part of `npm test`): a price
 * backfill (another process writing to the same embedded database) beside a 1M-row upload, `--runs`
 * times. Every upload must either hold all its rows in the log (VALIDATED, the readings events summing
 * to the accepted rows and to the generator's count of good rows) or say FAILED; prints one line a run.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readingsHeaderOf } from '../src/domain/readings/readings-batch';
import { emptyCounts, generateReadings } from '../src/tools/readings-generator';
import { pricesBackfillCli, startFakeEntsoe } from '../test/support/fake-entsoe';
import { startTestServer, uploadFile } from '../test/support/test-server';

const run = promisify(execFile);

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
}

async function main(): Promise<void> {
  const runs = option('runs', 10);
  const meters = option('meters', 350);
  const counts = emptyCounts();
  const csv = [...generateReadings({ month: '2026-10', meters, errorRate: 0.001, seed: 7 }, counts)].join('\n');
  process.stdout.write(`file: ${counts.rows} rows, ${counts.valid} good\n`);
  const fake = await startFakeEntsoe((at) => 30 + ((at / 3_600_000) % 24));
  let bad = 0;
  try {
    for (let i = 1; i <= runs; i++) {
      const t = await startTestServer({ PRICE_SOURCE_URL: fake.url, ENTSOE_TOKEN: 'test-token' });
      try {
        const { args, env } = pricesBackfillCli(t.config.dataDir, fake);
        const cli = [...args, '--from', '2025-11-01', '--to', '2026-10-31'];
        const backfill = run(process.execPath, cli, { env, maxBuffer: 16 * 1024 * 1024 }).then(
          (r) => `backfill ok ${JSON.parse(r.stdout.trim().split('\n').pop()!).appended} days`,
          (e: unknown) => `backfill failed: ${String(e).slice(0, 120)}`,
        );
        const upload = (await uploadFile(t.url, csv)).data!.uploadReadings;
        let inLog = 0;
        for await (const event of t.server.services!.eventStore.readStream(`upload-${upload.uploadId}`)) {
          if (event.type === 'ReadingsAccepted') inLog += readingsHeaderOf(event.data).count;
        }
        const whole = upload.status === 'VALIDATED' && upload.acceptedRows === counts.valid && inLog === counts.valid;
        const ok = whole || upload.status === 'FAILED';
        if (!ok) bad += 1;
        process.stdout.write(
          `run ${i}: ${upload.status}, accepted ${upload.acceptedRows}, readings in the log ${inLog}: ${ok ? 'ok' : 'LOST ROWS'}; ${await backfill}\n`,
        );
      } finally {
        await t.close();
      }
    }
  } finally {
    await fake.close();
  }
  process.stdout.write(bad === 0 ? `all ${runs} runs held every row or said FAILED\n` : `${bad} runs lost rows\n`);
  process.exit(bad === 0 ? 0 : 1);
}

main().catch((error: unknown) => {
  process.stderr.write(`verify-faults failed: ${String(error)}\n`);
  process.exit(1);
});
