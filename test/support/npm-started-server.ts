/**
 * The server started with the very flags and environment `npm start` gives it (read from package.json,
 * so a 256 MB heap stays a 256 MB heap), in its own process, with its output kept and its resident
 * memory sampled from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(__dirname, '../..');

/** `npm start`'s environment assignments and node flags, from its script. */
function npmStartCommand(): { env: Record<string, string>; flags: string[] } {
  const script = (JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { scripts: { start: string } })
    .scripts.start;
  const words = script.split('&&').at(-1)!.trim().split(/\s+/);
  const env: Record<string, string> = {};
  let at = 0;
  for (; /^[A-Z_]+=/.test(words[at]!); at++) {
    const [name, ...value] = words[at]!.split('=');
    env[name!] = value.join('=');
  }
  if (words[at] !== 'node') throw new Error(`npm start does not run node: ${script}`);
  const flags: string[] = [];
  for (at++; at < words.length && words[at] !== '--require'; at++) flags.push(words[at]!);
  return { env, flags };
}

export interface NpmStartedServer {
  child: ChildProcess;
  /** Its URL once it listens; rejects, with its output, when it exits first. */
  ready: Promise<string>;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Its resident memory now, in MB (null once it has exited). */
  rssMb(): number | null;
  /** Ends it (SIGTERM, or SIGKILL) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function startLikeNpmStart(dataDir: string, env: Record<string, string> = {}): NpmStartedServer {
  const command = npmStartCommand();
  const child = spawn(process.execPath, [...command.flags, '--require', 'tsx/cjs', 'src/app/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      ...command.env,
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      PRICE_SCRAPE: 'off',
      AUTH: 'off',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = once(child, 'exit');
  const ready = new Promise<string>((resolveReady, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const url = /ready at (\S+)/.exec(output)?.[1];
      if (url !== undefined) resolveReady(url);
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code, signal) =>
      reject(new Error(`server exited with ${code ?? signal} before it was ready:\n${output}`)),
    );
  });
  ready.catch(() => undefined);
  return {
    child,
    ready,
    output: () => output,
    rssMb() {
      try {
        const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
        return kb === undefined ? null : Number(kb) / 1024;
      } catch {
        return null;
      }
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Asks /healthz one request after another until stopped; answers the slowest answer, in ms. */
export function probeHealth(url: string): { stop(): Promise<number> } {
  let slowest = 0;
  let stopped = false;
  const probing = (async () => {
    while (!stopped) {
      const asked = Date.now();
      const answer = await fetch(new URL('/healthz', url));
      await answer.text();
      if (answer.status !== 200) throw new Error(`/healthz answered ${answer.status}`);
      slowest = Math.max(slowest, Date.now() - asked);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await probing;
      return slowest;
    },
  };
}
