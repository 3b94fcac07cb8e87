/**
 * npm run prices:scrape -- --date YYYY-MM-DD
 * npm run prices:backfill -- --from YYYY-MM-DD --to YYYY-MM-DD
 *
 * Fetch day-ahead prices from PRICE_SOURCE and publish the days that changed. The backfill shows a
 * progress bar, is idempotent (an unchanged day appends nothing) and resumable: it records the last day
 * done in DATA_DIR/backfill-FROM-TO.json and starts after it when run again. Works beside a running
 * server (the event store takes concurrent writers); the server's projections pick the days up.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../src/config';
import { addDays, datesBetween, parseLocalDate } from '../src/domain/billing/calendar';
import { ZonedClock } from '../src/domain/time/zoned-time';
import { openEventStore } from '../src/app/backends';
import { createLogger } from '../src/logger';
import { scrapeServiceFor } from '../src/pricing/scrape-service';

const [command, ...args] = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
};
const requireDate = (name: string): string => {
  const value = option(name);
  if (value === undefined || parseLocalDate(value) === null) {
    process.stderr.write(`--${name} YYYY-MM-DD is required\n`);
    process.exit(2);
  }
  return value;
};

function progress(done: number, total: number, date: string, note: string): void {
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(
    `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${date} ${note}`.padEnd(90),
  );
}

async function main(): Promise<void> {
  const config = loadConfig();
  const clock = new ZonedClock(config.billingTimeZone);
  const { eventStore, close } = await openEventStore(config, createLogger(config.logLevel));
  const service = scrapeServiceFor(config, clock, eventStore);
  try {
    if (command === 'scrape') {
      const result = await service.scrapeDay(requireDate('date'));
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    if (command !== 'backfill') {
      process.stderr.write('usage: prices.ts scrape --date YYYY-MM-DD | backfill --from YYYY-MM-DD --to YYYY-MM-DD\n');
      process.exit(2);
    }
    const from = requireDate('from');
    const to = requireDate('to');
    const all = datesBetween(from, to);
    if (all.length === 0) throw new Error(`--from ${from} is after --to ${to}`);
    const stateFile = join(config.dataDir, `backfill-${from}-${to}.json`);
    const lastDone = existsSync(stateFile)
      ? (JSON.parse(readFileSync(stateFile, 'utf8')) as { lastDone: string }).lastDone
      : null;
    const todo = lastDone === null ? all : datesBetween(addDays(lastDone, 1), to);
    if (lastDone !== null) process.stderr.write(`resuming after ${lastDone}\n`);
    const summary = { days: todo.length, appended: 0, unchanged: 0, incomplete: [] as string[] };
    for (const [i, date] of todo.entries()) {
      const result = await service.scrapeDay(date);
      if (result.appended) summary.appended += 1;
      else summary.unchanged += 1;
      if (!result.complete) summary.incomplete.push(date);
      writeFileSync(stateFile, JSON.stringify({ lastDone: date }));
      progress(
        all.length - todo.length + i + 1,
        all.length,
        date,
        `${result.points} points${result.appended ? '' : ' (unchanged)'}`,
      );
    }
    process.stderr.write('\n');
    rmSync(stateFile, { force: true });
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    await close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `\nprices ${command ?? ''} failed: ${error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
