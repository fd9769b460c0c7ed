import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

/**
 * The run's migrated template database (see database-template.ts), built once in the run's
 * directory: by global-setup.mjs with the compiled dist/ when it is current (outside every
 * test's timeout), else by the first test file that needs it, with src/. Plain JavaScript, so
 * both can load it.
 */

const usingPostgres = () => /^postgres/.test(process.env.DATABASE_URL ?? '');
const readyFile = (dir) => join(dir, 'template.json');

/** True for the one caller that is to build the template; everyone else waits for it. */
export function claimTemplate(dir) {
  try {
    writeFileSync(join(dir, 'template.lock'), String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    return false;
  }
}

/** The template once its builder is done (null if it failed; that builder reports why). */
export async function awaitTemplate(dir) {
  while (!existsSync(readyFile(dir))) await sleep(50);
  return JSON.parse(readFileSync(readyFile(dir), 'utf8'));
}

/** Builds the template with the given openOrm/migrate (src/db/orm.ts or its compiled dist/ copy). */
export async function buildTemplate(dir, orm) {
  let built = null;
  try {
    built = usingPostgres() ? await postgresTemplate(process.env.DATABASE_URL, orm) : { pglite: await pgliteTemplate(dir, orm) };
    return built;
  } finally {
    writeFileSync(readyFile(dir), JSON.stringify(built));
  }
}

async function migrated({ openOrm, migrate }, target, then) {
  const orm = await openOrm(target, { logger: () => undefined });
  try {
    await migrate(orm, target);
    await then(orm);
  } finally {
    await orm.close();
  }
}

async function pgliteTemplate(dir, orm) {
  const file = join(dir, 'pgdata.tar');
  await migrated(orm, { kind: 'pglite', dataDir: null }, async (opened) => {
    const pglite = await opened.em.getConnection().getNativeClient();
    writeFileSync(file, new Uint8Array(await (await pglite.dumpDataDir('none')).arrayBuffer()));
  });
  return file;
}

async function onServer(base, run) {
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

async function postgresTemplate(base, orm) {
  const name = `parley_template_${process.pid}_${randomBytes(4).toString('hex')}`;
  await onServer(base, (client) => client.query(`create database "${name}"`));
  const url = new URL(base);
  url.pathname = `/${name}`;
  try {
    await migrated(orm, { kind: 'postgres', url: url.toString() }, async () => undefined);
  } catch (error) {
    await onServer(base, (client) => client.query(`drop database if exists "${name}" with (force)`));
    throw error;
  }
  return { postgres: name };
}

/** Drops the run's template (global-teardown.mjs) and its directory. */
export async function dropTemplate(dir) {
  const template = existsSync(readyFile(dir)) ? JSON.parse(readFileSync(readyFile(dir), 'utf8')) : null;
  if (template?.postgres && process.env.DATABASE_URL) {
    await onServer(process.env.DATABASE_URL, (client) => client.query(`drop database if exists "${template.postgres}" with (force)`));
  }
  rmSync(dir, { recursive: true, force: true });
}
