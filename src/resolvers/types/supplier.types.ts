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
}
