import { Arg, Ctx, Field, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../app/context.js';
import type { InviteResult, LoginResult } from '../auth/auth.service.js';
import { UserRole } from './enums.js';
import { UserType } from './user.types.js';

@ObjectType('AuthPayload')
export class AuthPayload {
  @Field(() => String)
  token!: string;

  @Field(() => Date)
  expiresAt!: Date;

  @Field(() => String, {
    description:
      'Renews the sign-in before `expiresAt` (refreshToken mutation). Each use returns a new one and spends this one; using a spent one again revokes the whole sign-in. Keep it out of URLs and logs.',
  })
  refreshToken!: string;

  @Field(() => Date)
  refreshExpiresAt!: Date;

  @Field(() => UserType)
  user!: UserType;
}

@ObjectType('UserInvite', { description: 'A user added without a password, and the one-time token that lets them choose one (acceptInvite)' })
export class UserInvite {
  @Field(() => UserType)
  user!: UserType;

  @Field(() => String, { description: 'Hand it to the user out of band; it works once, until expiresAt (INVITE_TTL_SECONDS)' })
  inviteToken!: string;

  @Field(() => Date)
  expiresAt!: Date;
}

@Resolver()
export class AuthResolver {
  @Mutation(() => AuthPayload)
  async login(
    @Arg('username', () => String) username: string,
    @Arg('password', () => String) password: string,
    @Ctx() ctx: RequestContext,
    @Arg('tenant', () => String, { nullable: true, description: 'Tenant slug; the default tenant when omitted' }) tenant?: string | null,
    @Arg('totp', () => String, { nullable: true, description: 'The current code of the authenticator app, for an account with two-factor sign-in (TOTP_REQUIRED without it)' })
    totp?: string | null,
    @Arg('recoveryCode', () => String, { nullable: true, description: 'A recovery code instead of totp; each works once' }) recoveryCode?: string | null,
  ): Promise<AuthPayload> {
    return this.payload(await ctx.auth.login(username, password, tenant, { totp, recoveryCode }));
  }

  /** The payload shows the user as they see themselves. */
  private payload(result: LoginResult): AuthPayload {
    const { user } = result;
    const viewer = { kind: 'user' as const, tenantId: user.tenant.id, userId: user.id, role: user.role, username: user.username, displayName: user.displayName };
    return { token: result.token, expiresAt: result.expiresAt, refreshToken: result.refreshToken, refreshExpiresAt: result.refreshExpiresAt, user: UserType.from(user, viewer) };
  }

  @Mutation(() => AuthPayload, {
    description: 'A new access token and refresh token for a refresh token from login (or an earlier refresh), which is spent. Needs no Authorization header.',
  })
  async refreshToken(@Arg('refreshToken', () => String) refreshToken: string, @Ctx() ctx: RequestContext): Promise<AuthPayload> {
    return this.payload(await ctx.auth.refresh(refreshToken));
  }

  @Mutation(() => Boolean, { description: 'Signs the caller out everywhere: every access and refresh token issued to them so far stops working' })
  async logout(@Ctx() ctx: RequestContext): Promise<boolean> {
    return ctx.auth.logout(ctx.viewer);
  }

  @Mutation(() => AuthPayload, { description: "Replaces the caller's password, revokes every earlier token and returns a new one" })
  async changePassword(@Arg('currentPassword', () => String) currentPassword: string, @Arg('newPassword', () => String) newPassword: string, @Ctx() ctx: RequestContext): Promise<AuthPayload> {
    return this.payload(await ctx.auth.changePassword(ctx.viewer, currentPassword, newPassword));
  }

  @Query(() => UserType, { nullable: true, description: 'The signed-in user; null for guests and anonymous callers' })
  async me(@Ctx() ctx: RequestContext): Promise<UserType | null> {
    const user = await ctx.users.me();
    return user ? UserType.from(user, ctx.viewer) : null;
  }

  @Mutation(() => UserType, { description: "Admins only: add a user to the admin's tenant. A password is required except for bots; use inviteUser to let the user choose it" })
  async createUser(
    @Arg('username', () => String) username: string,
    @Arg('role', () => UserRole) role: UserRole,
    @Ctx() ctx: RequestContext,
    @Arg('displayName', () => String, { nullable: true }) displayName?: string | null,
    @Arg('email', () => String, { nullable: true }) email?: string | null,
    @Arg('password', () => String, { nullable: true }) password?: string | null,
  ): Promise<UserType> {
    const user = await ctx.users.create({ username, role, displayName, email, password });
    return UserType.from(user, ctx.viewer);
  }

  @Mutation(() => UserInvite, { description: "Admins only: add a user to the admin's tenant without a password; they set one with acceptInvite" })
  async inviteUser(
    @Arg('username', () => String) username: string,
    @Arg('role', () => UserRole) role: UserRole,
    @Ctx() ctx: RequestContext,
    @Arg('displayName', () => String, { nullable: true }) displayName?: string | null,
    @Arg('email', () => String, { nullable: true }) email?: string | null,
  ): Promise<UserInvite> {
    const result: InviteResult = await ctx.auth.invite(ctx.viewer, { username, role, displayName, email });
    return { user: UserType.from(result.user, ctx.viewer), inviteToken: result.inviteToken, expiresAt: result.expiresAt };
  }

  @Mutation(() => AuthPayload, { description: 'Sets the first password of an invited user (the invitation then stops working) and signs them in' })
  async acceptInvite(@Arg('inviteToken', () => String) inviteToken: string, @Arg('password', () => String) password: string, @Ctx() ctx: RequestContext): Promise<AuthPayload> {
    return this.payload(await ctx.auth.acceptInvite(inviteToken, password));
  }
}
