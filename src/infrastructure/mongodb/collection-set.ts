import type { ClientSession, Collection, Document } from 'mongodb';
import type { ProjectorFence } from '../../ports/projection-state';
import { collectionName, GENERATIONS, rebuildGeneration, retiredGenerations } from './collections';
import type { MongoReadStore } from './mongo-database';
import { MongoCheckpoints, MongoFence } from './mongo-projection-state';

/** Which generation of a projection's collections readers use: one document per projection. */
interface GenerationDocument {
  _id: string;
  suffix: string;
}

/** A projection's collections in one generation, with their indexes in place. */
export interface Generation {
  suffix: string;
  collection<T extends Document>(base: string): Promise<Collection<T>>;
}

/**
 * A read model's collections in one of two generations (suffix `__a` or `__b`; '' for collections made
 * before generations existed). The live model (`rebuild` false) is the generation the projection's
 * pointer names; a rebuild writes the other one. Promoting a rebuild switches the pointer and the
 * checkpoint in one transaction, so a reader sees the old model whole or the new one whole, never a mix,
 * and a crash at any point leaves one of the two live. The retired generation stays until the next
 * rebuild clears it, so a reader that resolved it just before the switch still reads it whole.
 */
export class MongoCollectionSet {
  readonly checkpoints: MongoCheckpoints;
  private readonly fence: MongoFence;
  private readonly rebuild: boolean;

  constructor(
    private readonly store: MongoReadStore,
    private readonly projection: string,
    private readonly bases: readonly string[],
    /** '' for the live model, anything else for a rebuild copy (its checkpoint is kept under that suffix). */
    private readonly suffix: string,
    fence: ProjectorFence | null = null,
  ) {
    this.checkpoints = new MongoCheckpoints(store);
    this.fence = new MongoFence(store, fence);
    this.rebuild = suffix !== '';
  }

  get checkpointName(): string {
    return `${this.projection}${this.suffix}`;
  }

  private async liveSuffix(session?: ClientSession): Promise<string> {
    const pointer = await this.store.db
      .collection<GenerationDocument>(GENERATIONS)
      .findOne({ _id: this.projection }, session === undefined ? {} : { session });
    return pointer?.suffix ?? '';
  }

  /** The generation this model reads and writes, resolved once per call (a query, a commit). */
  async generation(session?: ClientSession): Promise<Generation> {
    const suffix = await this.generationSuffix(session);
    return {
      suffix,
      collection: async <T extends Document>(base: string): Promise<Collection<T>> => {
        const name = collectionName(base, suffix);
        await this.store.ensureIndexes(base, name);
        return this.store.db.collection<T>(name);
      },
    };
  }

  /**
   * Runs `work` in one session transaction (snapshot reads, majority commit) on this model's generation,
   * fenced with the lease: a process that no longer holds the lease's tenure has the whole transaction
   * refused. `work` may run again (a transient error retries the transaction), so it must start from
   * scratch each time.
   */
  async transaction(work: (session: ClientSession, generation: Generation) => Promise<void>): Promise<void> {
    // Collections and their indexes exist before the transaction: indexes cannot be built inside one.
    const generation = await this.generation();
    for (const base of this.bases) await generation.collection(base);
    await this.store.client.withSession((session) =>
      session.withTransaction(
        async () => {
          await this.fence.check(this.checkpointName, session);
          if ((await this.generationSuffix(session)) !== generation.suffix) {
            throw new Error(`${this.projection}: the live generation was switched meanwhile; try again`);
          }
          await work(session, generation);
        },
        { readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority' } },
      ),
    );
  }

  private async generationSuffix(session?: ClientSession): Promise<string> {
    const live = await this.liveSuffix(session);
    return this.rebuild ? rebuildGeneration(live) : live;
  }

  /** Refuses to go on unless this process holds the lease's tenure (for what cannot run in a transaction). */
  private async fenceCheck(): Promise<void> {
    await this.store.client.withSession((session) =>
      session.withTransaction((s) => this.fence.check(this.checkpointName, s), { writeConcern: { w: 'majority' } }),
    );
  }

  /** Empties this model's generation (and clears retired ones), then recreates it empty with its indexes. */
  async reset(): Promise<void> {
    await this.fenceCheck();
    const live = await this.liveSuffix();
    const target = this.rebuild ? rebuildGeneration(live) : live;
    await this.checkpoints.delete(this.checkpointName);
    const drop = this.rebuild ? [target, ...retiredGenerations(live, target)] : [target];
    const names = drop.flatMap((suffix) => this.bases.map((base) => collectionName(base, suffix)));
    for (const name of names) await this.store.db.collection(name).drop().catch(ignoreMissing);
    this.store.forget(names);
    for (const base of this.bases) {
      const name = collectionName(base, target);
      await this.store.db.createCollection(name).catch(ignoreExisting);
      await this.store.ensureIndexes(base, name);
    }
  }

  /** Makes this rebuild copy the live model: pointer and checkpoint switched in one transaction. */
  async promote(): Promise<void> {
    if (!this.rebuild) return;
    const target = rebuildGeneration(await this.liveSuffix());
    await this.transaction(async (session, generation) => {
      if (generation.suffix !== target) throw new Error(`${this.projection}: promoted by another process meanwhile`);
      const position = await this.checkpoints.get(this.checkpointName, session);
      await this.store.db
        .collection<GenerationDocument>(GENERATIONS)
        .replaceOne({ _id: this.projection }, { suffix: target }, { upsert: true, session });
      if (position === null) await this.checkpoints.delete(this.projection, session);
      else await this.checkpoints.replace(this.projection, position, session);
      await this.checkpoints.delete(this.checkpointName, session);
    });
  }
}

function ignoreMissing(error: unknown): void {
  if ((error as { codeName?: string }).codeName !== 'NamespaceNotFound') throw error;
}

function ignoreExisting(error: unknown): void {
  if ((error as { codeName?: string }).codeName !== 'NamespaceExists') throw error;
}
