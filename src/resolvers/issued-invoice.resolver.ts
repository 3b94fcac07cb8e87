import { Arg, Authorized, FieldResolver, Resolver, Root } from 'type-graphql';
import { eInvoicePath } from '../views/e-invoice';
import { EInvoiceSyntax, IssuedInvoiceType } from './types/accounts.types';

@Resolver(() => IssuedInvoiceType)
export class IssuedInvoiceResolver {
  @Authorized()
  @FieldResolver(() => String, {
    description:
      'Where its EN 16931 e-invoice is served (a path on this service, same API key as the invoice page). It answers 409 CONFLICT naming what is missing when eInvoiceGaps is not empty.',
  })
  eInvoiceUrl(
    @Root() invoice: IssuedInvoiceType,
    @Arg('syntax', () => EInvoiceSyntax, { defaultValue: EInvoiceSyntax.UBL }) syntax: EInvoiceSyntax,
  ): string {
    return eInvoicePath(invoice.number, syntax);
  }
}
