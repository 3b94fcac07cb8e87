import type { AccountDoc } from '../../domain/accounts/account';
import type { AccountsProjectionStore, AccountsQueries, IssuedDocument } from '../../ports/accounts-read-model';
import { decodeCursor, encodeCursor, type Page } from '../../ports/pagination';
import type { ProjectorFence } from '../../ports/projection-state';
import { ACCOUNTS_PROJECTION } from '../../ports/projection-names';
import { MongoCollectionSet, type Generation } from './collection-set';
import { ACCOUNT_COLLECTIONS, ACCOUNTS, ISSUED, WITHOUT_ID } from './collections';
import type { MongoReadStore } from './mongo-database';

/** Accounts (one document each, meters embedded) and issued invoices and credit notes in MongoDB. */
export class MongoAccountsReadModel implements AccountsQueries, AccountsProjectionStore {
  private readonly collections: MongoCollectionSet;

  constructor(store: MongoReadStore, suffix = '', fence: ProjectorFence | null = null) {
    this.collections = new MongoCollectionSet(store, ACCOUNTS_PROJECTION, ACCOUNT_COLLECTIONS, suffix, fence);
  }

  private async accountsCollection(generation?: Generation) {
    return (generation ?? (await this.collections.generation())).collection<AccountDoc>(ACCOUNTS);
  }

  private async issuedCollection(generation?: Generation) {
    return (generation ?? (await this.collections.generation())).collection<IssuedDocument>(ISSUED);
  }

  getCheckpoint(): Promise<string | null> {
    return this.collections.checkpoints.get(this.collections.checkpointName);
  }

  async loadAccounts(ids: readonly string[]): Promise<Map<string, AccountDoc>> {
    const found = await (
      await this.accountsCollection()
    )
      .find({ id: { $in: [...new Set(ids)] } }, WITHOUT_ID)
      .toArray();
    return new Map(found.map((doc) => [doc.id, doc]));
  }

  async loadIssued(numbers: readonly string[]): Promise<Map<string, IssuedDocument>> {
    const found = await (
      await this.issuedCollection()
    )
      .find({ number: { $in: [...new Set(numbers)] } }, WITHOUT_ID)
      .toArray();
    return new Map(found.map((doc) => [doc.number, doc]));
  }

  async commit(changes: {
    accounts: readonly AccountDoc[];
    issued: readonly IssuedDocument[];
    checkpoint: string;
  }): Promise<void> {
    await this.collections.transaction(async (session, generation) => {
      if (changes.accounts.length > 0) {
        await (
          await this.accountsCollection(generation)
        ).bulkWrite(
          changes.accounts.map((doc) => ({
            replaceOne: { filter: { id: doc.id }, replacement: { ...doc }, upsert: true },
          })),
          { ordered: false, session },
        );
      }
      if (changes.issued.length > 0) {
        await (
          await this.issuedCollection(generation)
        ).bulkWrite(
          changes.issued.map((doc) => ({
            replaceOne: { filter: { number: doc.number }, replacement: { ...doc }, upsert: true },
          })),
          { ordered: false, session },
        );
      }
      await this.collections.checkpoints.set(this.collections.checkpointName, changes.checkpoint, session);
    });
  }

  reset(): Promise<void> {
    return this.collections.reset();
  }

  promote(): Promise<void> {
    return this.collections.promote();
  }

  async account(id: string): Promise<AccountDoc | null> {
    return (await this.accountsCollection()).findOne({ id }, WITHOUT_ID);
  }

  async accounts(first: number, after: string | null): Promise<Page<AccountDoc>> {
    const accounts = await this.accountsCollection();
    const offset = after === null ? 0 : decodeCursor(after) + 1;
    const [rows, total] = await Promise.all([
      accounts
        .find({}, WITHOUT_ID)
        .sort({ id: 1 })
        .skip(offset)
        .limit(first + 1)
        .toArray(),
      accounts.countDocuments({}),
    ]);
    return {
      totalCount: total,
      hasNextPage: rows.length > first,
      items: rows.slice(0, first).map((node, i) => ({ cursor: encodeCursor(offset + i), node })),
    };
  }

  async accountsBilledBetween(fromDate: string, toDate: string, limit: number): Promise<AccountDoc[]> {
    return (await this.accountsCollection())
      .find(
        { meters: { $elemMatch: { from: { $lte: toDate }, $or: [{ to: null }, { to: { $gte: fromDate } }] } } },
        WITHOUT_ID,
      )
      .sort({ id: 1 })
      .limit(limit)
      .toArray();
  }

  async issued(number: string): Promise<IssuedDocument | null> {
    return (await this.issuedCollection()).findOne({ number }, WITHOUT_ID);
  }

  async issuedOfAccount(accountId: string, fromMonth: string, toMonth: string): Promise<IssuedDocument[]> {
    return (await this.issuedCollection())
      .find({ accountId, month: { $gte: fromMonth, $lte: toMonth } }, WITHOUT_ID)
      .sort({ month: -1, number: 1 })
      .toArray();
  }

  async issuedOfMonth(month: string): Promise<IssuedDocument[]> {
    return (await this.issuedCollection()).find({ month }, WITHOUT_ID).sort({ number: 1 }).toArray();
  }
}
