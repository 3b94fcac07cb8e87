import { createHmac, randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

/**
 * Each webhook's signing secret, derived from one server key (HMAC-SHA256 of the webhook's id): the log
 * holds no secret, so a copy of the log (a backup, an event store shared for reading) signs nothing.
 * Webhooks registered before secrets were derived keep the secret their event holds.
 */
export class WebhookSecrets {
  constructor(private readonly key: Buffer) {
    if (key.length < 32) throw new Error('the webhook secret key must be at least 32 bytes');
  }

  secretOf(webhookId: string): string {
    return createHmac('sha256', this.key).update(`webhook-signing-secret/${webhookId}`).digest('base64url');
  }
}

/**
 * The server key: `WEBHOOK_SECRET_KEY` when set, else the key file (made at the first start, 32 random
 * bytes, readable by this user only; processes that share the key share the file, as the compose
 * stack's API and projector do). Losing it changes every webhook's secret: back it up with the log.
 */
export function loadWebhookSecrets(options: { key: string | null; keyFile: string }): WebhookSecrets {
  if (options.key !== null) return new WebhookSecrets(Buffer.from(options.key, 'utf8'));
  mkdirSync(dirname(options.keyFile), { recursive: true, mode: 0o700 });
  try {
    createDurably(options.keyFile, randomBytes(32).toString('base64'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  chmodSync(options.keyFile, 0o600);
  return new WebhookSecrets(Buffer.from(readFileSync(options.keyFile, 'utf8').trim(), 'base64'));
}

/**
 * Creates a file whole, with its content on the disk before it returns (the file and its directory entry
 * fsynced): a secret answered to a caller must survive a power cut. Written aside, then linked into
 * place, so of two processes starting at once one makes it (the other gets EEXIST) and neither ever
 * reads it half-written.
 */
function createDurably(path: string, content: string): void {
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(aside, 'wx', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(aside, path);
  } finally {
    unlinkSync(aside);
  }
  const directory = openSync(dirname(path), 'r');
  try {
    fsyncSync(directory);
  } finally {
    closeSync(directory);
  }
}
