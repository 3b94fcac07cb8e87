import type { SqliteDatabase } from './database';
import type { ProjectorFence } from '../../ports/projection-state';
import { checkFence, ensureLeaseTable, settle, SqliteCheckpoints } from './sqlite-checkpoints';

/** A secondary index, named `<table><suffix><name>` so a rebuild copy's index never clashes with the live one. */
export interface IndexSpec {
  table: string;
  name: string;
  columns: string;
}

/**
 * A projection's tables under one suffix: '' for the live model, '__rebuild' while a replay builds a
 * fresh copy, with the checkpoint that goes with them. `promote` swaps the copy in, in one transaction,
 * so queries never see a half-built model.
 */
export class TableSet {
  readonly checkpoints: SqliteCheckpoints;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly projection: string,
    readonly names: readonly string[],
    readonly suffix: string,
    readonly indexes: readonly IndexSpec[] = [],
    /** The lease tenure every write of this model is made under; null when nothing is fenced (tests, tools). */
    private readonly fence: ProjectorFence | null = null,
  ) {
    this.checkpoints = new SqliteCheckpoints(db);
    if (fence !== null) ensureLeaseTable(db);
  }

  /** Inside a write transaction: refuses it unless this process still holds the lease's tenure. */
  checkFence(): void {
    checkFence(this.db, this.fence);
  }

  name(base: string): string {
    return `${base}${this.suffix}`;
  }

  get checkpointName(): string {
    return `${this.projection}${this.suffix}`;
  }

  createIndexes(): void {
    for (const index of this.indexes) {
      const table = this.name(index.table);
      this.db.exec(`CREATE INDEX IF NOT EXISTS ${table}${index.name} ON ${table} (${index.columns})`);
    }
  }

  /** JSON documents of a table by their key column, for the keys that have one (each key read once). */
  docsByKey<T>(base: string, keyColumn: string, keys: readonly string[]): Promise<Map<string, T>> {
    const select = this.db.prepare<[string], { doc: string }>(
      `SELECT doc FROM ${this.name(base)} WHERE ${keyColumn} = ?`,
    );
    const found = new Map<string, T>();
    for (const key of new Set(keys)) {
      const row = select.get(key);
      if (row !== undefined) found.set(key, JSON.parse(row.doc) as T);
    }
    return Promise.resolve(found);
  }

  /**
   * Runs `writes` in one immediate transaction, fenced with the lease: all of it or none. A failure is
   * the returned promise's rejection (the adapters' methods are async to their callers).
   */
  write(writes: () => void): Promise<void> {
    return settle(() =>
      this.db
        .transaction(() => {
          this.checkFence();
          writes();
        })
        .immediate(),
    );
  }

  /** Empties the model: drops the tables, lets `createTables` make them again, forgets the checkpoint. */
  reset(createTables: () => void): void {
    this.db
      .transaction(() => {
        this.checkFence();
        for (const base of this.names) this.db.exec(`DROP TABLE IF EXISTS ${this.name(base)}`);
        createTables();
        this.checkpoints.delete(this.checkpointName);
      })
      .immediate();
  }

  /** Replaces the live tables by these ones and hands over the checkpoint, in one transaction. */
  promote(): void {
    if (this.suffix === '') return;
    this.db
      .transaction(() => {
        this.checkFence();
        for (const base of this.names) {
          this.db.exec(`DROP TABLE IF EXISTS ${base}`);
          this.db.exec(`ALTER TABLE ${this.name(base)} RENAME TO ${base}`);
        }
        // Indexes keep their names through a rename: give them the live names.
        for (const index of this.indexes) {
          this.db.exec(`DROP INDEX IF EXISTS ${this.name(index.table)}${index.name}`);
          this.db.exec(`CREATE INDEX IF NOT EXISTS ${index.table}${index.name} ON ${index.table} (${index.columns})`);
        }
        this.checkpoints.move(this.checkpointName, this.projection);
      })
      .immediate();
  }
}
