import { MongoServerError, type ClientSession } from 'mongodb';
import type { ProjectionCheckpoints, ProjectionVersions, ProjectorLease } from '../../ports/projection-state';
import { CHECKPOINTS, LEASES, VERSIONS } from './collections';
import type { MongoReadStore } from './mongo-database';

interface CheckpointDocument {
  _id: string;
  position: string;
  updatedAt: Date;
}

/** Checkpoints in the read-model database, each written after the read-model writes it covers. */
export class MongoCheckpoints implements ProjectionCheckpoints {
  constructor(private readonly store: MongoReadStore) {}

  private get collection() {
    return this.store.db.collection<CheckpointDocument>(CHECKPOINTS);
  }

  async get(name: string): Promise<string | null> {
    return (await this.collection.findOne({ _id: name }))?.position ?? null;
  }

  /** With a session, the write is part of that session's transaction (the read-model writes it covers). */
  async set(name: string, position: string, session?: ClientSession): Promise<void> {
    await this.collection.updateOne(
      { _id: name },
      { $set: { position, updatedAt: new Date() } },
      { upsert: true, ...(session === undefined ? {} : { session }) },
    );
  }

  async delete(name: string): Promise<void> {
    await this.collection.deleteOne({ _id: name });
  }

  /** Hands a rebuilt copy's checkpoint to the live name. */
  async move(from: string, to: string): Promise<void> {
    const position = await this.get(from);
    if (position !== null) await this.set(to, position);
    await this.delete(from);
  }
}

export class MongoProjectionVersions implements ProjectionVersions {
  constructor(private readonly store: MongoReadStore) {}

  private get collection() {
    return this.store.db.collection<{ _id: string; version: number }>(VERSIONS);
  }

  async get(name: string): Promise<number | null> {
    return (await this.collection.findOne({ _id: name }))?.version ?? null;
  }

  async set(name: string, version: number): Promise<void> {
    await this.collection.updateOne({ _id: name }, { $set: { version } }, { upsert: true });
  }
}

interface LeaseDocument {
  _id: string;
  holder: string;
  expiresAt: number;
}

const LEASE_ID = 'projector';
const DUPLICATE_KEY = 11000;

/**
 * The projector lease: an upsert that only matches when the caller holds the lease or it has run out.
 * When another holder has it, the filter misses, the upsert tries to insert the same `_id` and the
 * unique `_id` index refuses it: that refusal is the "no".
 */
export class MongoProjectorLease implements ProjectorLease {
  constructor(private readonly store: MongoReadStore) {}

  private get collection() {
    return this.store.db.collection<LeaseDocument>(LEASES);
  }

  async tryAcquire(holder: string, ttlMs: number, now: number): Promise<boolean> {
    try {
      await this.collection.updateOne(
        leaseFilter(holder, now),
        { $set: { holder, expiresAt: now + ttlMs } },
        { upsert: true },
      );
      return true;
    } catch (error) {
      if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return false;
      throw error;
    }
  }

  async release(holder: string): Promise<void> {
    await this.collection.deleteOne({ _id: LEASE_ID, holder });
  }
}

/** Matches the lease document when `holder` may take it at `now`. */
export function leaseFilter(holder: string, now: number) {
  return { _id: LEASE_ID, $or: [{ holder }, { expiresAt: { $lt: now } }] };
}
