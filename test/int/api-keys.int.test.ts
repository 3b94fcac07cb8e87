/**
 * The API key service on a real SQLite log, two instances side by side (as two API processes would be):
 * a key made on one works on the other, a revocation on one is refused by the other at once, only one
 * first key is ever made, and the stored events hold no secret.
 */
import { ApiKeyService } from '../../src/access/api-key-service';
import { API_KEYS_STREAM, parseApiKey } from '../../src/domain/access/api-keys';
import { openSqliteDatabase } from '../../src/infrastructure/sqlite/database';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store';

const settings = { auth: 'on' as const, adminToken: null, viewerToken: null };
const now = () => new Date('2026-11-22T08:00:00Z');

describe('API keys on a shared log', () => {
  it('makes one first key, shares keys and revocations between instances, and stores no secret', async () => {
    const store = new SqliteEventStore(openSqliteDatabase(':memory:'));
    const one = new ApiKeyService(store, settings, now);
    const two = new ApiKeyService(store, settings, now);

    const [firstA, firstB] = await Promise.all([one.bootstrap(), two.bootstrap()]);
    expect([firstA, firstB].filter((f) => f !== null)).toHaveLength(1);
    const admin = (firstA ?? firstB)!.key;
    expect(await one.bootstrap()).toBeNull();
    expect(await two.authenticate(`Bearer ${admin}`)).toMatchObject({ role: 'ADMIN', principal: 'first admin' });

    const viewer = await one.create('dashboard', 'VIEWER', 'first admin');
    expect(await two.authenticate(`Bearer ${viewer.key}`)).toMatchObject({ role: 'VIEWER', principal: 'dashboard' });
    await expect(two.create('dashboard', 'ADMIN', null)).rejects.toThrow(/exists/);
    await expect(one.create('', 'ADMIN', null)).rejects.toThrow(/1 to 64/);

    await two.revoke(viewer.doc.keyId, 'first admin');
    expect((await one.authenticate(`Bearer ${viewer.key}`)).role).toBeNull();
    expect((await one.revoke(viewer.doc.keyId, null)).revokedAt).not.toBeNull(); // revoking again: no change

    // The same id with another secret is not the key.
    const { keyId } = parseApiKey(viewer.key)!;
    expect((await one.authenticate(`Bearer eb_${keyId}_${'A'.repeat(43)}`)).role).toBeNull();
    expect((await one.authenticate('Bearer nonsense')).role).toBeNull();
    expect((await one.authenticate(undefined)).role).toBeNull();

    const stored: string[] = [];
    for await (const event of store.readStream(API_KEYS_STREAM)) stored.push(JSON.stringify(event.data));
    expect(stored).toHaveLength(3);
    for (const key of [admin, viewer.key]) {
      const secret = parseApiKey(key)!.secret;
      expect(stored.join('\n')).not.toContain(secret);
    }
    expect((await one.list()).map((k) => [k.name, k.revokedAt !== null])).toEqual(
      expect.arrayContaining([
        ['first admin', false],
        ['dashboard', true],
      ]),
    );
    await store.close();
  });

  it('takes the fixed tokens in constant time, makes no first key beside them, and lets everyone in with AUTH=off', async () => {
    const store = new SqliteEventStore(openSqliteDatabase(':memory:'));
    const tokens = new ApiKeyService(
      store,
      { auth: 'on', adminToken: 'a-long-admin-token', viewerToken: 'v-token' },
      now,
    );
    expect(await tokens.bootstrap()).toBeNull();
    expect(await tokens.authenticate('Bearer a-long-admin-token')).toMatchObject({ role: 'ADMIN', principal: 'admin' });
    expect(await tokens.authenticate('v-token')).toMatchObject({ role: 'VIEWER' });
    expect((await tokens.authenticate('Bearer a-long-admin-tokeN')).role).toBeNull();
    const off = new ApiKeyService(store, { auth: 'off', adminToken: null, viewerToken: null }, now);
    expect(await off.bootstrap()).toBeNull();
    expect((await off.authenticate(undefined)).role).toBe('ADMIN');
    await store.close();
  });
});
