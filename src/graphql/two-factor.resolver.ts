import { Arg, Ctx, Field, ID, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../app/context.js';
import { UserRole } from './enums.js';

@ObjectType('TwoFactorStatus')
export class TwoFactorStatusType {
  @Field(() => Boolean, { description: 'Whether signing in needs a TOTP code (or a recovery code) besides the password' })
  enabled!: boolean;

  @Field(() => Int, { description: 'Recovery codes not used yet (0 while two-factor sign-in is off)' })
  recoveryCodesLeft!: number;

  @Field(() => Boolean, { description: "Whether the tenant requires a second factor of the user's role (requireTwoFactor): then it cannot be turned off" })
  required!: boolean;
}

@ObjectType('TotpEnrollment', { description: 'Show the URL as a QR code (or the secret for typing in); confirm with confirmTotp' })
export class TotpEnrollmentType {
  @Field(() => String, { description: 'The shared secret, base32' })
  secret!: string;

  @Field(() => String, { description: 'otpauth://totp/… as authenticator apps scan it' })
  otpauthUrl!: string;
}

/** Two-factor sign-in (TOTP, RFC 6238); see TwoFactorService for the rules. */
@Resolver()
export class TwoFactorResolver {
  @Query(() => TwoFactorStatusType, { description: 'Signed-in users: their own two-factor sign-in' })
  twoFactor(@Ctx() ctx: RequestContext): Promise<TwoFactorStatusType> {
    return ctx.twoFactor.status();
  }

  @Mutation(() => TotpEnrollmentType, {
    description:
      'With the password: a new authenticator secret, pending until confirmTotp. Signed in, for the viewer; without a token (a role that must set up a second factor before signing in: TWO_FACTOR_SETUP_REQUIRED), for the account username and tenant name',
  })
  enrollTotp(
    @Arg('password', () => String) password: string,
    @Ctx() ctx: RequestContext,
    @Arg('username', () => String, { nullable: true, description: 'Without a token only' }) username?: string | null,
    @Arg('tenant', () => String, { nullable: true, description: 'Tenant slug, without a token only; the default tenant when omitted' }) tenant?: string | null,
  ): Promise<TotpEnrollmentType> {
    return ctx.twoFactor.enroll(password, { username, tenant });
  }

  @Mutation(() => [String], {
    description: 'Turns two-factor sign-in on with a code from the enrolled app; returns 10 single-use recovery codes, shown this once. Without a token, also the username, password and tenant',
  })
  confirmTotp(
    @Arg('code', () => String) code: string,
    @Ctx() ctx: RequestContext,
    @Arg('username', () => String, { nullable: true }) username?: string | null,
    @Arg('password', () => String, { nullable: true }) password?: string | null,
    @Arg('tenant', () => String, { nullable: true }) tenant?: string | null,
  ): Promise<string[]> {
    return ctx.twoFactor.confirm(code, username ? { username, tenant, password: password ?? '' } : undefined);
  }

  @Mutation(() => Boolean, { description: 'Turns two-factor sign-in off, with the password and a TOTP code or a recovery code; false when it was off' })
  disableTotp(
    @Arg('password', () => String) password: string,
    @Ctx() ctx: RequestContext,
    @Arg('totp', () => String, { nullable: true }) totp?: string | null,
    @Arg('recoveryCode', () => String, { nullable: true }) recoveryCode?: string | null,
  ): Promise<boolean> {
    return ctx.twoFactor.disable(password, { totp, recoveryCode });
  }

  @Mutation(() => [String], { description: 'New recovery codes, with the password and a TOTP code; the old codes stop working' })
  regenerateRecoveryCodes(@Arg('password', () => String) password: string, @Arg('totp', () => String) totp: string, @Ctx() ctx: RequestContext): Promise<string[]> {
    return ctx.twoFactor.regenerateRecoveryCodes(password, totp);
  }

  @Query(() => [UserRole], { description: 'Admins: the roles of the tenant that must sign in with a second factor' })
  twoFactorRequiredRoles(@Ctx() ctx: RequestContext): Promise<UserRole[]> {
    return ctx.twoFactor.requiredRoles();
  }

  @Mutation(() => [UserRole], {
    description:
      'Admins: the roles that must sign in with a second factor (ADMIN, STAFF, USER; [] for none). Users of a newly required role without one are signed out everywhere at once and set one up before signing in again; API keys keep working',
  })
  requireTwoFactor(@Arg('roles', () => [UserRole]) roles: UserRole[], @Ctx() ctx: RequestContext): Promise<UserRole[]> {
    return ctx.twoFactor.require(roles);
  }

  @Mutation(() => Boolean, { description: "Admins: turns off a user's two-factor sign-in (a lost device and lost recovery codes); true when it was on" })
  resetTwoFactor(@Arg('userId', () => ID) userId: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    return ctx.twoFactor.reset(userId);
  }
}
