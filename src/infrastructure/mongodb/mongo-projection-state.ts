import { MongoServerError, type ClientSession, type Document } from 'mongodb';
import type { ProjectionCheckpoints, ProjectionVersions, ProjectorLease } from '../../ports/projection-state';
import { CHECKPOINTS, LEASES, VERSIONS } from './collections';
import type { MongoReadStore } from './mongo-database';

interface CheckpointDocument {
  _id: string;
  position: string;
  /** `position` as a string that sorts in log order (absent in documents of older versions). */
  order?: string;
  updatedAt: Date;
}

/**
 * A log position as a string that sorts in log order: the SQLite log's positions are decimal integers
 * (padded to 20 digits), the EventStoreDB log's fixed-width hex pairs (already sorted as written).
 */
export function positionOrder(position: string): string {
  return /^\d+$/.test(position) ? position.padStart(20, '0') : position;
}

/**
 * The update that stores `position` unless the checkpoint is already further (a late or repeated write
 * never moves it back); one atomic update, also when the document does not exist yet (upsert).
 */
export function checkpointUpdate(position: string, at: Date): Document[] {
  const order = positionOrder(position);
  const ahead = { $lt: ['$order', order] }; // a missing order sorts first: older documents are overwritten
  return [
    {
      $set: {
        position: { $cond: [ahead, position, '$position'] },
        updatedAt: { $cond: [ahead, at, '$updatedAt'] },
        order: { $cond: [ahead, order, '$order'] },
      },
    },
  ];
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

  /**
   * With a session, the write is part of that session's transaction (the read-model writes it covers).
   * Never moves the checkpoint back: a position behind the stored one changes nothing.
   */
  async set(name: string, position: string, session?: ClientSession): Promise<void> {
    await this.collection.updateOne({ _id: name }, checkpointUpdate(position, new Date()), {
      upsert: true,
      ...(session === undefined ? {} : { session }),
    });
  }

  /** Stores `position` whatever was there (a promoted rebuild's checkpoint replaces the live one). */
  private async replace(name: string, position: string): Promise<void> {
    await this.collection.replaceOne(
      { _id: name },
      { position, order: positionOrder(position), updatedAt: new Date() },
      { upsert: true },
    );
  }

  async delete(name: string): Promise<void> {
    await this.collection.deleteOne({ _id: name });
  }

  /** Hands a rebuilt copy's checkpoint to the live name. */
  async move(from: string, to: string): Promise<void> {
    const position = await this.get(from);
    if (position !== null) await this.replace(to, position);
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
  /** On the server's clock. */
  expiresAt: Date;
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

  /**
   * Takes or renews the lease on the database server's clock (`$$NOW`), so projectors whose clocks
   * disagree never both hold it. One atomic update decides (upsert of the lease document; an update
   * pipeline, since `$expr` may not select an upsert); the answer says who holds it after. `now` is the
   * port's, unused here.
   */
  async tryAcquire(holder: string, ttlMs: number, _now: number): Promise<boolean> {
    try {
      const lease = await this.collection.findOneAndUpdate({ _id: LEASE_ID }, leaseUpdate(holder, ttlMs), {
        upsert: true,
        returnDocument: 'after',
      });
      return lease?.holder === holder;
    } catch (error) {
      // Two first upserts at once: the other one made the document, and holds the lease.
      if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return false;
      throw error;
    }
  }

  async release(holder: string): Promise<void> {
    await this.collection.deleteOne({ _id: LEASE_ID, holder });
  }
}

/**
 * The update that gives the lease to `holder` when it holds it already or the lease ran out (by the
 * server's clock; a lease written by an older version, with a number for `expiresAt`, counts as run
 * out), and leaves it as it is otherwise.
 */
export function leaseUpdate(holder: string, ttlMs: number): Document[] {
  return [
    { $set: { _take: { $or: [{ $eq: ['$holder', holder] }, { $lt: ['$expiresAt', '$$NOW'] }] } } },
    {
      $set: {
        holder: { $cond: ['$_take', holder, '$holder'] },
        expiresAt: { $cond: ['$_take', { $add: ['$$NOW', ttlMs] }, '$expiresAt'] },
      },
    },
    { $unset: '_take' },
  ];
}
