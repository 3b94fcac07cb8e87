/**
 * Every example in README.md and docs/ runs as written. Each document gets a fresh server started as
 * `npm start` starts it (auth on, nothing configured: the first start prints the admin key, exported as
 * `KEY` as the README says), and one bash shell whose working directory looks like the project's (its
 * package.json, scripts and sources linked), so `npm run gen` and `curl` work as a reader would type them.
 * Its `sh` blocks run in that shell in order, `graphql` blocks are sent with the key (a subscription
 * over WebSocket, its first answer), and each must answer without an error. Between blocks the runner
 * waits until the projections have read the whole log, as a reader's pause would. A block that cannot
 * run here says so just above it (`<!-- not run: why -->`); no other block is skipped.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnServer } from '../support/spawned-server';
import { graphql, wsClient } from '../support/test-server';

const root = resolve(__dirname, '../..');

interface Example {
  language: 'sh' | 'graphql';
  code: string;
  line: number;
}

/** The runnable blocks of a Markdown file, in order; a block preceded by `<!-- not run: ... -->` is left out. */
export function examplesOf(markdown: string): { run: Example[]; notRun: string[] } {
  const run: Example[] = [];
  const notRun: string[] = [];
  const fence = /^```(sh|graphql)\n([\s\S]*?)^```$/gm;
  for (const match of markdown.matchAll(fence)) {
    const before = markdown.slice(0, match.index).trimEnd();
    const line = before.split('\n').length + 1;
    const reason = /<!-- not run: ([^>]+) -->$/.exec(before)?.[1];
    if (reason !== undefined) notRun.push(`line ${line}: ${reason}`);
    else run.push({ language: match[1] as 'sh' | 'graphql', code: match[2]!, line });
  }
  return { run, notRun };
}

/** One bash process whose state (functions, variables, background jobs) lasts from block to block. */
class Shell {
  private output = '';
  private readonly bash: ChildProcessWithoutNullStreams;
  private count = 0;

  constructor(cwd: string, env: Record<string, string>) {
    this.bash = spawn('bash', ['--norc', '--noprofile'], { cwd, env: { ...process.env, ...env } });
    this.bash.stdout.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.bash.stderr.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  /** Runs a block; its exit status (of the last command) and everything it printed. */
  async run(code: string, timeoutMs = 120_000): Promise<{ status: number; output: string }> {
    this.count += 1;
    const sentinel = `__block_${this.count}_done__`;
    const start = this.output.length;
    this.bash.stdin.write(`${code}\necho "${sentinel} $?"\n`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.output.indexOf(sentinel, start);
      if (at !== -1) {
        const status = Number(/^ (\d+)/.exec(this.output.slice(at + sentinel.length))?.[1] ?? 'NaN');
        if (!Number.isNaN(status)) return { status, output: this.output.slice(start, at) };
      }
      if (Date.now() > deadline) throw new Error(`block timed out; it printed: ${this.output.slice(start)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.bash.stdin.end('kill $(jobs -p) 2>/dev/null; exit\n');
  }
}

/** Waits until /readyz shows every projection with nothing left to read (bounded). */
async function projectionsCaughtUp(base: string, key: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    // With the key: without one, /readyz says only whether the service is ready.
    const report = (await (await fetch(`${base}/readyz`, { headers: { authorization: `Bearer ${key}` } })).json()) as {
      projections?: Array<{ lagSeconds: number }>;
    };
    if (report.projections !== undefined && report.projections.every((p) => p.lagSeconds === 0)) return;
    if (Date.now() > deadline) throw new Error(`projections did not catch up: ${JSON.stringify(report)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A working directory that looks like the project's to npm, with files of its own. */
function workingDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'docs-examples-'));
  for (const name of ['package.json', 'node_modules', 'scripts', 'src', 'tsconfig.json', '.npmrc']) {
    symlinkSync(join(root, name), join(dir, name));
  }
  return dir;
}

const documents = ['README.md', ...readdirSync(join(root, 'docs')).map((name) => `docs/${name}`)];
/** Settings a document tells its reader to start the server with. */
const serverEnv: Record<string, Record<string, string>> = {
  // The accounts walkthrough's webhook receiver listens on this machine.
  'docs/api.md': { WEBHOOK_ALLOW_PRIVATE: 'true' },
};

describe.each(documents)('%s', (document) => {
  const markdown = readFileSync(join(root, document), 'utf8');
  const { run: examples } = examplesOf(markdown);

  it('runs every example as written', async () => {
    const dir = workingDirectory();
    const dataDir = join(dir, 'data');
    const { child, ready } = spawnServer(dataDir, { AUTH: 'on', ...(serverEnv[document] ?? {}) });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const shell = { current: null as Shell | null };
    try {
      const url = (await ready).replace('localhost', '127.0.0.1');
      const base = url.replace(/\/graphql$/, '');
      const port = new URL(url).port;
      const key = /^\s+(eb_[0-9a-f]{16}_\S+)$/m.exec(stdout)?.[1];
      expect(key).toBeDefined();
      shell.current = new Shell(dir, { KEY: key! });
      // The documents speak of the default port; this server has its own.
      const here = (code: string) => code.replaceAll('localhost:4000', `127.0.0.1:${port}`);
      for (const example of examples) {
        await projectionsCaughtUp(base, key!);
        const where = `${document}:${example.line}`;
        if (example.language === 'sh') {
          const { status, output } = await shell.current.run(here(example.code));
          expect({ where, status, output }).toEqual({
            where,
            status: 0,
            output: expect.not.stringContaining('"errors"'),
          });
        } else if (/^\s*subscription\b/.test(example.code)) {
          const client = wsClient(url, { authorization: `Bearer ${key}` });
          try {
            const first = await new Promise<unknown>((resolveFirst) => {
              client.subscribe(
                { query: example.code },
                { next: resolveFirst, error: resolveFirst, complete: () => resolveFirst('completed') },
              );
            });
            expect({ where, first }).toEqual({ where, first: { data: expect.anything() } });
          } finally {
            await client.dispose();
          }
        } else {
          const answer = await graphql(url, example.code, {}, { authorization: `Bearer ${key}` });
          expect({ where, errors: answer.errors }).toEqual({ where, errors: undefined });
        }
      }
      await checksAfter[document]?.(dir, key!, url);
    } finally {
      shell.current?.close();
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});

/** What a document's walkthrough promises at its end, checked once its examples ran. */
const checksAfter: Record<string, (dir: string, key: string, url: string) => Promise<void>> = {
  // The accounts walkthrough issues invoices and corrects one; the receiver gets both kinds of document.
  'docs/api.md': async (dir) => {
    const log = join(dir, 'webhooks.log');
    const deadline = Date.now() + 30_000;
    for (;;) {
      const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
      if (text.includes('"type":"invoice.issued"') && text.includes('"type":"credit_note.issued"')) return;
      if (Date.now() > deadline) throw new Error(`the receiver did not get an invoice and a credit note: ${text}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  },
};

it('has runnable examples, and says why of each one it does not run', () => {
  for (const document of documents) {
    const { notRun } = examplesOf(readFileSync(join(root, document), 'utf8'));
    for (const reason of notRun) expect(reason).toMatch(/^line \d+: \S.{9,}/);
  }
  expect(examplesOf(readFileSync(join(root, 'README.md'), 'utf8')).run.length).toBeGreaterThanOrEqual(5);
  expect(examplesOf(readFileSync(join(root, 'docs/api.md'), 'utf8')).run.length).toBeGreaterThanOrEqual(15);
});
