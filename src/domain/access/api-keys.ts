/**
 * API keys: who may call the service and with which role. Keys are facts in the log (one stream for
 * all of them), so every API instance knows the same keys; only a SHA-256 of each key's secret is ever
 * stored, and the key itself is shown once, when it is created.
 */

export type AccessRole = 'ADMIN' | 'VIEWER';

export const API_KEYS_STREAM = 'apikeys';
const KEY_PREFIX = 'eb';

export interface ApiKeyCreated {
  type: 'ApiKeyCreated';
  data: {
    keyId: string;
    name: string;
    role: AccessRole;
    /** Hex SHA-256 of the key's secret part. */
    secretSha256: string;
    createdBy: string | null;
    createdAt: string;
  };
}

export interface ApiKeyRevoked {
  type: 'ApiKeyRevoked';
  data: { keyId: string; revokedBy: string | null; revokedAt: string };
}

export type ApiKeyEvent = ApiKeyCreated | ApiKeyRevoked;

/** A key as known from its events: what it was created with, and its revocation if any. */
export interface ApiKeyDoc extends Readonly<ApiKeyCreated['data']> {
  revokedAt: string | null;
  revokedBy: string | null;
}

/** The keys after one more event (a new map: the state is shared by concurrent readers). */
export function evolveApiKeys(keys: ReadonlyMap<string, ApiKeyDoc>, event: ApiKeyEvent): Map<string, ApiKeyDoc> {
  const next = new Map(keys);
  switch (event.type) {
    case 'ApiKeyCreated':
      if (!next.has(event.data.keyId)) next.set(event.data.keyId, { ...event.data, revokedAt: null, revokedBy: null });
      return next;
    case 'ApiKeyRevoked': {
      const key = next.get(event.data.keyId);
      if (key !== undefined && key.revokedAt === null)
        next.set(key.keyId, { ...key, revokedAt: event.data.revokedAt, revokedBy: event.data.revokedBy });
      return next;
    }
    default: {
      const unhandled: never = event;
      throw new Error(`unknown API key event ${JSON.stringify(unhandled)}`);
    }
  }
}

/** An API key event from a recorded one, or null for anything else. */
export function toApiKeyEvent(type: string, data: unknown): ApiKeyEvent | null {
  if (type === 'ApiKeyCreated' || type === 'ApiKeyRevoked') return { type, data } as ApiKeyEvent;
  return null;
}

/** The key as the caller sends it: `eb_<keyId>_<secret>`. */
export function formatApiKey(keyId: string, secret: string): string {
  return `${KEY_PREFIX}_${keyId}_${secret}`;
}

/** The id and secret of a key as sent, or null when it is not shaped like one. */
export function parseApiKey(text: string): { keyId: string; secret: string } | null {
  const match = /^eb_([0-9a-f]{16})_([A-Za-z0-9_-]{32,128})$/.exec(text);
  return match === null ? null : { keyId: match[1]!, secret: match[2]! };
}

/** A key name: what the audit trail (`uploadedBy`) shows. */
export function checkKeyName(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 64) return 'a key name has 1 to 64 characters';
  if (!/^[\p{L}\p{N} ._@-]+$/u.test(trimmed)) return 'a key name has letters, digits, spaces and . _ @ - only';
  return null;
}
