import { Field, InputType, ObjectType } from 'type-graphql';

@InputType('PostalAddressInput')
export class PostalAddressInput {
  @Field(() => String) street!: string;
  @Field(() => String) city!: string;
  @Field(() => String) postalCode!: string;
  @Field(() => String, { description: 'ISO 3166-1 alpha-2, such as DE.' }) countryCode!: string;
}

@ObjectType('PostalAddress')
export class PostalAddressType {
  @Field(() => String) street!: string;
  @Field(() => String) city!: string;
  @Field(() => String) postalCode!: string;
  @Field(() => String) countryCode!: string;
}

@InputType('SupplierInput', { description: "The supplier's legal details: the seller of every invoice it issues." })
export class SupplierInput {
  @Field(() => String) legalName!: string;
  @Field(() => String, { description: 'VAT identifier with its country prefix, such as DE123456789.' })
  vatId!: string;
  @Field(() => PostalAddressInput) address!: PostalAddressInput;
  @Field(() => String, { nullable: true, description: 'Trade register or company number.' })
  registrationId?: string | null;
  @Field(() => String, { nullable: true, description: 'Checked by its check digits.' }) iban?: string | null;
  @Field(() => String, { nullable: true }) bic?: string | null;
  @Field(() => String, { nullable: true }) email?: string | null;
  @Field(() => String, { nullable: true }) phone?: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'How and when to pay (EN 16931 BT-20); e-invoices say "Payable on receipt of this invoice." without.',
  })
  paymentTerms?: string | null;
}

@ObjectType('Supplier')
export class SupplierType {
  @Field(() => String) legalName!: string;
  @Field(() => String) vatId!: string;
  @Field(() => PostalAddressType) address!: PostalAddressType;
  @Field(() => String, { nullable: true }) registrationId!: string | null;
  @Field(() => String, { nullable: true }) iban!: string | null;
  @Field(() => String, { nullable: true }) bic!: string | null;
  @Field(() => String, { nullable: true }) email!: string | null;
  @Field(() => String, { nullable: true }) phone!: string | null;
  @Field(() => String, { nullable: true }) paymentTerms!: string | null;
}

@InputType('BillingDetailsInput', {
  description: "A customer's billing details: the buyer of its e-invoices, named by the account's name.",
})
export class BillingDetailsInput {
  @Field(() => PostalAddressInput) address!: PostalAddressInput;
  @Field(() => String, { nullable: true, description: 'VAT identifier with its country prefix, if it has one.' })
  vatId?: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'The reference the customer asks invoices to quote (BT-10; a Leitweg-ID for German authorities).',
  })
  buyerReference?: string | null;
  @Field(() => String, { nullable: true }) email?: string | null;
}

@ObjectType('BillingDetails')
export class BillingDetailsType {
  @Field(() => PostalAddressType) address!: PostalAddressType;
  @Field(() => String, { nullable: true }) vatId!: string | null;
  @Field(() => String, { nullable: true }) buyerReference!: string | null;
  @Field(() => String, { nullable: true }) email!: string | null;
}

@ObjectType('InvoiceBuyer', { description: 'The buyer an issued document names, as it was when issued.' })
export class InvoiceBuyerType {
  @Field(() => String) name!: string;
  @Field(() => BillingDetailsType, { nullable: true, description: 'Null: the account had no billing details.' })
  billing!: BillingDetailsType | null;
}
