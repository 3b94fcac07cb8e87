import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/*
 * The lint guard of the class "no dictionary keyed by outside data is a plain object"
 * (eslint-rules/no-plain-dictionary.mjs, in `npm run lint` for src/): in a copy of the lint setup, a probe
 * file in src/ holds the shapes that once broke billing (`meterIntervalOf` reading `otherIntervals?.[meter]`
 * from a plain `{}`) and their variants, each line marked FLAG, beside the shapes that are fine, marked OK.
 * The lint must report exactly the FLAG lines.
 */
const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const eslint = join(root, 'node_modules', '.bin', 'eslint');

const PROBE = `import { ownValue, jsonDictionary, type JsonDictionary } from '../json-dictionary';

type MeterId = string;
interface Validated {
  intervalMinutes?: number;
  otherIntervals?: Record<string, number>;
  registers?: { [key: string]: number };
  dictionary?: JsonDictionary<number>;
}

// The shape of the bug: a meter named 'constructor' read Object.
export const intervalOf = (data: Validated, meter: string): number =>
  data.otherIntervals?.[meter] ?? data.intervalMinutes ?? 15; // FLAG
export const registerOf = (data: Validated, key: MeterId): number | undefined => data.registers?.[key]; // FLAG
export const ownIntervalOf = (data: Validated, meter: string): number | undefined => ownValue(data.dictionary, meter); // OK

export function intervalsOf(meters: ReadonlyArray<{ meter: string; minutes: number }>) {
  const intervals: Record<string, number> = {}; // FLAG
  for (const { meter, minutes } of meters) intervals[meter] = minutes; // FLAG
  const byAlias: Record<MeterId, number> = {}; // FLAG
  const viaMap = new Map(meters.map(({ meter, minutes }) => [meter, minutes])); // OK
  const asJson = jsonDictionary(viaMap); // OK
  const entries = Object.fromEntries(viaMap); // FLAG
  const counted = meters.reduce<Record<string, number>>((acc) => acc, {}); // FLAG
  return { intervals, byAlias, asJson, entries, counted };
}

export function has(text: string, meter: string): boolean {
  const parsed: unknown = JSON.parse(text);
  const json = JSON.parse(text);
  const known = { a: 1, b: 2 };
  if (meter in known) return true; // FLAG
  const { [meter]: picked } = json as Record<string, number>; // FLAG
  const { a: fixed } = known; // OK
  const merged = Object.assign({}, json); // FLAG
  const literal = Object.assign({}, { a: 1 }); // OK
  if (picked === fixed || merged === literal) return false;
  if ('a' in known) return true; // OK
  return parsed !== null && json[meter] !== undefined; // FLAG
}

const UNITS = { kWh: 0, Wh: -3 } as const;
type Unit = keyof typeof UNITS;
export const exponentOf = (unit: Unit): number => UNITS[unit]; // OK
export const exponentOfText = (unit: string): number | undefined => (UNITS as Record<string, number>)[unit]; // FLAG
export const nth = (values: readonly number[], i: number): number | undefined => values[i]; // OK
export const fromOptions = (options: Partial<Record<'a' | 'b', number>>, key: 'a' | 'b') => options[key]; // OK
`;

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'no-plain-dictionary-'));
  for (const file of ['eslint.config.mjs', 'tsconfig.json']) cpSync(join(root, file), join(dir, file));
  cpSync(join(root, 'eslint-rules'), join(dir, 'eslint-rules'), { recursive: true });
  mkdirSync(join(dir, 'src', 'domain', 'probe'), { recursive: true });
  cpSync(join(root, 'src', 'domain', 'json-dictionary.ts'), join(dir, 'src', 'domain', 'json-dictionary.ts'));
  writeFileSync(join(dir, 'src', 'domain', 'probe', 'probe.ts'), PROBE);
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface LintResult {
  filePath: string;
  messages: Array<{ ruleId: string | null; line: number; message: string }>;
}

describe('lint refuses plain-object dictionaries in src/', () => {
  it('reports every FLAG line of the probe and no OK line, and passes the helper itself', async () => {
    let stdout: string;
    try {
      ({ stdout } = await run(eslint, ['--format', 'json', 'src'], { cwd: dir, maxBuffer: 16 * 1024 * 1024 }));
    } catch (error) {
      ({ stdout } = error as { stdout: string });
    }
    const results = JSON.parse(stdout) as LintResult[];
    const probe = results.find((r) => r.filePath.endsWith('probe.ts'))!;
    const helper = results.find((r) => r.filePath.endsWith('json-dictionary.ts'))!;
    expect(helper.messages).toEqual([]);
    // Only this rule speaks here (no parse errors, no other rule).
    expect(probe.messages.filter((m) => m.ruleId !== 'local/no-plain-dictionary')).toEqual([]);
    const lines = PROBE.split('\n');
    const flagged = lines.flatMap((line, i) => (line.endsWith('// FLAG') ? [i + 1] : []));
    const reported = [...new Set(probe.messages.map((m) => m.line))].sort((a, b) => a - b);
    expect(reported).toEqual(flagged);
    expect(probe.messages.map((m) => m.message).join('\n')).toContain("it may be 'constructor' or '__proto__'");
  }, 120_000);
});
