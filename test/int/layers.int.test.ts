import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/*
 * The layer rules of `npm run lint` (.dependency-cruiser.cjs) hold: a copy of src/ passes them, and the
 * same copy with a file that breaks a rule fails, naming the rule.
 */
const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const depcruise = join(root, 'node_modules', '.bin', 'depcruise');

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'layers-'));
  cpSync(join(root, 'src'), join(dir, 'src'), { recursive: true });
  for (const file of ['tsconfig.json', '.dependency-cruiser.cjs']) cpSync(join(root, file), join(dir, file));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function cruise(): Promise<{ failed: boolean; output: string }> {
  try {
    const { stdout } = await run(depcruise, ['src', '--config', '.dependency-cruiser.cjs'], { cwd: dir });
    return { failed: false, output: stdout };
  } catch (error) {
    const { stdout, stderr } = error as { stdout: string; stderr: string };
    return { failed: true, output: stdout + stderr };
  }
}

describe('the layers lint holds', () => {
  it('passes the sources as they are', async () => {
    const result = await cruise();
    expect(result.output).toContain('no dependency violations found');
    expect(result.failed).toBe(false);
  }, 60_000);

  it('fails a port that imports a projection', async () => {
    writeFileSync(
      join(dir, 'src/ports/probe.ts'),
      "import { PROJECTION_VERSIONS } from '../projections/catalogue';\nexport const probe = PROJECTION_VERSIONS;\n",
    );
    const result = await cruise();
    expect(result.failed).toBe(true);
    expect(result.output).toMatch(/ports-speak-the-domain: src\/ports\/probe\.ts → src\/projections\/catalogue\.ts/);
  }, 60_000);

  it('fails the domain importing infrastructure, however deep the file sits', async () => {
    writeFileSync(
      join(dir, 'src/domain/readings/format/probe.ts'),
      "import { prepareDataDir } from '../../../infrastructure/data-dir';\nexport const probe = prepareDataDir;\n",
    );
    const result = await cruise();
    expect(result.failed).toBe(true);
    expect(result.output).toMatch(
      /domain-imports-only-the-domain: src\/domain\/readings\/format\/probe\.ts → src\/infrastructure\/data-dir\.ts/,
    );
  }, 60_000);

  it('fails an adapter that imports a projection, and a projection that imports an adapter', async () => {
    writeFileSync(
      join(dir, 'src/infrastructure/sqlite/probe.ts'),
      "import { BillingProjection } from '../../projections/billing/projection';\nexport const probe = BillingProjection;\n",
    );
    writeFileSync(
      join(dir, 'src/projections/probe.ts'),
      "import { SqliteEventStore } from '../infrastructure/sqlite/sqlite-event-store';\nexport const probe = SqliteEventStore;\n",
    );
    const result = await cruise();
    expect(result.failed).toBe(true);
    expect(result.output).toMatch(
      /adapters-implement-ports: src\/infrastructure\/sqlite\/probe\.ts → src\/projections\/billing\/projection\.ts/,
    );
    expect(result.output).toMatch(
      /projections-reach-stores-through-ports: src\/projections\/probe\.ts → src\/infrastructure\/sqlite\/sqlite-event-store\.ts/,
    );
  }, 60_000);

  it('fails anything outside app/ importing the composition root, and an import cycle', async () => {
    writeFileSync(
      join(dir, 'src/jobs/probe.ts'),
      "import { startServer } from '../app/composition-root';\nexport const probe = startServer;\n",
    );
    writeFileSync(join(dir, 'src/common/probe-a.ts'), "import { b } from './probe-b';\nexport const a = () => b;\n");
    writeFileSync(join(dir, 'src/common/probe-b.ts'), "import { a } from './probe-a';\nexport const b = () => a;\n");
    const result = await cruise();
    expect(result.failed).toBe(true);
    expect(result.output).toMatch(/nothing-imports-the-app: src\/jobs\/probe\.ts → src\/app\/composition-root\.ts/);
    expect(result.output).toMatch(/no-cycles: src\/common\/probe-a\.ts → /);
  }, 60_000);
});

describe('docs/architecture.md', () => {
  it('names every folder of src/', () => {
    const text = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8');
    const folders = (dir: string): string[] =>
      readdirSync(join(root, dir), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .flatMap((entry) => [`${dir}/${entry.name}`, ...folders(`${dir}/${entry.name}`)]);
    const unnamed = folders('src').filter((folder) => !text.includes(`\`${folder}/\``));
    expect(unnamed).toEqual([]);
  });
});
