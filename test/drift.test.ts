import { generate, loadCodegenConfig } from '@graphql-codegen/cli';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildParleySchema, printParleySchema } from '../src/graphql/schema.js';

/** Generated artifacts are committed; these fail when the code changed and they were not regenerated. */
describe('committed generated files', () => {
  it('schema.graphql equals the schema the code builds (npm run schema:emit)', async () => {
    const built = printParleySchema(await buildParleySchema());
    expect(readFileSync('schema.graphql', 'utf8')).toBe(built);
  });

  it('the codegen output equals a fresh generation (npm run codegen)', async () => {
    const { config } = await loadCodegenConfig({ configFilePath: resolve('codegen.yml') });
    const outputs = (await generate({ ...config, silent: true, verbose: false }, false)) as { filename: string; content: string }[];
    expect(outputs.length).toBeGreaterThan(0);
    for (const output of outputs) {
      expect(readFileSync(output.filename, 'utf8')).toBe(output.content);
    }
  });
});
