import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { BillingDetailsInput, SupplierInput, SupplierType } from './types/parties.types';
import { addMonths, localDateOf, monthOfDate, parseMonth } from '../domain/billing/calendar';
import { activeKey } from '../domain/accounts/issuing';
import { standingInvoices } from '../invoicing/invoicing-service';
import { accountDto, draftDto, issuedDto } from './accounts-dto';
import { badInput, consistentAt, pageSize, PageArgs } from './arguments';
import type { GraphQLContext } from './context';
import {
  AccountConnection,
  AccountInput,
  AccountType,
  CorrectionReportType,
  DraftInvoiceType,
  IssuedInvoiceType,
  IssueReportType,
  TariffInput,
} from './types/accounts.types';
import { connectionOf } from './types/connection';

const MAX_LAST_MONTHS = 120;

function requireMonth(month: string): string {
  if (parseMonth(month) === null) throw badInput(`month '${month}' must be YYYY-MM`, 'month');
  return month;
}

/** The months `lastMonths` back from the current one (in the billing time zone), oldest first. */
function lastMonthsRange(context: GraphQLContext, lastMonths: number): { from: string; to: string } {
  if (!Number.isInteger(lastMonths) || lastMonths < 1 || lastMonths > MAX_LAST_MONTHS) {
    throw badInput(`lastMonths must be 1-${MAX_LAST_MONTHS}`, 'lastMonths');
  }
  const { clock } = context.services.billingSettings;
  const current = monthOfDate(localDateOf(clock, context.services.now().getTime()));
  return { from: addMonths(current, -(lastMonths - 1)), to: current };
}

@Resolver(() => AccountType)
export class AccountsResolver {
  @Authorized('ADMIN')
  @Mutation(() => SupplierType, {
    description: "Sets the supplier's legal details (kept as events; the same details again record nothing).",
  })
  async setSupplier(
    @Arg('input', () => SupplierInput) input: SupplierInput,
    @Ctx() context: GraphQLContext,
  ): Promise<SupplierType> {
    return (await context.services.invoicing.setSupplier(input)).supplier;
  }

  @Authorized()
  @Query(() => SupplierType, { nullable: true, description: "The supplier's legal details, once set." })
  async supplier(@Ctx() context: GraphQLContext): Promise<SupplierType | null> {
    return context.services.invoicing.supplier();
  }

  @Authorized('ADMIN')
  @Mutation(() => AccountType, { description: 'Opens a customer account with its tariff.' })
  async createAccount(
    @Arg('input', () => AccountInput) input: AccountInput,
    @Ctx() context: GraphQLContext,
  ): Promise<AccountType> {
    return accountDto((await context.services.invoicing.createAccount(input)).account);
  }

  @Authorized('ADMIN')
  @Mutation(() => AccountType, {
    description:
      "Sets a customer's billing details (address, VAT id, buyer reference, email): invoices issued from now on name them; the same details again record nothing.",
  })
  async setBillingDetails(
    @Arg('account', () => ID) account: string,
    @Arg('billing', () => BillingDetailsInput) billing: BillingDetailsInput,
    @Ctx() context: GraphQLContext,
  ): Promise<AccountType> {
    return accountDto((await context.services.invoicing.setBillingDetails(account, billing)).account);
  }

  @Authorized('ADMIN')
  @Mutation(() => AccountType, {
    description:
      'Assigns a meter to an account over local days from..to (inclusive; open-ended without to). An open assignment of the meter to another account that started earlier ends the day before (a move).',
  })
  async assignMeter(
    @Arg('account', () => ID) account: string,
    @Arg('meter', () => ID) meter: string,
    @Arg('from', () => String) from: string,
    @Arg('to', () => String, { nullable: true }) to: string | null | undefined,
    @Ctx() context: GraphQLContext,
  ): Promise<AccountType> {
    const result = await context.services.invoicing.assignMeter({ accountId: account, meter, from, to: to ?? null });
    return accountDto(result.account);
  }

  @Authorized('ADMIN')
  @Mutation(() => AccountType, { description: "Changes an account's tariff from a local day on." })
  async changeTariff(
    @Arg('account', () => ID) account: string,
    @Arg('from', () => String) from: string,
    @Arg('tariff', () => TariffInput) tariff: TariffInput,
    @Ctx() context: GraphQLContext,
  ): Promise<AccountType> {
    return accountDto((await context.services.invoicing.changeTariff(account, from, tariff)).account);
  }

