import { Arg, Ctx, Field, ID, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../app/context.js';
import type { ApiKey } from '../model/api-key.entity.js';
import { UserRole } from './enums.js';

@ObjectType('ApiKey', { description: 'A bearer credential for a bot or integration; acts as its user, with that role' })
export class ApiKeyType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'The first characters of the key, to tell keys apart' })
  prefix!: string;

  @Field(() => ID)
  userId!: string;

  @Field(() => UserRole, { description: "The role the key acts with: its user's" })
  role!: UserRole;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  revokedAt!: Date | null;

  static from(apiKey: ApiKey): ApiKeyType {
    return Object.assign(new ApiKeyType(), {
      id: apiKey.id,
      name: apiKey.name,
      prefix: apiKey.prefix,
      userId: apiKey.user.id,
      role: apiKey.user.role,
      createdAt: apiKey.createdAt,
      revokedAt: apiKey.revokedAt,
    });
  }
}

@ObjectType('IssuedApiKey')
export class IssuedApiKeyType {
  @Field(() => ApiKeyType)
  apiKey!: ApiKeyType;

  @Field(() => String, { description: 'Send it as `Authorization: Bearer <key>`; shown only here (only a hash is stored)' })
  key!: string;
}

/** API keys; see ApiKeyService for the rules (admins only, their tenant's keys). */
@Resolver()
export class ApiKeyResolver {
  @Query(() => [ApiKeyType], { description: "Admins: the tenant's API keys, revoked ones included" })
  async apiKeys(@Ctx() ctx: RequestContext): Promise<ApiKeyType[]> {
    return (await ctx.apiKeys.list()).map((apiKey) => ApiKeyType.from(apiKey));
  }

  @Mutation(() => IssuedApiKeyType, { description: 'Admins: issues a key acting as userId (usually a BOT user); the key is shown only here' })
  async createApiKey(@Arg('name', () => String) name: string, @Arg('userId', () => ID) userId: string, @Ctx() ctx: RequestContext): Promise<IssuedApiKeyType> {
    const { apiKey, key } = await ctx.apiKeys.create(name, userId);
    return { apiKey: ApiKeyType.from(apiKey), key };
  }

  @Mutation(() => ApiKeyType, { description: 'Admins: revokes a key at once (requests with it get 401)' })
  async revokeApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<ApiKeyType> {
    return ApiKeyType.from(await ctx.apiKeys.revoke(id));
  }
}
