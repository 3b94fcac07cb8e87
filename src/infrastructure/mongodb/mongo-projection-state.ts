import { MongoServerError, type ClientSession, type Document } from 'mongodb';
import {
  type ProjectionCheckpoints,
  type ProjectionVersions,
  type ProjectorFence,
  type ProjectorLease,
  requireGrant,
} from '../../ports/projection-state';
import { FencedOffError } from '../../ports/read-store-errors';
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

  async get(name: string, session?: ClientSession): Promise<string | null> {
    return (await this.collection.findOne({ _id: name }, inSession(session)))?.position ?? null;
  }

  /**
   * With a session, the write is part of that session's transaction (the read-model writes it covers).
   * Never moves the checkpoint back: a position behind the stored one changes nothing.
   */
  async set(name: string, position: string, session?: ClientSession): Promise<void> {
    await this.collection.updateOne({ _id: name }, checkpointUpdate(position, new Date()), {
      upsert: true,
      ...inSession(session),
    });
  }

  /** Stores `position` whatever was there (a promoted rebuild's checkpoint replaces the live one). */
  async replace(name: string, position: string, session?: ClientSession): Promise<void> {
    await this.collection.replaceOne(
      { _id: name },
      { position, order: positionOrder(position), updatedAt: new Date() },
      { upsert: true, ...inSession(session) },
    );
  }

  async delete(name: string, session?: ClientSession): Promise<void> {
    await this.collection.deleteOne({ _id: name }, inSession(session));
  }
}

function inSession(session: ClientSession | undefined): { session?: ClientSession } {
  return session === undefined ? {} : { session };
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
  /** Grows with every new tenure; a renewal keeps it. */
  token: number;
}

/** A projection's fence: the largest lease token that has written to its collections. */
interface FenceDocument {
  _id: string;
  token: number;
  writes: number;
}

const LEASE_ID = 'projector';
const DUPLICATE_KEY = 11000;

/**
 * The projector lease: an upsert that only matches when the caller holds the lease or it has run out.
 * When another holder has it, the filter misses, the upsert tries to insert the same `_id` and the
 * unique `_id` index refuses it: that refusal is the "no". The document is never deleted (a release
 * only ends its time), so its token only grows.
 */
export class MongoProjectorLease implements ProjectorLease {
  constructor(private readonly store: MongoReadStore) {}

  private get collection() {
    return this.store.db.collection<LeaseDocument>(LEASES);
  }

  /**
   * Takes or renews the lease on the database server's clock (`$$NOW`), so projectors whose clocks
   * disagree never both hold it. One atomic update decides (upsert of the lease document; an update
   * pipeline, since `$expr` may not select an upsert); the answer says who holds it after, with which
   * token. `now` is the port's, unused here.
   */
  async tryAcquire(holder: string, ttlMs: number, _now: number): Promise<number | null> {
    try {
      const lease = await this.collection.findOneAndUpdate({ _id: LEASE_ID }, leaseUpdate(holder, ttlMs), {
        upsert: true,
        returnDocument: 'after',
      });
      return lease?.holder === holder ? lease.token : null;
    } catch (error) {
      // Two first upserts at once: the other one made the document, and holds the lease.
      if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return null;
      throw error;
    }
  }

  async release(holder: string): Promise<void> {
    await this.collection.updateOne({ _id: LEASE_ID, holder }, { $set: { expiresAt: new Date(0) } });
  }
}

/**
 * The update that renews the lease for its holder, gives it with the next token to anyone once it ran
 * out (by the server's clock; a lease written by an older version, with a number for `expiresAt`, counts
 * as run out), and leaves it as it is otherwise.
 */
export function leaseUpdate(holder: string, ttlMs: number): Document[] {
  return [
    {
      $set: {
        _renew: { $and: [{ $eq: ['$holder', holder] }, { $gte: ['$expiresAt', '$$NOW'] }] },
        _free: { $lt: ['$expiresAt', '$$NOW'] },
      },
    },
    {
      $set: {
        holder: { $cond: [{ $or: ['$_renew', '$_free'] }, holder, '$holder'] },
        expiresAt: { $cond: [{ $or: ['$_renew', '$_free'] }, { $add: ['$$NOW', ttlMs] }, '$expiresAt'] },
        token: { $cond: ['$_free', { $add: [{ $ifNull: ['$token', 0] }, 1] }, '$token'] },
      },
    },
    { $unset: ['_renew', '_free'] },
  ];
}

/**
 * The update a projector's transaction makes to its projection's fence: raises the fence to its token
 * (never lowers it) and counts the write. Being a write, it makes any two transactions on the same
 * fence conflict, so one of them commits first and the other runs again on what it wrote.
 */
export function fenceUpdate(token: number): Document[] {
  return [
    {
      $set: {
        token: { $max: [{ $ifNull: ['$token', 0] }, token] },
        writes: { $add: [{ $ifNull: ['$writes', 0] }, 1] },
      },
    },
  ];
}

/**
 * Checks, inside a projector's transaction, that the process still holds the lease's tenure: the lease
 * (as the transaction's snapshot has it) must carry its holder and token, and no later tenure may have
 * written to the projection (its fence). A paused old holder that wakes after a take-over is refused.
 */
export class MongoFence {
  constructor(
    private readonly store: MongoReadStore,
    private readonly fence: ProjectorFence | null,
  ) {}

  async check(name: string, session: ClientSession): Promise<void> {
    if (this.fence === null) return;
    const lease = await this.store.db.collection<LeaseDocument>(LEASES).findOne({ _id: LEASE_ID }, { session });
    const grant = requireGrant(this.fence, lease);
    const fences = this.store.db.collection<FenceDocument>(LEASES);
    const after = await fences.findOneAndUpdate({ _id: `fence:${name}` }, fenceUpdate(grant.token), {
      upsert: true,
      returnDocument: 'after',
      session,
    });
    if (after?.token !== grant.token) {
      throw new FencedOffError(
        `a later holder of the projector lease (token ${after?.token ?? '?'}) wrote to ${name}: this process's write under token ${grant.token} refused`,
      );
    }
  }
}
