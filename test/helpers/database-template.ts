import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { DatabaseTarget } from '../../src/config/config.js';
import { migrate, openOrm } from '../../src/db/orm.js';

/**
 * One migrated database per test run, which every test database starts from: a PostgreSQL
 * template database that `create database … template` copies, or a PGlite data-directory
 * tarball (the server's PGLITE_TEMPLATE). Starting a server used to run initdb (PGlite) and
 * every migration for each test database; the migrations from an empty database still run,
 * once per run, through the same code, and each server still runs them over its copy.
 *
 * jest's globalSetup (global-setup.mjs) gives the run a directory; the first test file to need
 * the template builds it there (test files are compiled by the suite's transform, which
 * globalSetup is not), the others wait for it. global-teardown.mjs drops it.
 */
export interface DatabaseTemplate {
  /** A PostgreSQL database on DATABASE_URL's server. */
  postgres?: string;
  /** A PGlite dumpDataDir tarball. */
  pglite?: string;
}

const RUN_DIR_VARIABLE = 'PARLEY_TEST_RUN_DIR';
const usingPostgres = (): boolean => /^postgres/.test(process.env.DATABASE_URL ?? '');
let template: Promise<DatabaseTemplate | null> | null = null;

/** The run's template, or null when jest's globalSetup gave the run no directory for it. */
export function databaseTemplate(): Promise<DatabaseTemplate | null> {
  template ??= obtain();
  return template;
}

async function obtain(): Promise<DatabaseTemplate | null> {
  const dir = process.env[RUN_DIR_VARIABLE];
  if (!dir) return null;
  const ready = join(dir, 'template.json');
  try {
    writeFileSync(join(dir, 'template.lock'), String(process.pid), { flag: 'wx' });
  } catch {
    // Another test file builds it: wait for its result (null if it failed; that file fails too).
    while (!existsSync(ready)) await sleep(50);
    return JSON.parse(readFileSync(ready, 'utf8')) as DatabaseTemplate | null;
  }
  let built: DatabaseTemplate | null = null;
  try {
    built = usingPostgres() ? await postgresTemplate(process.env.DATABASE_URL!) : { pglite: await pgliteTemplate(dir) };
    return built;
  } finally {
    writeFileSync(ready, JSON.stringify(built));
  }
}

async function migrated<T>(target: DatabaseTarget, then: (orm: Awaited<ReturnType<typeof openOrm>>) => Promise<T>): Promise<T> {
  const orm = await openOrm(target, { logger: () => undefined });
  try {
    await migrate(orm, target);
    return await then(orm);
  } finally {
    await orm.close();
  }
}

async function pgliteTemplate(dir: string): Promise<string> {
  const file = join(dir, 'pgdata.tar');
  await migrated({ kind: 'pglite', dataDir: null }, async (orm) => {
    const pglite = (await orm.em.getConnection().getNativeClient()) as { dumpDataDir(compression: 'none'): Promise<Blob> };
    writeFileSync(file, new Uint8Array(await (await pglite.dumpDataDir('none')).arrayBuffer()));
  });
  return file;
}

async function postgresTemplate(base: string): Promise<DatabaseTemplate> {
  const name = `parley_template_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
    const url = new URL(base);
    url.pathname = `/${name}`;
    // Recorded before migrating, so teardown drops it even if the migrations fail.
    const built = { postgres: name };
    await migrated({ kind: 'postgres', url: url.toString() }, async () => undefined).catch(async (error: unknown) => {
      await admin.query(`drop database if exists "${name}" with (force)`);
      throw error;
    });
    return built;
  } finally {
    await admin.end();
  }
}
