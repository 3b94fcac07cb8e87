import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import {
  API_KEYS_STREAM,
  checkKeyName,
  evolveApiKeys,
  formatApiKey,
  parseApiKey,
  toApiKeyEvent,
  type AccessRole,
  type ApiKeyDoc,
  type ApiKeyEvent,
} from '../domain/access/api-keys';
import { WrongExpectedRevisionError, type EventStore } from '../ports/event-store';

/** Who a request comes from. */
export interface Caller {
  role: AccessRole | null;
  /** The key's name (or `admin`/`viewer` for the static tokens), recorded as `uploadedBy`. */
  principal: string | null;
  keyId: string | null;
  /** Set when the caller sent a key that was genuine (its secret matched) but has been revoked: when. */
  revokedAt?: string;
}

export const ANONYMOUS: Caller = { role: null, principal: null, keyId: null };

/**
 * What an unauthenticated caller is told. Only a caller who proved it held the key (its whole secret
 * matched) learns that the key was revoked; anyone else learns nothing about which keys exist.
 */
export function unauthenticatedMessage(caller: Caller): string {
  if (caller.revokedAt !== undefined) {
    return `this API key was revoked at ${caller.revokedAt}; ask an admin for a new one (createApiKey)`;
  }
  return 'send Authorization: Bearer <key> with a valid API key';
}

export class ApiKeyInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiKeyInputError';
  }
}

export interface AccessSettings {
  /** `off`: every caller is an admin (local development only). */
  auth: 'on' | 'off';
  adminToken: string | null;
  viewerToken: string | null;
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Equal in constant time (for equal lengths; the lengths of SHA-256 digests always are). */
function sameDigest(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Authenticates callers and manages API keys. Keys live in the log's `apikeys` stream; this service
 * folds it and, before each check, reads what was appended since (one small read), so a key created or
 * revoked on any instance counts at once everywhere.
 */
export class ApiKeyService {
  private keys: ReadonlyMap<string, ApiKeyDoc> = new Map();
  private revision = -1;
  private readonly revokedListeners = new Set<(keyId: string) => void>();
  private readonly staticTokens: Array<{ digest: Buffer; caller: Caller }>;

  constructor(
    private readonly eventStore: EventStore,
    private readonly settings: AccessSettings,
    private readonly now: () => Date,
  ) {
    const tokens: Array<[string | null, Caller]> = [
      [settings.adminToken, { role: 'ADMIN', principal: 'admin', keyId: null }],
      [settings.viewerToken, { role: 'VIEWER', principal: 'viewer', keyId: null }],
    ];
    this.staticTokens = tokens.flatMap(([token, caller]) =>
      token === null ? [] : [{ digest: sha256(token), caller }],
    );
  }

  get authOff(): boolean {
    return this.settings.auth === 'off';
  }

  /** The caller an `Authorization` header (or WebSocket connection parameter) stands for. */
  async authenticate(authorization: string | undefined): Promise<Caller> {
    if (this.authOff) return { role: 'ADMIN', principal: null, keyId: null };
    const token = authorization?.replace(/^Bearer\s+/i, '').trim() ?? '';
    if (token === '') return ANONYMOUS;
    const parsed = parseApiKey(token);
    if (parsed === null) {
      const digest = sha256(token);
      return this.staticTokens.find((t) => sameDigest(t.digest, digest))?.caller ?? ANONYMOUS;
    }
    await this.catchUp();
    const key = this.keys.get(parsed.keyId);
    if (key === undefined) return ANONYMOUS;
    if (!sameDigest(Buffer.from(key.secretSha256, 'hex'), sha256(parsed.secret))) return ANONYMOUS;
    if (key.revokedAt !== null) return { ...ANONYMOUS, revokedAt: key.revokedAt };
    return { role: key.role, principal: key.name, keyId: key.keyId };
  }

  /**
   * On a first start with auth on, no static token and no key yet: creates an admin key and returns it
   * (to be shown once). Null when there are keys or tokens, or another instance made the first key.
   */
  async bootstrap(): Promise<{ key: string; doc: ApiKeyDoc } | null> {
    if (this.authOff || this.staticTokens.length > 0) return null;
    await this.catchUp();
    if (this.revision >= 0) return null;
    try {
      return await this.create('first admin', 'ADMIN', null, 'no_stream');
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) return null;
      throw error;
    }
  }

  async create(
    name: string,
    role: AccessRole,
    createdBy: string | null,
    expected?: 'no_stream',
  ): Promise<{ key: string; doc: ApiKeyDoc }> {
    const problem = checkKeyName(name);
    if (problem !== null) throw new ApiKeyInputError(problem);
    await this.catchUp();
    const trimmed = name.trim();
    if ([...this.keys.values()].some((k) => k.name === trimmed && k.revokedAt === null)) {
      throw new ApiKeyInputError(`a key named '${trimmed}' exists: revoke it first or choose another name`);
    }
    const keyId = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const event: ApiKeyEvent = {
      type: 'ApiKeyCreated',
      data: {
        keyId,
        name: trimmed,
        role,
        secretSha256: sha256(secret).toString('hex'),
        createdBy,
        createdAt: this.now().toISOString(),
      },
    };
    await this.append(event, expected);
    return { key: formatApiKey(keyId, secret), doc: this.keys.get(keyId)! };
  }

  async revoke(keyId: string, revokedBy: string | null): Promise<ApiKeyDoc> {
    await this.catchUp();
    const key = this.keys.get(keyId);
    if (key === undefined) throw new ApiKeyInputError(`no API key ${keyId}`);
    if (key.revokedAt !== null) return key;
    await this.append({
      type: 'ApiKeyRevoked',
      data: { keyId, revokedBy, revokedAt: this.now().toISOString() },
    });
    return this.keys.get(keyId)!;
  }

  /**
   * Told of each revocation this instance learns of: at once for one made here, at its next check of
   * the log for one made elsewhere. Returns the way to stop listening.
   */
  onRevoked(listener: (keyId: string) => void): () => void {
    this.revokedListeners.add(listener);
    return () => this.revokedListeners.delete(listener);
  }

  /** Every key, newest first; never their secrets. */
  async list(): Promise<ApiKeyDoc[]> {
    await this.catchUp();
    return [...this.keys.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** Appends after the last revision seen; a concurrent append elsewhere is read and the append retried. */
  private async append(event: ApiKeyEvent, expected?: 'no_stream'): Promise<void> {
    const id = randomUUID();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.eventStore.appendToStream(API_KEYS_STREAM, [{ id, ...event }], {
          expectedRevision: expected ?? (this.revision < 0 ? 'no_stream' : this.revision),
        });
        break;
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError) || expected !== undefined || attempt >= 3) throw error;
        await this.catchUp();
      }
    }
    await this.catchUp();
  }

  /** Folds what the stream holds past the last revision seen. */
  private async catchUp(): Promise<void> {
    let keys = this.keys;
    let revision = this.revision;
    for await (const recorded of this.eventStore.readStream(API_KEYS_STREAM, { fromRevision: revision + 1 })) {
      if (recorded.revision <= revision) continue;
      const event = toApiKeyEvent(recorded.type, recorded.data);
      if (event !== null) keys = evolveApiKeys(keys, event);
      revision = recorded.revision;
    }
    if (revision > this.revision) {
      const before = this.keys;
      this.keys = keys;
      this.revision = revision;
      for (const [keyId, key] of keys) {
        if (key.revokedAt !== null && before.get(keyId)?.revokedAt === null) {
          for (const listener of this.revokedListeners) listener(keyId);
        }
      }
    }
  }
}
