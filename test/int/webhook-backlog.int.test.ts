/**
 * Webhook backlogs (issue 32, items 11-13), on servers started as `npm start` starts them (256 MB heap),
 * each in its own process, with receivers on 127.0.0.1:
 * - 100 webhooks (the most allowed) and 2,000 invoices issued at once: the server lives, the issuer is
 *   answered, resident memory stays under 300 MB while 200,000 deliveries are owed, and a restart with
 *   the backlog still owed listens, stays under 300 MB, goes on delivering and lets a webhook be removed;
 * - a receiver that never answers beside a healthy one: the healthy one gets its 200 invoices in 30 s;
 * - a deleted webhook-secret.key with webhooks registered: the start is refused, naming the file; the
 *   rotation command re-keys, printing the secret the next deliveries are signed with.
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeHealth, startLikeNpmStart, type NpmStartedServer } from '../support/npm-started-server';
import { verifySignature } from '../../src/webhooks/signature';
import { graphql } from '../support/test-server';

jest.setTimeout(300_000);

const SERVER_ENV = { WEBHOOK_ALLOW_PRIVATE: 'true', MUTATIONS_PER_MINUTE: '100000' };

interface Receiver {
  url: string;
  server: Server;
  /** Delivery ids received, by path. */
  received: Map<string, Set<string>>;
  /** The first few deliveries' bodies and signatures. */
  signed: Array<{ body: string; signature: string }>;
  total(): number;
  close(): Promise<void>;
}

/** A receiver on 127.0.0.1: `answer` false leaves every request hanging (it never answers). */
async function receiver(answer: boolean): Promise<Receiver> {
  const received = new Map<string, Set<string>>();
  const hanging: ServerResponse[] = [];
  let total = 0;
  const signed: Array<{ body: string; signature: string }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      total += 1;
      const path = req.url ?? '';
      const ids = received.get(path) ?? new Set<string>();
      ids.add(String(req.headers['x-delivery-id']));
      if (signed.length < 10)
        signed.push({ body: Buffer.concat(chunks).toString(), signature: String(req.headers['x-signature']) });
      received.set(path, ids);
      if (answer) res.writeHead(200).end();
      else hanging.push(res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    received,
    signed,
    total: () => total,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Samples a server's resident memory every 200 ms until stopped; answers the highest, in MB. */
function sampleRss(server: NpmStartedServer): { stop(): number } {
  let highest = 0;
  const timer = setInterval(() => (highest = Math.max(highest, server.rssMb() ?? 0)), 200);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(highest, server.rssMb() ?? 0);
    },
  };
}

async function ok<T = any>(url: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const answer = await graphql(url, query, variables);
  if (answer.errors !== undefined) throw new Error(JSON.stringify(answer.errors));
  return answer.data as T;
}

/** Webhooks at `<base>/h<i>`, registered 15 to a request (the alias limit). */
async function registerWebhooks(url: string, base: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 15) {
    const aliases = [];
    for (let i = start; i < Math.min(count, start + 15); i++)
      aliases.push(`h${i}: registerWebhook(url: "${base}/h${i}") { id }`);
    const data = await ok<Record<string, { id: string }>>(url, `mutation { ${aliases.join('\n')} }`);
    for (let i = start; i < Math.min(count, start + 15); i++) ids.push(data[`h${i}`]!.id);
  }
  return ids;
}

/**
 * Accounts with one meter each and no readings: the cheapest documents there are (issued with force, on
 * standing charges alone). Seven accounts and their meters a request (14 aliases), sixteen requests at once (each waits for the read models, not the CPU).
 */
async function openAccounts(url: string, count: number): Promise<void> {
  const requests: string[] = [];
  for (let start = 0; start < count; start += 7) {
    const aliases = [];
    for (let i = start; i < Math.min(count, start + 7); i++) {
      const id = `ACC-${String(i).padStart(5, '0')}`;
      aliases.push(`a${i}: createAccount(input: { id: "${id}", name: "Customer ${i}", vatRate: "0.20",
        tariff: { kind: FIXED, unitPriceEurMwh: "150", standingChargePerDay: "0.40" } }) { id }`);
      aliases.push(
        `m${i}: assignMeter(account: "${id}", meter: "MB${String(i).padStart(6, '0')}", from: "2026-10-01") { id }`,
      );
    }
    requests.push(`mutation { ${aliases.join('\n')} }`);
  }
  const workers = Array.from({ length: 16 }, async () => {
    for (let request = requests.pop(); request !== undefined; request = requests.pop()) await ok(url, request);
  });
  await Promise.all(workers);
}

const ISSUE = `mutation { issueInvoices(month: "2026-10", force: true) { issued { number } skipped { account } } }`;

