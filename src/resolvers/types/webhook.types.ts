import { Field, ID, Int, ObjectType } from 'type-graphql';

@ObjectType('Webhook')
export class WebhookType {
  @Field(() => ID) id!: string;
  @Field(() => String) url!: string;
  @Field(() => [String], { description: 'InvoiceIssued and/or CreditNoteIssued.' }) events!: string[];
  @Field(() => String) registeredAt!: string;
}

@ObjectType('WebhookRegistration', { description: 'A new webhook with its signing secret: shown this once.' })
export class WebhookRegistrationType extends WebhookType {
  @Field(() => String, {
    description:
      'Key of X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">. Store it now: it is never shown again.',
  })
  secret!: string;
}

@ObjectType('WebhookDelivery')
export class WebhookDeliveryType {
  @Field(() => ID, { description: 'Also sent as X-Delivery-Id and Idempotency-Key.' }) deliveryId!: string;
  @Field(() => String, { description: 'The invoice or credit note number.' }) number!: string;
  @Field(() => String, { description: 'PENDING, DELIVERED or FAILED.' }) status!: string;
  @Field(() => Int) attempts!: number;
  @Field(() => Int, { nullable: true }) statusCode!: number | null;
  @Field(() => String, { nullable: true }) error!: string | null;
  @Field(() => String, { description: 'Delivered or given up at; for PENDING, the next attempt.' }) at!: string;
}
