import type { SqliteDatabase } from './database';

/** A secondary index, named `<table><suffix><name>` so a rebuild copy's index never clashes with the live one. */
export interface IndexSpec {
  table: string;
  name: string;
  columns: string;
}

/**
 * A read model's tables under one suffix: '' for the live model, '__rebuild' while a replay builds a
 * fresh copy. `promote` swaps the copy in, in one transaction, so queries never see a half-built model.
 */
export class TableSet {
  constructor(
    readonly names: readonly string[],
    readonly suffix: string,
    readonly indexes: readonly IndexSpec[] = [],
  ) {}

  name(base: string): string {
    return `${base}${this.suffix}`;
  }

  createIndexes(db: SqliteDatabase): void {
    for (const index of this.indexes) {
      const table = this.name(index.table);
      db.exec(`CREATE INDEX IF NOT EXISTS ${table}${index.name} ON ${table} (${index.columns})`);
    }
  }

  drop(db: SqliteDatabase): void {
    for (const base of this.names) db.exec(`DROP TABLE IF EXISTS ${this.name(base)}`);
  }

  /** Replaces the live tables by these ones (call inside a transaction). */
  promote(db: SqliteDatabase): void {
    if (this.suffix === '') return;
    for (const base of this.names) {
      db.exec(`DROP TABLE IF EXISTS ${base}`);
      db.exec(`ALTER TABLE ${this.name(base)} RENAME TO ${base}`);
    }
    // Indexes keep their names through a rename: give them the live names.
    for (const index of this.indexes) {
      db.exec(`DROP INDEX IF EXISTS ${this.name(index.table)}${index.name}`);
      db.exec(`CREATE INDEX IF NOT EXISTS ${index.table}${index.name} ON ${index.table} (${index.columns})`);
    }
  }
}