describe('webhook backlogs', () => {
  const dirs: string[] = [];
  const servers: NpmStartedServer[] = [];
  const receivers: Receiver[] = [];
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'hook-backlog-'));
    dirs.push(dir);
    return dir;
  };
  const start = (dir: string) => {
    const server = startLikeNpmStart(dir, SERVER_ENV);
    servers.push(server);
    return server;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop('SIGKILL')));
    await Promise.all(receivers.splice(0).map((r) => r.close()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('100 webhooks and 2,000 invoices: the issuer is answered, RSS stays under 300 MB, and so does a restart, which delivers on and removes a webhook', async () => {
    const hooks = await receiver(true);
    receivers.push(hooks);
    const dir = dataDir();
    const first = start(dir);
    const url = await first.ready;
    const webhookIds = await registerWebhooks(url, hooks.url, 100);
    await openAccounts(url, 2_000);

    const rss = sampleRss(first);
    const issued = await ok<{ issueInvoices: { issued: unknown[] } }>(url, ISSUE);
    expect(issued.issueInvoices.issued).toHaveLength(2_000);
    // 200,000 deliveries owed: let it deliver a while (at least 3,000 of them), asking /healthz meanwhile.
    const health = probeHealth(url);
    await until(() => hooks.total() >= 3_000, 180_000, '3,000 deliveries');
    const slowest = await health.stop();
    expect(slowest).toBeLessThan(2_000);
    const highest = rss.stop();
    expect(highest).toBeLessThan(300);
    expect(hooks.total()).toBeLessThan(200_000); // still a backlog when it stops
    await first.stop('SIGKILL');

    // Restarted with the backlog still owed: it listens, stays under 300 MB, delivers on (before, every
    // restart ran out of memory before it listened).
    const before = hooks.total();
    const second = start(dir);
    const again = await second.ready;
    const rssAgain = sampleRss(second);
    await until(() => hooks.total() >= before + 2_000, 180_000, '2,000 more deliveries after the restart');
    expect(await ok(again, `mutation($id: ID!) { removeWebhook(id: $id) }`, { id: webhookIds[0] })).toEqual({
      removeWebhook: true,
    });
    const listed = await ok<{ webhooks: Array<{ id: string }> }>(again, `{ webhooks { id } }`);
    expect(listed.webhooks.map((w) => w.id)).not.toContain(webhookIds[0]);
    expect(rssAgain.stop()).toBeLessThan(300);
    // Every webhook had its share: 100 paths delivered to, not one receiver's queue before the others'.
    expect(hooks.received.size).toBe(100);
  });

  it('a receiver that never answers delays only itself: the healthy one gets all 200 invoices within 30 s', async () => {
    const healthy = await receiver(true);
    const hung = await receiver(false);
    receivers.push(healthy, hung);
    const server = start(dataDir());
    const url = await server.ready;
    await registerWebhooks(url, hung.url, 1);
    await registerWebhooks(url, healthy.url, 1);
    await openAccounts(url, 200);
    const issued = await ok<{ issueInvoices: { issued: unknown[] } }>(url, ISSUE);
    expect(issued.issueInvoices.issued).toHaveLength(200);
    const at = Date.now();
    await until(() => (healthy.received.get('/h0')?.size ?? 0) === 200, 30_000, 'all 200 at the healthy receiver');
    expect(Date.now() - at).toBeLessThan(30_000);
    expect(hung.total()).toBeGreaterThan(0); // it was tried, and held its attempts
  });

  it('a deleted webhook-secret.key with webhooks registered: the start is refused, naming the file and how to restore or rotate it; a rotation re-keys', async () => {
    const hooks = await receiver(true);
    receivers.push(hooks);
    const dir = dataDir();
    const first = start(dir);
    const url = await first.ready;
    const [webhookId] = await registerWebhooks(url, hooks.url, 1);
    await openAccounts(url, 1);
    await first.stop();
    const keyFile = join(dir, 'webhook-secret.key');
    expect(existsSync(keyFile)).toBe(true);
    unlinkSync(keyFile);

    const second = start(dir);
    await expect(second.ready).rejects.toThrow(/exited with 1/);
    const lines = second.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(keyFile);
    expect(lines[0]).toMatch(/restore it from the backup/);
    expect(lines[0]).toMatch(/webhooks:rotate-key/);
    expect(existsSync(keyFile)).toBe(false); // no new key was made in its place

    // Rotated on purpose: the command prints the webhook's new secret, and deliveries are signed with it.
    const rotation = spawnSync(process.execPath, ['--require', 'tsx/cjs', 'scripts/webhook-key.ts'], {
      cwd: join(__dirname, '../..'),
      env: { ...process.env, DATA_DIR: dir, LOG_LEVEL: 'warn' },
      encoding: 'utf8',
    });
    expect(rotation.status).toBe(0);
    const secret = new RegExp(`${webhookId}\\s+\\S+\\s+secret: (\\S+)`).exec(rotation.stdout)?.[1];
    expect(secret).toBeDefined();
    const third = start(dir);
    const again = await third.ready;
    await ok(again, ISSUE);
    await until(() => hooks.signed.length > 0, 30_000, 'a delivery after the rotation');
    const { body, signature } = hooks.signed[0]!;
    expect(verifySignature(secret!, body, signature, Math.floor(Date.now() / 1000))).toBe(true);
  });
});
