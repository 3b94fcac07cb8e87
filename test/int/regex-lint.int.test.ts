import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/*
 * The regular-expression rules of `npm run lint` (eslint.config.mjs, eslint-plugin-regexp) hold: in a copy
 * of the project's sources, a file holding a regular expression that takes super-linear time on some input
 * fails eslint, naming the rule, wherever in src/ or scripts/ it sits.
 */
const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const eslint = join(root, 'node_modules', '.bin', 'eslint');

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'regex-lint-'));
  for (const folder of ['src', 'scripts', 'eslint-rules'])
    cpSync(join(root, folder), join(dir, folder), { recursive: true });
  for (const file of ['eslint.config.mjs', 'package.json', 'tsconfig.json']) cpSync(join(root, file), join(dir, file));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function lint(...files: string[]): Promise<{ failed: boolean; output: string }> {
  try {
    const { stdout } = await run(eslint, files, { cwd: dir });
    return { failed: false, output: stdout };
  } catch (error) {
    const { stdout, stderr } = error as { stdout: string; stderr: string };
    return { failed: true, output: stdout + stderr };
  }
}

describe('the regular-expression lint holds', () => {
  it('passes the files the probes stand beside as they are', async () => {
    const result = await lint('src/domain/accounts/parties.ts', 'src/ingestion/record-handler.ts');
    expect(result.output).toBe('');
    expect(result.failed).toBe(false);
  }, 60_000);

  it('fails nested quantifiers, the old email check and the old line-end trim, naming the rule and the line', async () => {
    writeFileSync(
      join(dir, 'src/domain/accounts/probe.ts'),
      'export const probe = (s: string) => /^(a+)+$/.test(s);\n',
    );
    writeFileSync(
      join(dir, 'src/common/probe-email.ts'),
      'const EMAIL = /^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$/;\nexport const probe = (s: string) => EMAIL.test(s);\n',
    );
    writeFileSync(
      join(dir, 'src/ingestion/probe-raw.ts'),
      "export const probe = (s: string) => s.replace(/[\\r\\n]+$/, '');\n",
    );
    writeFileSync(join(dir, 'scripts/probe.ts'), 'export const probe = (s: string) => s.split(/\\s*,\\s*/);\n');
    const result = await lint('src', 'scripts');
    expect(result.failed).toBe(true);
    expect(result.output).toMatch(
      /src\/domain\/accounts\/probe\.ts\n\s+1:\d+\s+error\s+.*regexp\/no-super-linear-backtracking/,
    );
    expect(result.output).toMatch(
      /src\/common\/probe-email\.ts\n\s+1:\d+\s+error\s+.*regexp\/no-super-linear-backtracking/,
    );
    expect(result.output).toMatch(/src\/ingestion\/probe-raw\.ts\n\s+1:\d+\s+error\s+.*regexp\/no-super-linear-move/);
    expect(result.output).toMatch(/scripts\/probe\.ts\n\s+1:\d+\s+error\s+.*regexp\/no-super-linear-move/);
    // Only the probes: the copy of the sources themselves is clean.
    const flagged = result.output.split('\n').filter((line) => line.startsWith(dir));
    expect(flagged.map((line) => line.slice(dir.length + 1)).sort()).toEqual([
      'scripts/probe.ts',
      'src/common/probe-email.ts',
      'src/domain/accounts/probe.ts',
      'src/ingestion/probe-raw.ts',
    ]);
  }, 120_000);
});
