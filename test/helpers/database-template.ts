import 'reflect-metadata';
import * as orm from '../../src/db/orm.js';
import { awaitTemplate, buildTemplate, claimTemplate, type DatabaseTemplate } from './template-builder.mjs';

/**
 * One migrated database per test run, which every test database starts from: a PostgreSQL
 * template database that `create database … template` copies, or a PGlite data-directory
 * tarball (the server's PGLITE_TEMPLATE), so no test database runs initdb (PGlite) and every
 * migration again; the migrations from an empty database run once per run, through the same
 * code, and each server runs them over its copy (finding nothing to do).
 *
 * jest's globalSetup (global-setup.mjs) gives the run a directory and, when the compiled dist/
 * is current (`npm test` builds first), builds the template there. Otherwise the first test
 * file to need it builds it from src/ and the others wait. global-teardown.mjs drops it.
 */
export type { DatabaseTemplate };

let template: Promise<DatabaseTemplate | null> | null = null;

/** The run's template, or null when jest's globalSetup gave the run no directory for it. */
export function databaseTemplate(): Promise<DatabaseTemplate | null> {
  template ??= obtain();
  return template;
}

async function obtain(): Promise<DatabaseTemplate | null> {
  const dir = process.env.PARLEY_TEST_RUN_DIR;
  if (!dir) return null;
  return claimTemplate(dir) ? buildTemplate(dir, orm) : awaitTemplate(dir);
}
