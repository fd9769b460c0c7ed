import { dropTemplate } from './template-builder.mjs';

/** jest globalTeardown: drops the run's template database (helpers/database-template.ts) and its directory. */
export default async function globalTeardown() {
  if (process.env.PARLEY_TEST_RUN_DIR) await dropTemplate(process.env.PARLEY_TEST_RUN_DIR);
}
