import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { type AuditContext, audited, REDACTED } from '../audit/audit-log.js';
import type { TokenService } from '../auth/tokens.js';
import type { Db, Orm } from '../db/orm.js';
import { resealStoredSecrets } from '../db/stored-secrets.js';
import { Tenant } from '../model/tenant.entity.js';
import { User } from '../model/user.entity.js';
import { reactionStates, retryParked } from '../reactions/parked.js';
import { UserRole } from '../shared/enums.js';
import { normaliseOrigin } from '../shared/origin.js';
import type { SecretBox } from '../shared/secret-box.js';
import { TENANT_FILTER } from '../shared/tenant-filter.js';
import { createTenant, DEFAULT_TENANT_SLUG, findTenantBySlug } from '../tenants/tenant.service.js';
import { createUser, setPassword, userFields } from '../users/user.service.js';

/**
 * The admin commands, independent of where they run: the CLI runs them on a database it opened
 * itself, or sends the same argument list to the running server that owns the embedded database
 * (admin.channel.ts), which runs them here. Either way the output is the same text.
 */

export const ADMIN_USAGE = `Usage: npm run admin -- <command> [options]

Commands:
  create-tenant <slug> [--name NAME] [--origin URL ...]   add a tenant (prints its widget key)
  list-tenants                                              list tenants
  create-user <username> --role ADMIN|STAFF|USER|BOT [--tenant SLUG] [--password P] [--display-name N] [--email E]
                                                            add a user (a password is generated unless given; bots get none)
  set-password <username> [--tenant SLUG] [--password P]    replace a password (generated unless given)
  token <username> [--tenant SLUG] [--ttl SECONDS]          print an access token (for bots and scripts)
  reactions [--retry NAME]                                  each reaction's checkpoint, failures and parked work;
                                                            --retry sends NAME's parked events and timers back to it
  rotate-secrets                                            move every stored secret under SECRETS_KEY: seals plaintext,
                                                            re-wraps values under SECRETS_PREVIOUS_KEY (safe while servers run)

The database is the one the server uses (DATABASE_URL / DATA_DIR). While a server owns the
embedded database (DATA_DIR), the commands run inside it, so changes take effect at once.`;

/** A mistake in the command line or its target (exit code 1, message shown as is). */
export class AdminCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdminCommandError';
  }
}

export interface AdminCommandDeps {
  orm: Orm;
  tokens: TokenService;
  /** SECRETS_KEY (and SECRETS_PREVIOUS_KEY): what rotate-secrets moves stored secrets under. */
  secrets: SecretBox;
  /** Told when a command revoked a user's tokens: a running server forgets its cached row and ends their streams (auth/viewer-cache.ts). */
  revoked?: (tenantId: string, userId: string) => Promise<void>;
}

export interface ParsedCommand {
  command: string | undefined;
  help: boolean;
  run: (deps: AdminCommandDeps) => Promise<string>;
}

const generatedPassword = () => randomBytes(12).toString('base64url');

/** The CLI acts as the system: someone with access to the server or its database ran it. */
const systemActor = (tenantId: string): AuditContext => ({ tenantId, actor: { type: 'SYSTEM', id: null }, ip: null, userAgent: 'parley-admin-cli' });

async function tenantOf(em: Db, slug: string | undefined): Promise<Tenant> {
  const tenant = await findTenantBySlug(em, slug ?? DEFAULT_TENANT_SLUG);
  if (!tenant) throw new AdminCommandError(`no tenant "${slug}"`);
  em.setFilterParams(TENANT_FILTER, { tenantId: tenant.id });
  return tenant;
}

async function findUser(em: Db, username: string): Promise<User> {
  const user = await em.findOne(User, { username: username.toLowerCase() });
  if (!user) throw new AdminCommandError(`no user "${username}"`);
  return user;
}

/** The options every command accepts. */
const OPTIONS = {
  tenant: { type: 'string' },
  name: { type: 'string' },
  origin: { type: 'string', multiple: true },
  role: { type: 'string' },
  password: { type: 'string' },
  'display-name': { type: 'string' },
  email: { type: 'string' },
  ttl: { type: 'string' },
  retry: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseOptions(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], allowPositionals: true, options: OPTIONS });
  } catch (error) {
    throw new AdminCommandError(error instanceof Error ? error.message : String(error));
  }
}