  @Authorized('ADMIN')
  @Mutation(() => IssueReportType, {
    description:
      'Issues the COMPLETE drafts of the month (all accounts, or these) that have no standing invoice, numbered from the year’s gapless sequence; others are listed as skipped, unless force. Issuing again is a no-op.',
  })
  async issueInvoices(
    @Arg('month', () => String) month: string,
    @Arg('accounts', () => [ID], { nullable: true }) accounts: string[] | null | undefined,
    @Arg('force', () => Boolean, { nullable: true }) force: boolean | null | undefined,
    @Ctx() context: GraphQLContext,
  ): Promise<IssueReportType> {
    requireMonth(month);
    const report = await context.services.invoicing.issueInvoices(month, accounts ?? null, force === true);
    const position =
      report.position ??
      (await context.services.eventStore.headPosition({ streamPrefixes: context.services.streamPrefixes })) ??
      '0';
    return {
      issued: report.issued.map(issuedDto),
      skipped: report.skipped.map((s) => ({ account: s.accountId, month: s.month, reason: s.reason })),
      position,
    };
  }

  @Authorized('ADMIN')
  @Mutation(() => CorrectionReportType, {
    description:
      'Corrects an issued invoice whose draft changed since (late readings or prices): a credit note cancelling it and a new invoice, both numbered, both referring to it.',
  })
  async issueCorrection(
    @Arg('invoiceNumber', () => String) invoiceNumber: string,
    @Ctx() context: GraphQLContext,
  ): Promise<CorrectionReportType> {
    const result = await context.services.invoicing.issueCorrection(invoiceNumber);
    return { creditNote: issuedDto(result.creditNote), invoice: issuedDto(result.invoice), position: result.position };
  }

  @Authorized()
  @Query(() => AccountConnection, { description: 'Accounts by id.' })
  async accounts(
    @Args(() => PageArgs) { first, after }: PageArgs,
    @Ctx() context: GraphQLContext,
  ): Promise<AccountConnection> {
    return connectionOf(await context.services.accountQueries.accounts(pageSize(first), after ?? null), accountDto);
  }

  @Authorized()
  @Query(() => AccountType, { nullable: true })
  async account(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<AccountType | null> {
    const doc = await context.services.accountQueries.account(id);
    return doc === null ? null : accountDto(doc);
  }

  @Authorized()
  @Query(() => IssuedInvoiceType, { nullable: true, description: 'An issued invoice or credit note by its number.' })
  async issuedInvoice(
    @Arg('number', () => String) number: string,
    @Ctx() context: GraphQLContext,
  ): Promise<IssuedInvoiceType | null> {
    const doc = await context.services.accountQueries.issued(number);
    return doc === null ? null : issuedDto(doc);
  }

  @Authorized()
  @Query(() => [IssuedInvoiceType], {
    description: "An account's invoices and credit notes of the last n months (this month included), newest first.",
  })
  async invoicesByAccount(
    @Arg('account', () => ID) account: string,
    @Arg('lastMonths', () => Int) lastMonths: number,
    @Ctx() context: GraphQLContext,
  ): Promise<IssuedInvoiceType[]> {
    const { from, to } = lastMonthsRange(context, lastMonths);
    return (await context.services.accountQueries.issuedOfAccount(account, from, to)).map(issuedDto);
  }

  @Authorized()
  @Query(() => [DraftInvoiceType], {
    description:
      'Draft invoices of the month: every account with a meter in it, or these; computed from the latest data.',
  })
  async draftInvoices(
    @Arg('month', () => String) month: string,
    @Arg('accounts', () => [ID], { nullable: true }) accounts: string[] | null | undefined,
    @Arg('atLeast', () => String, { nullable: true }) atLeast: string | null | undefined,
    @Ctx() context: GraphQLContext,
  ): Promise<DraftInvoiceType[]> {
    requireMonth(month);
    await consistentAt(context, atLeast);
    const drafts = await context.services.invoicing.drafts(month, accounts ?? null);
    const standing = standingInvoices(await context.services.accountQueries.issuedOfMonth(month));
    return drafts.map((draft) => draftDto(draft, standing.get(activeKey(draft.accountId, draft.month)) ?? null));
  }

  @FieldResolver(() => [IssuedInvoiceType], { description: 'Issued invoices and credit notes of the last n months.' })
  async invoices(
    @Root() account: AccountType,
    @Arg('lastMonths', () => Int, { defaultValue: 12 }) lastMonths: number,
    @Ctx() context: GraphQLContext,
  ): Promise<IssuedInvoiceType[]> {
    const { from, to } = lastMonthsRange(context, lastMonths);
    return (await context.services.accountQueries.issuedOfAccount(account.id, from, to)).map(issuedDto);
  }

  @FieldResolver(() => DraftInvoiceType, { nullable: true, description: 'The draft of a month.' })
  async draft(
    @Root() account: AccountType,
    @Arg('month', () => String) month: string,
    @Ctx() context: GraphQLContext,
  ): Promise<DraftInvoiceType | null> {
    requireMonth(month);
    const draft = await context.services.invoicing.draft(account.id, month);
    if (draft === null) return null;
    const standing = standingInvoices(await context.services.accountQueries.issuedOfAccount(account.id, month, month));
    return draftDto(draft, standing.get(activeKey(account.id, month)) ?? null);
  }
}
