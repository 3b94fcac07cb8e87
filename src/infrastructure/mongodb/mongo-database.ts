import { MongoClient, type Db } from 'mongodb';
import { ReadStoreUnavailableError } from '../../ports/read-store-errors';
import { INDEXES, redactUrl } from './collections';

/** The read-model database: one client, majority writes, and the index set up every collection needs. */
export class MongoReadStore {
  private readonly ensured = new Map<string, Promise<void>>();

  private constructor(
    readonly client: MongoClient,
    readonly db: Db,
    private readonly pingTimeoutMs: number,
  ) {}

  /** Connects and checks the server answers, so a wrong URL fails the start with a clear message. */
  static async connect(url: string, database: string, timeoutMs: number): Promise<MongoReadStore> {
    const client = new MongoClient(url, {
      serverSelectionTimeoutMS: timeoutMs,
      connectTimeoutMS: timeoutMs,
      // A socket silent this long fails its operation instead of hanging it (the client has no other
      // client-wide limit: its timeoutMS option is deprecated and without effect in driver 7).
      socketTimeoutMS: 60_000,
      // Read models are rebuilt from the log, but a checkpoint must never get ahead of lost writes.
      writeConcern: { w: 'majority' },
      readConcern: { level: 'majority' },
      appName: 'energy-billing',
    });
    try {
      await client.connect();
      await client.db(database).command({ ping: 1 });
    } catch (error) {
      await client.close().catch(() => undefined);
      throw new ReadStoreUnavailableError(
        `MongoDB at ${redactUrl(url)} did not answer within ${timeoutMs} ms: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return new MongoReadStore(client, client.db(database), timeoutMs);
  }

  /** Creates the collection's indexes once per process (createIndexes is idempotent on the server). */
  ensureIndexes(base: string, name: string): Promise<void> {
    let done = this.ensured.get(name);
    if (done === undefined) {
      const indexes = INDEXES[base] ?? []; // eslint-disable-line local/no-plain-dictionary -- base is one of collections.ts's own names
      done =
        indexes.length === 0
          ? Promise.resolve()
          : this.db
              .collection(name)
              .createIndexes([...indexes])
              .then(() => undefined);
      done.catch(() => this.ensured.delete(name));
      this.ensured.set(name, done);
    }
    return done;
  }

  /** Forgets what was set up for these names (after a drop or a rename). */
  forget(names: readonly string[]): void {
    for (const name of names) this.ensured.delete(name);
  }

  async ping(): Promise<void> {
    try {
      await this.db.command({ ping: 1 }, { timeoutMS: this.pingTimeoutMs });
    } catch (error) {
      throw new ReadStoreUnavailableError(`MongoDB did not answer: ${(error as Error).message}`, { cause: error });
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