/** Parses an argument list (`create-user alice --role STAFF`); throws AdminCommandError on unknown options. */
export function parseAdminCommand(argv: readonly string[]): ParsedCommand {
  const { positionals, values } = parseOptions(argv);
  const [command, arg] = positionals;
  const needArg = (what: string) => {
    if (!arg) throw new AdminCommandError(`${command} needs a ${what}`);
    return arg;
  };
  const run = async ({ orm, tokens, secrets, revoked }: AdminCommandDeps): Promise<string> => {
    const em = orm.em.fork() as Db;
    switch (command) {
      case 'create-tenant': {
        const tenant = await createTenant(em, needArg('slug'), values.name);
        tenant.allowedOrigins = (values.origin ?? []).map((origin) => {
          const normalised = normaliseOrigin(origin);
          if (normalised === null) throw new AdminCommandError(`--origin "${origin}" is not a bare origin like https://shop.example (scheme://host[:port])`);
          return normalised;
        });
        await em.flush();
        return JSON.stringify({ id: tenant.id, slug: tenant.slug, widgetKey: tenant.widgetKey, allowedOrigins: tenant.allowedOrigins });
      }
      case 'list-tenants': {
        const tenants = await em.find(Tenant, {}, { orderBy: { id: 'asc' } });
        return tenants.map((t) => `${t.id}\t${t.slug}\t${t.name}\t${t.widgetKey}`).join('\n');
      }
      case 'create-user': {
        const username = needArg('username');
        const role = (values.role ?? '').toUpperCase() as UserRole;
        if (!Object.values(UserRole).includes(role)) throw new AdminCommandError('--role must be ADMIN, STAFF, USER or BOT');
        const tenant = await tenantOf(em, values.tenant);
        const password = values.password ?? (role === UserRole.BOT ? null : generatedPassword());
        const user = await audited(
          em,
          systemActor(tenant.id),
          () => createUser(em, tenant.id, { username, role, password, displayName: values['display-name'], email: values.email }),
          (created) => ({ action: 'user.created', target: { type: 'user', id: created.id }, diff: userFields(created) }),
        );
        const line = JSON.stringify({ id: user.id, username: user.username, role: user.role, tenant: tenant.slug });
        return password && !values.password ? `${line}\npassword: ${password}` : line;
      }
      case 'set-password': {
        const username = needArg('username');
        await tenantOf(em, values.tenant);
        const user = await findUser(em, username);
        const password = values.password ?? generatedPassword();
        await audited(
          em,
          systemActor(user.tenant.id),
          () => setPassword(em, user, password),
          () => ({ action: 'auth.password_changed', target: { type: 'user', id: user.id }, diff: { password: { before: REDACTED, after: REDACTED } } }),
        );
        await revoked?.(user.tenant.id, user.id);
        return values.password ? 'password set' : `password: ${password}`;
      }
      case 'token': {
        const username = needArg('username');
        const tenant = await tenantOf(em, values.tenant);
        const user = await findUser(em, username);
        const ttl = values.ttl === undefined ? undefined : Number(values.ttl);
        if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 60)) throw new AdminCommandError('--ttl must be a whole number of seconds, at least 60');
        return tokens.issueAccessToken(user.id, tenant.id, user.tokenVersion, ttl);
      }
      case 'reactions': {
        if (values.retry !== undefined) return `sent back ${await retryParked(em, values.retry)} parked to ${values.retry}`;
        const states = await reactionStates(em);
        return states.map((s) => `${s.name}\tat ${s.position}\tparked ${s.parked}\tfailing ${s.attempts}${s.lastError ? ` (${s.lastError})` : ''}\tupdated ${s.updatedAt}`).join('\n');
      }
      case 'rotate-secrets': {
        const report = await resealStoredSecrets(em, secrets, { plaintextOnly: false });
        const line = `sealed ${report.sealed}, re-wrapped ${report.rewrapped} under key ${secrets.currentKid}`;
        if (report.unreadable > 0) {
          throw new AdminCommandError(
            `${line}; ${report.unreadable} could not be opened with SECRETS_KEY or SECRETS_PREVIOUS_KEY (left as they are): set the key they were sealed with and run it again`,
          );
        }
        return line;
      }
      default:
        throw new AdminCommandError(`unknown command "${command}"\n\n${ADMIN_USAGE}`);
    }
  };
  return { command, help: values.help === true, run };
}
