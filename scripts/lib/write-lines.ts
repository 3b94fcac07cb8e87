import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/** Writes generated lines to a file in blocks, waiting for the disk when it lags. */
export async function writeLines(path: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(path);
  let buffer: string[] = [];
  for (const line of lines) {
    buffer.push(line);
    if (buffer.length >= 20_000) {
      if (!out.write(`${buffer.join('\n')}\n`)) await once(out, 'drain');
      buffer = [];
    }
  }
  out.end(`${buffer.join('\n')}\n`);
  await once(out, 'close');
}
