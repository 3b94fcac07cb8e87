/**
 * npm run webhooks:rotate-key
 * Makes a new webhook key (DATA_DIR/webhook-secret.key, or WEBHOOK_SECRET_KEY_FILE) on purpose: after a
 * key file was lost with no backup, or to re-key every webhook. Every webhook's signing secret is derived
 * from the key, so each changes: this prints each webhook's new secret, to be given to its receiver.
 * The old key is kept beside the file. Run it with the servers stopped (it refuses while one projects),
 * and start them again afterwards: deliveries from then on are signed with the new secrets.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { openBackends } from '../src/app/backends';
import { activeWebhooks, rotateWebhookKey } from '../src/webhooks/secrets';

async function main(): Promise<void> {
  const config = loadConfig();
  if (config.webhookSecretKey !== null) {
    throw new Error(
      'WEBHOOK_SECRET_KEY is set, so the key file is not used: rotate by setting it to a new value (openssl rand -base64 32)',
    );
  }
  const logger = createLogger(config.logLevel);
  const backends = await openBackends(config, logger);
  const { lease } = backends.readStore;
  const holder = `${hostname()}:${process.pid}:rotate-key-${randomUUID().slice(0, 8)}`;
  let held = false;
  try {
    held = (await lease.tryAcquire(holder, 60_000, Date.now())) !== null;
    if (!held)
      throw new Error('a running server holds the projector lease: stop the servers first, then rotate the key');
    const webhooks = await activeWebhooks(backends.eventStore);
    const { secrets, previous } = rotateWebhookKey(config.webhookSecretKeyFile, new Date());
    const lines = [
      `A new webhook key is in ${config.webhookSecretKeyFile}${previous === null ? '' : ` (the old one kept as ${previous})`}.`,
      'Give each receiver its new secret before starting the servers again: deliveries are signed with it from then on.',
      ...webhooks.map((w) =>
        w.secret === undefined
          ? `${w.webhookId}  ${w.url}  secret: ${secrets.secretOf(w.webhookId)}`
          : `${w.webhookId}  ${w.url}  unchanged (registered with its own secret)`,
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    if (held) await lease.release(holder);
    await backends.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`webhooks:rotate-key: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
