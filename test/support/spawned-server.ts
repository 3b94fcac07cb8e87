import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(__dirname, '../..');

/** The server as `npm start` runs it, in its own process, on a data directory; `ready` gives its URL. */
export function spawnServer(
  dataDir: string,
  env: Record<string, string> = {},
): { child: ReturnType<typeof spawn>; ready: Promise<string> } {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/app/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
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
  const ready = new Promise<string>((resolveReady, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      const url = /ready at (\S+)/.exec(chunk.toString())?.[1];
      if (url !== undefined) resolveReady(url);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before it was ready`)));
  });
  return { child, ready };
}
