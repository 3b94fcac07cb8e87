import type { AccountDoc } from '../domain/accounts/account';
import type { IssuedDocumentData } from '../domain/accounts/events';
import type { Page } from './pagination';

/** An issued invoice or credit note as the read model keeps it: frozen content plus its links. */
export interface IssuedDocument extends IssuedDocumentData {
  kind: 'INVOICE' | 'CREDIT_NOTE';
  /** The invoice this one replaces (a correction), or null. */
  replaces: string | null;
  /** For a credit note: the invoice it cancels. */
  credits: string | null;
  /** For an invoice: the credit note that cancelled it, or null while it stands. */
  creditedBy: string | null;
  position: string;
}

/** Queries on accounts and issued documents. */
export interface AccountsQueries {
  account(id: string): Promise<AccountDoc | null>;
  /** By id. */
  accounts(first: number, after: string | null): Promise<Page<AccountDoc>>;
  /** Accounts with a meter assigned on any day from `fromDate` to `toDate`, by id, at most `limit`. */
  accountsBilledBetween(fromDate: string, toDate: string, limit: number): Promise<AccountDoc[]>;
  issued(number: string): Promise<IssuedDocument | null>;
  /** An account's invoices and credit notes of months `fromMonth`..`toMonth`, newest month first, then by number. */
  issuedOfAccount(accountId: string, fromMonth: string, toMonth: string): Promise<IssuedDocument[]>;
  /** Every invoice and credit note of a month (a few per account), by number. */
  issuedOfMonth(month: string): Promise<IssuedDocument[]>;
}

/** Writes of the accounts projection: one atomic commit per batch of events, with the checkpoint. */
export interface AccountsProjectionStore {
  getCheckpoint(): Promise<string | null>;
  loadAccounts(ids: readonly string[]): Promise<Map<string, AccountDoc>>;
  loadIssued(numbers: readonly string[]): Promise<Map<string, IssuedDocument>>;
  commit(changes: {
    accounts: readonly AccountDoc[];
    issued: readonly IssuedDocument[];
    checkpoint: string;
  }): Promise<void>;
  reset(): Promise<void>;
}
