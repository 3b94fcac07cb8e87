import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { openAsBlob, readFileSync } from 'node:fs';

export interface ChildServer {
  url: string;
  pid: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** The environment settings and node arguments of `npm start` (package.json), so measurements run the server as users do. */
function startCommand(): { env: Record<string, string>; args: string[] } {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } };
  // The command after the Node version check (`node scripts/check-node.cjs && ...`).
  const command = pkg.scripts.start.split('&&').pop()!.trim();
  const words = command.split(/\s+/);
  const env: Record<string, string> = {};
  // Leading NAME=value words are environment settings, as the shell reads them.
  while (/^[A-Z_][A-Z0-9_]*=/.test(words[0] ?? '')) {
    const [name, ...value] = words.shift()!.split('=');
    env[name!] = value.join('=');
  }
  const [program, ...args] = words;
  if (program !== 'node') throw new Error(`expected npm start to run node, found '${pkg.scripts.start}'`);
  return { env, args };
}

/** Starts the server as `npm start` does, in a child process on a loopback port, for benchmarks and comparisons. */
export async function startChildServer(env: Record<string, string>): Promise<ChildServer> {
  const port = 40_000 + Math.floor(Math.random() * 10_000);
  // BENCH_NODE_ARGS adds node flags to the server only, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof' to profile it.
  const extra = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const start = startCommand();
  const child = spawn(process.execPath, [...extra, ...start.args], {
    // AUTH=off: these local measurements send no key (the key check is one small read per request).
    env: {
      ...process.env,
      ...start.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      AUTH: 'off',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready at')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    pid: child.pid!,
    process: child,
    stop: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit').catch(() => undefined);
    },
  };
}

/** The process's resident memory now (VmRSS), in MB. */
export function currentRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

/** Peak resident memory of a process so far (VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

export async function postFile(url: string, query: string, file: string, name: string): Promise<any> {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query, variables: { f: null } }));
  form.append('map', JSON.stringify({ 0: ['variables.f'] }));
  form.append('0', await openAsBlob(file), name);
  const response = await fetch(url, { method: 'POST', headers: { 'Apollo-Require-Preflight': 'true' }, body: form });
  const body = (await response.json()) as { data?: any; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

export async function query(url: string, text: string, variables: Record<string, unknown> = {}): Promise<any> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: text, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}
