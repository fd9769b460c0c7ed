import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { generate, loadCodegenConfig } from '@graphql-codegen/cli';
import { buildSchema, isAbstractType } from 'graphql';
import { possibleTypes } from '../client/src/apollo.js';
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
    // The SDK's typed documents (client/, @parley/client) are generated from the same schema.
    expect(outputs.map((output) => output.filename)).toContain('client/src/generated/graphql.ts');
    for (const output of outputs) {
      expect(readFileSync(output.filename, 'utf8')).toBe(output.content);
    }
  });

  it("the SDK's Apollo possibleTypes list every union and interface of schema.graphql with its members", () => {
    const schema = buildSchema(readFileSync('schema.graphql', 'utf8'));
    const fromSchema: Record<string, string[]> = {};
    for (const type of Object.values(schema.getTypeMap())) {
      if (isAbstractType(type) && !type.name.startsWith('__'))
        fromSchema[type.name] = schema
          .getPossibleTypes(type)
          .map((member) => member.name)
          .sort();
    }
    const declared = Object.fromEntries(Object.entries(possibleTypes).map(([name, members]) => [name, [...members].sort()]));
    expect(declared).toEqual(fromSchema);
  });
});
