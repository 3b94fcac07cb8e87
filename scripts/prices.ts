/**
 * npm run prices:scrape -- --date YYYY-MM-DD
 * npm run prices:backfill -- --from YYYY-MM-DD --to YYYY-MM-DD
 *
 * Fetch day-ahead prices from PRICE_SOURCE and publish the days that changed. The backfill shows a
 * progress bar, is idempotent (an unchanged day appends nothing) and resumable: it records the last day
 * done in DATA_DIR/backfill-FROM-TO.json and starts after it when run again. Works beside a running
 * server (the event store takes concurrent writers); the server's projections pick the days up.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * Records the last day done by replacing the state file whole (written aside, then renamed over it): a
 * kill -9 leaves the old record or the new one, never a half-written file.
 */
function recordDone(stateFile: string, date: string): void {
  const aside = `${stateFile}.${process.pid}.tmp`;
  writeFileSync(aside, JSON.stringify({ lastDone: date }));
  renameSync(aside, stateFile);
}

/** The last day a run recorded done; null to start from --from (also when the record cannot be read). */
function lastDoneOf(stateFile: string): string | null {
  if (!existsSync(stateFile)) return null;
  try {
    const { lastDone } = JSON.parse(readFileSync(stateFile, 'utf8')) as { lastDone?: unknown };
    if (typeof lastDone === 'string' && parseLocalDate(lastDone) !== null) return lastDone;
  } catch {
    // Unreadable (an older version could leave it half-written): starting over is safe, see below.
  }
  process.stderr.write(
    `${stateFile} does not say which day was done last: starting from --from again (days already published append nothing)\n`,
  );
  return null;
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
    const lastDone = lastDoneOf(stateFile);
    const todo = lastDone === null ? all : datesBetween(addDays(lastDone, 1), to);
    if (lastDone !== null) process.stderr.write(`resuming after ${lastDone}\n`);
    const summary = { days: todo.length, appended: 0, unchanged: 0, incomplete: [] as string[] };
    for (const [i, date] of todo.entries()) {
      const result = await service.scrapeDay(date);
      if (result.appended) summary.appended += 1;
      else summary.unchanged += 1;
      if (!result.complete) summary.incomplete.push(date);
      recordDone(stateFile, date);
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
