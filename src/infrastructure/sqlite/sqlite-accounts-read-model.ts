import type { AccountDoc } from '../../domain/accounts/account';
import type { AccountsProjectionStore, AccountsQueries, IssuedDocument } from '../../ports/accounts-read-model';
import { decodeCursor, encodeCursor, type Page } from '../../ports/pagination';
import type { ProjectorFence } from '../../ports/projection-state';
import { ACCOUNTS_PROJECTION } from '../../ports/projection-names';
import type { SqliteDatabase } from './database';
import { TableSet } from './table-set';

const TABLES = ['rm_accounts', 'rm_account_meters', 'rm_issued'];

/** Accounts (one row each, the document as JSON), their meter assignments as rows, issued documents. */
export class SqliteAccountsReadModel implements AccountsQueries, AccountsProjectionStore {
  private readonly tables: TableSet;
  private readonly t: { accounts: string; meters: string; issued: string };

  constructor(
    private readonly db: SqliteDatabase,
    suffix = '',
    fence: ProjectorFence | null = null,
  ) {
    this.tables = new TableSet(
      db,
      ACCOUNTS_PROJECTION,
      TABLES,
      suffix,
      [
        { table: 'rm_account_meters', name: '_range', columns: 'from_date, to_date' },
        { table: 'rm_issued', name: '_account_month', columns: 'account_id, month' },
        { table: 'rm_issued', name: '_month', columns: 'month' },
      ],
      fence,
    );
    this.t = {
      accounts: this.tables.name('rm_accounts'),
      meters: this.tables.name('rm_account_meters'),
      issued: this.tables.name('rm_issued'),
    };
    this.createTables();
  }

  private createTables(): void {
    const { t } = this;
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS ${t.accounts} (id TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS ${t.meters} (
        account_id TEXT NOT NULL, meter TEXT NOT NULL, from_date TEXT NOT NULL, to_date TEXT,
        PRIMARY KEY (account_id, meter, from_date)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS ${t.issued} (
        number TEXT PRIMARY KEY, account_id TEXT NOT NULL, month TEXT NOT NULL, doc TEXT NOT NULL) WITHOUT ROWID;
    `);
    this.tables.createIndexes();
  }

  getCheckpoint(): Promise<string | null> {
    return this.tables.checkpoints.get(this.tables.checkpointName);
  }

  loadAccounts(ids: readonly string[]): Promise<Map<string, AccountDoc>> {
    return this.tables.docsByKey<AccountDoc>('rm_accounts', 'id', ids);
  }

  loadIssued(numbers: readonly string[]): Promise<Map<string, IssuedDocument>> {
    return this.tables.docsByKey<IssuedDocument>('rm_issued', 'number', numbers);
  }

  commit(changes: {
    accounts: readonly AccountDoc[];
    issued: readonly IssuedDocument[];
    checkpoint: string;
  }): Promise<void> {
    const { t } = this;
    const putAccount = this.db.prepare(`INSERT OR REPLACE INTO ${t.accounts} (id, doc) VALUES (?, ?)`);
    const clearMeters = this.db.prepare(`DELETE FROM ${t.meters} WHERE account_id = ?`);
    const putMeter = this.db.prepare(
      `INSERT OR REPLACE INTO ${t.meters} (account_id, meter, from_date, to_date) VALUES (?, ?, ?, ?)`,
    );
    const putIssued = this.db.prepare(
      `INSERT OR REPLACE INTO ${t.issued} (number, account_id, month, doc) VALUES (?, ?, ?, ?)`,
    );
    return this.tables.write(() => {
      for (const doc of changes.accounts) {
        putAccount.run(doc.id, JSON.stringify(doc));
        clearMeters.run(doc.id);
        for (const a of doc.meters) putMeter.run(doc.id, a.meter, a.from, a.to);
      }
      for (const doc of changes.issued) putIssued.run(doc.number, doc.accountId, doc.month, JSON.stringify(doc));
      this.tables.checkpoints.set(this.tables.checkpointName, changes.checkpoint);
    });
  }

  reset(): Promise<void> {
    this.tables.reset(() => this.createTables());
    return Promise.resolve();
  }

  promote(): void {
    this.tables.promote();
  }

  // ---- queries ----

  account(id: string): Promise<AccountDoc | null> {
    return this.loadAccounts([id]).then((found) => found.get(id) ?? null);
  }

  accounts(first: number, after: string | null): Promise<Page<AccountDoc>> {
    const offset = after === null ? 0 : decodeCursor(after) + 1;
    const rows = this.db
      .prepare<[number, number], { doc: string }>(`SELECT doc FROM ${this.t.accounts} ORDER BY id LIMIT ? OFFSET ?`)
      .all(first + 1, offset);
    const total = (this.db.prepare(`SELECT count(*) AS n FROM ${this.t.accounts}`).get() as { n: number }).n;
    return Promise.resolve({
      totalCount: total,
      hasNextPage: rows.length > first,
      items: rows
        .slice(0, first)
        .map((row, i) => ({ cursor: encodeCursor(offset + i), node: JSON.parse(row.doc) as AccountDoc })),
    });
  }

  accountsBilledBetween(fromDate: string, toDate: string, limit: number): Promise<AccountDoc[]> {
    const rows = this.db
      .prepare<[string, string, number], { doc: string }>(
        `SELECT a.doc FROM ${this.t.accounts} a WHERE a.id IN (
           SELECT account_id FROM ${this.t.meters} WHERE from_date <= ? AND (to_date IS NULL OR to_date >= ?))
         ORDER BY a.id LIMIT ?`,
      )
      .all(toDate, fromDate, limit);
    return Promise.resolve(rows.map((row) => JSON.parse(row.doc) as AccountDoc));
  }

  issued(number: string): Promise<IssuedDocument | null> {
    return this.loadIssued([number]).then((found) => found.get(number) ?? null);
  }

  issuedOfAccount(accountId: string, fromMonth: string, toMonth: string): Promise<IssuedDocument[]> {
    const rows = this.db
      .prepare<[string, string, string], { doc: string }>(
        `SELECT doc FROM ${this.t.issued} WHERE account_id = ? AND month >= ? AND month <= ?
         ORDER BY month DESC, number`,
      )
      .all(accountId, fromMonth, toMonth);
    return Promise.resolve(rows.map((row) => JSON.parse(row.doc) as IssuedDocument));
  }

  issuedOfMonth(month: string): Promise<IssuedDocument[]> {
    const rows = this.db
      .prepare<[string], { doc: string }>(`SELECT doc FROM ${this.t.issued} WHERE month = ? ORDER BY number`)
      .all(month);
    return Promise.resolve(rows.map((row) => JSON.parse(row.doc) as IssuedDocument));
  }
}
