/**
 * npm run gen -- readings --month 2026-10 --meters 350 [--days N] [--error-rate R] [--seed N] > readings.csv
 * npm run gen -- prices --month 2026-10 [--interval 60] > prices.csv
 * Counts of the injected bad rows go to stderr as one JSON line.
 */
import { emptyCounts, generatePrices, generateReadings } from '../src/tools/readings-generator';

const [mode, ...rest] = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = rest.indexOf(`--${name}`);
  return at >= 0 ? rest[at + 1] : undefined;
};
const numberOption = (name: string): number | undefined => {
  const value = option(name);
  return value === undefined ? undefined : Number(value);
};

function write(lines: Iterable<string>): void {
  let buffer: string[] = [];
  for (const line of lines) {
    buffer.push(line);
    if (buffer.length >= 20_000) {
      process.stdout.write(`${buffer.join('\n')}\n`);
      buffer = [];
    }
  }
  if (buffer.length > 0) process.stdout.write(`${buffer.join('\n')}\n`);
}

const month = option('month') ?? '2026-10';
const timeZone = option('tz') ?? 'Europe/Sofia';
if (mode === 'readings') {
  const counts = emptyCounts();
  write(
    generateReadings(
      {
        month,
        timeZone,
        meters: numberOption('meters') ?? 350,
        ...(option('days') === undefined ? {} : { days: numberOption('days') }),
        errorRate: numberOption('error-rate') ?? 0,
        seed: numberOption('seed') ?? 7,
        intervalMinutes: numberOption('interval') ?? 15,
      },
      counts,
    ),
  );
  process.stderr.write(`${JSON.stringify(counts)}\n`);
} else if (mode === 'prices') {
  write(
    generatePrices({
      month,
      timeZone,
      intervalMinutes: numberOption('interval') ?? 60,
      ...(option('days') === undefined ? {} : { days: numberOption('days') }),
    }),
  );
} else {
  process.stderr.write(
    'usage: npm run gen -- readings|prices [--month YYYY-MM] [--days N] [--meters N] [--error-rate R]\n',
  );
  process.exit(2);
}
