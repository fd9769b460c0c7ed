import type { DatabaseTarget } from '../../src/config/config.js';
import type { Orm } from '../../src/db/orm.js';

/** A migrated database every test database starts from (template-builder.mjs). */
export interface DatabaseTemplate {
  /** A PostgreSQL database on DATABASE_URL's server, for `create database … template`. */
  postgres?: string;
  /** A PGlite dumpDataDir tarball, for PGLITE_TEMPLATE. */
  pglite?: string;
}

export interface OrmModule {
  openOrm(target: DatabaseTarget, extra?: Record<string, unknown>): Promise<Orm>;
  migrate(orm: Orm, target: DatabaseTarget): Promise<void>;
}

export function claimTemplate(dir: string): boolean;
export function awaitTemplate(dir: string): Promise<DatabaseTemplate | null>;
export function buildTemplate(dir: string, orm: OrmModule): Promise<DatabaseTemplate | null>;
export function dropTemplate(dir: string): Promise<void>;
