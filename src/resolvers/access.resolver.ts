import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { ApiKeyDoc } from '../domain/access/api-keys';
import type { GraphQLContext } from './context';
import { AccessRoleType, ApiKeyType, CallerType, CreatedApiKeyType } from './types/access.types';

const toApiKey = (doc: ApiKeyDoc): ApiKeyType => ({
  id: doc.keyId,
  name: doc.name,
  role: doc.role as AccessRoleType,
  createdAt: doc.createdAt,
  createdBy: doc.createdBy,
  revokedAt: doc.revokedAt,
});

@Resolver()
export class AccessResolver {
  @Authorized()
  @Query(() => CallerType, { description: "The caller's role, so a client shows only what it may do." })
  whoami(@Ctx() context: GraphQLContext): CallerType {
    return { role: context.role as AccessRoleType, name: context.principal };
  }

  @Authorized('ADMIN')
  @Query(() => [ApiKeyType], { description: 'Every API key, newest first, revoked ones included; never a secret.' })
  async apiKeys(@Ctx() { services }: GraphQLContext): Promise<ApiKeyType[]> {
    return (await services.access.list()).map(toApiKey);
  }

  @Authorized('ADMIN')
  @Mutation(() => CreatedApiKeyType, { description: 'Creates a key; its secret is in the answer, and only there.' })
  async createApiKey(
    @Arg('name', () => String) name: string,
    @Arg('role', () => AccessRoleType) role: AccessRoleType,
    @Ctx() { services, principal }: GraphQLContext,
  ): Promise<CreatedApiKeyType> {
    const created = await services.access.create(name, role, principal);
    return { key: created.key, apiKey: toApiKey(created.doc) };
  }

  @Authorized('ADMIN')
  @Mutation(() => ApiKeyType, { description: 'Revokes a key: it is refused at once, on every instance.' })
  async revokeApiKey(
    @Arg('id', () => ID) id: string,
    @Ctx() { services, principal }: GraphQLContext,
  ): Promise<ApiKeyType> {
    return toApiKey(await services.access.revoke(id, principal));
  }
}
