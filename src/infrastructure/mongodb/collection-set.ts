import type { Collection, Document } from 'mongodb';
import { collectionName } from './collections';
import type { MongoReadStore } from './mongo-database';
import { MongoCheckpoints } from './mongo-projection-state';

/**
 * A read model's collections under one suffix: '' for the live model, '__rebuild' while a replay builds
 * a fresh copy. `promote` renames the copy over the live collections (indexes travel with a rename),
 * then hands over the checkpoint.
 */
export class MongoCollectionSet {
  readonly checkpoints: MongoCheckpoints;

  constructor(
    private readonly store: MongoReadStore,
    private readonly projection: string,
    private readonly bases: readonly string[],
    readonly suffix: string,
  ) {
    this.checkpoints = new MongoCheckpoints(store);
  }

  get checkpointName(): string {
    return `${this.projection}${this.suffix}`;
  }

  /** The collection, with its indexes in place. */
  async collection<T extends Document>(base: string): Promise<Collection<T>> {
    const name = collectionName(base, this.suffix);
    await this.store.ensureIndexes(base, name);
    return this.store.db.collection<T>(name);
  }

  /** Drops every collection and the checkpoint, then recreates them empty with their indexes. */
  async reset(): Promise<void> {
    const names = this.bases.map((base) => collectionName(base, this.suffix));
    await this.checkpoints.delete(this.checkpointName);
    for (const name of names) await this.store.db.collection(name).drop().catch(ignoreMissing);
    this.store.forget(names);
    for (const base of this.bases) {
      const name = collectionName(base, this.suffix);
      await this.store.db.createCollection(name).catch(ignoreExisting);
      await this.store.ensureIndexes(base, name);
    }
  }

  async promote(): Promise<void> {
    if (this.suffix === '') return;
    for (const base of this.bases) {
      const from = collectionName(base, this.suffix);
      await this.store.ensureIndexes(base, from);
      await this.store.db.renameCollection(from, base, { dropTarget: true });
    }
    this.store.forget(this.bases.flatMap((base) => [base, collectionName(base, this.suffix)]));
    await this.checkpoints.move(this.checkpointName, this.projection);
  }
}

function ignoreMissing(error: unknown): void {
  if ((error as { codeName?: string }).codeName !== 'NamespaceNotFound') throw error;
}

function ignoreExisting(error: unknown): void {
  if ((error as { codeName?: string }).codeName !== 'NamespaceExists') throw error;
}
