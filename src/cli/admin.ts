import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { hashPassword } from '../auth/password.js';
import { TokenService } from '../auth/tokens.js';
import { ConfigError, loadConfig } from '../config.js';
import { bootstrap } from '../db/bootstrap.js';
import { migrate, openOrm, type Db } from '../db/orm.js';
import { createLogger } from '../observability/logger.js';
import { UserRole } from '../shared/enums.js';
import { DomainError } from '../shared/errors.js';
import { TENANT_FILTER } from '../shared/tenant-filter.js';
import { Tenant } from '../tenants/tenant.entity.js';
import { createTenant, DEFAULT_TENANT_SLUG, findTenantBySlug } from '../tenants/tenant.service.js';
import { User } from '../users/user.entity.js';
import { createUser, MIN_PASSWORD_LENGTH } from '../users/user.service.js';

const USAGE = `Usage: npm run admin -- <command> [options]

Commands:
  create-tenant <slug> [--name NAME] [--origin URL ...]   add a tenant (prints its widget key)
  list-tenants                                              list tenants
  create-user <username> --role ADMIN|STAFF|USER|BOT [--tenant SLUG] [--password P] [--display-name N] [--email E]
                                                            add a user (a password is generated unless given; bots get none)
  set-password <username> [--tenant SLUG] [--password P]    replace a password (generated unless given)
  token <username> [--tenant SLUG] [--ttl SECONDS]          print an access token (for bots and scripts)

The database is the one the server uses (DATABASE_URL / DATA_DIR).`;

const generatedPassword = () => randomBytes(12).toString('base64url');

async function tenantOf(em: Db, slug: string | undefined): Promise<Tenant> {
  const tenant = await findTenantBySlug(em, slug ?? DEFAULT_TENANT_SLUG);
  if (!tenant) throw new Error(`no tenant "${slug}"`);
  em.setFilterParams(TENANT_FILTER, { tenantId: tenant.id });
  return tenant;
}

async function findUser(em: Db, username: string): Promise<User> {
  const user = await em.findOne(User, { username: username.toLowerCase() });
  if (!user) throw new Error(`no user "${username}"`);
  return user;
}

async function run(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tenant: { type: 'string' },
      name: { type: 'string' },
      origin: { type: 'string', multiple: true },
      role: { type: 'string' },
      password: { type: 'string' },
      'display-name': { type: 'string' },
      email: { type: 'string' },
      ttl: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, arg] = positionals;
  if (!command || values.help) {
    console.log(USAGE);
    return;
  }
  const config = loadConfig();
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const orm = await openOrm(config.database, { logger: (message: string) => logger.debug({ orm: message }, 'orm') });
  try {
    await migrate(orm, config.database);
    await bootstrap(orm, config.adminPassword, logger);
    const em = orm.em.fork() as Db;
    switch (command) {
      case 'create-tenant': {
        if (!arg) throw new Error('create-tenant needs a slug');
        const tenant = await createTenant(em, arg, values.name);
        tenant.allowedOrigins = values.origin ?? [];
        await em.flush();
        console.log(JSON.stringify({ id: tenant.id, slug: tenant.slug, widgetKey: tenant.widgetKey, allowedOrigins: tenant.allowedOrigins }));
        break;
      }
      case 'list-tenants': {
        const tenants = await em.find(Tenant, {}, { orderBy: { id: 'asc' } });
        for (const t of tenants) console.log(`${t.id}\t${t.slug}\t${t.name}\t${t.widgetKey}`);
        break;
      }
      case 'create-user': {
        if (!arg) throw new Error('create-user needs a username');
        const role = (values.role ?? '').toUpperCase() as UserRole;
        if (!Object.values(UserRole).includes(role)) throw new Error('--role must be ADMIN, STAFF, USER or BOT');
        const tenant = await tenantOf(em, values.tenant);
        const password = values.password ?? (role === UserRole.BOT ? null : generatedPassword());
        const user = await createUser(em, tenant.id, { username: arg, role, password, displayName: values['display-name'], email: values.email });
        console.log(JSON.stringify({ id: user.id, username: user.username, role: user.role, tenant: tenant.slug }));
        if (password && !values.password) console.log(`password: ${password}`);
        break;
      }
      case 'set-password': {
        if (!arg) throw new Error('set-password needs a username');
        await tenantOf(em, values.tenant);
        const user = await findUser(em, arg);
        const password = values.password ?? generatedPassword();
        if (password.length < MIN_PASSWORD_LENGTH) throw new Error(`password must be at least ${MIN_PASSWORD_LENGTH} characters`);
        user.passwordHash = await hashPassword(password);
        // A new password signs the user out everywhere.
        user.tokenVersion += 1;
        await em.flush();
        console.log(values.password ? 'password set' : `password: ${password}`);
        break;
      }
      case 'token': {
        if (!arg) throw new Error('token needs a username');
        const tenant = await tenantOf(em, values.tenant);
        const user = await findUser(em, arg);
        const ttl = values.ttl === undefined ? undefined : Number(values.ttl);
        if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 60)) throw new Error('--ttl must be a whole number of seconds, at least 60');
        console.log(await new TokenService(config).issueAccessToken(user.id, tenant.id, user.tokenVersion, ttl));
        break;
      }
      default:
        throw new Error(`unknown command "${command}"\n\n${USAGE}`);
    }
  } finally {
    await orm.close();
  }
}

run(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof ConfigError || error instanceof DomainError || error instanceof Error ? error.message : String(error);
  console.error(`admin: ${message}`);
  process.exit(1);
});
