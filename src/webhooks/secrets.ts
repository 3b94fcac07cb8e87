import { createHmac, randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import {
  evolveWebhook,
  WEBHOOK_STREAM_PREFIX,
  type WebhookEvent,
  type WebhookRegistered,
} from '../domain/webhooks/events';
import type { EventStore } from '../ports/event-store';

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

/** The command that makes a new key on purpose (scripts/webhook-key.ts). */
export const ROTATE_COMMAND = 'npm run webhooks:rotate-key';

/**
 * The server key as a start loads it: a key file that is missing while webhooks signed with it are
 * registered is not silently made again (every receiver's signature check would fail from then on):
 * the start is refused, saying how to restore it or make a new one on purpose.
 */
export async function openWebhookSecrets(
  options: { key: string | null; keyFile: string },
  eventStore: EventStore,
): Promise<WebhookSecrets> {
  if (options.key === null && !existsSync(options.keyFile)) {
    const signed = (await activeWebhooks(eventStore)).filter((w) => w.secret === undefined);
    if (signed.length > 0) {
      throw new Error(
        `the webhook key file ${options.keyFile} is missing, and ${signed.length} registered webhook(s) sign with the key it held (their receivers would refuse every delivery signed with a new one): restore it from the backup of DATA_DIR (or point WEBHOOK_SECRET_KEY_FILE at it), or make a new key on purpose with \`${ROTATE_COMMAND}\`, which prints each webhook's new secret for its receiver`,
      );
    }
  }
  return loadWebhookSecrets(options);
}

/** The webhooks registered and not removed, from the log. */
export async function activeWebhooks(eventStore: EventStore): Promise<Array<WebhookRegistered['data']>> {
  const states = new Map<string, WebhookRegistered['data'] | null>();
  for await (const recorded of eventStore.readAll({ streamPrefixes: [WEBHOOK_STREAM_PREFIX] })) {
    const event = { type: recorded.type, data: recorded.data } as WebhookEvent;
    states.set(event.data.webhookId, evolveWebhook(states.get(event.data.webhookId) ?? null, event));
  }
  return [...states.values()].filter((w): w is WebhookRegistered['data'] => w !== null);
}

/**
 * Replaces the key file with a new key (the old one kept beside it as `<file>.<time>.old`), written
 * whole before it takes the name: every webhook's derived secret changes, and its receiver must be
 * given the new one. Answers the new secrets.
 */
export function rotateWebhookKey(keyFile: string, now: Date): { secrets: WebhookSecrets; previous: string | null } {
  mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
  const fresh = `${keyFile}.${process.pid}.${randomBytes(4).toString('hex')}.new`;
  createDurably(fresh, randomBytes(32).toString('base64'));
  let previous: string | null = null;
  if (existsSync(keyFile)) {
    previous = `${keyFile}.${now.toISOString().replace(/[:.]/g, '-')}.old`;
    linkSync(keyFile, previous);
  }
  renameSync(fresh, keyFile);
  syncDirectory(dirname(keyFile));
  return { secrets: new WebhookSecrets(Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64')), previous };
}

function syncDirectory(path: string): void {
  const directory = openSync(path, 'r');
  try {
    fsyncSync(directory);
  } finally {
    closeSync(directory);
  }
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
  syncDirectory(dirname(path));
}
