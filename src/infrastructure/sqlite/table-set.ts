import type { SqliteDatabase } from './database';

/**
 * A read model's tables under one suffix: '' for the live model, '__rebuild' while a replay builds a
 * fresh copy. `promote` swaps the copy in, in one transaction, so queries never see a half-built model.
 */
export class TableSet {
  constructor(
    readonly names: readonly string[],
    readonly suffix: string,
  ) {}

  name(base: string): string {
    return `${base}${this.suffix}`;
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
  }
}
