import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum AccessRoleType {
  ADMIN = 'ADMIN',
  VIEWER = 'VIEWER',
}
registerEnumType(AccessRoleType, {
  name: 'AccessRole',
  description: 'ADMIN may upload, import, scrape, replay and manage keys; VIEWER reads.',
});

@ObjectType('ApiKey', { description: 'An API key, without its secret (shown only when it is created).' })
export class ApiKeyType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'Recorded as `uploadedBy` of what the key uploads.' })
  name!: string;

  @Field(() => AccessRoleType)
  role!: AccessRoleType;

  @Field(() => String)
  createdAt!: string;

  @Field(() => String, { nullable: true })
  createdBy!: string | null;

  @Field(() => String, { nullable: true, description: 'Set once revoked: the key is refused from then on.' })
  revokedAt!: string | null;
}

@ObjectType('CreatedApiKey')
export class CreatedApiKeyType {
  @Field(() => String, {
    description: 'The key to send as `Authorization: Bearer <key>`. Shown only now: only its hash is stored.',
  })
  key!: string;

  @Field(() => ApiKeyType)
  apiKey!: ApiKeyType;
}

@ObjectType('Caller', { description: 'Who is asking: the role and name of the key the request carries.' })
export class CallerType {
  @Field(() => AccessRoleType) role!: AccessRoleType;
  @Field(() => String, { nullable: true, description: "The key's name (null when auth is off)." }) name!: string | null;
}
