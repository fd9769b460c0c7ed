import { readdirSync, readFileSync } from 'node:fs';
// @ts-expect-error: a plain ESM script without types (scripts/docs.mjs, run by `npm run docs`).
import { configVariables, generatedDocs } from '../scripts/docs.mjs';
import { loadConfig } from '../src/config/config.js';

/** The names loadConfig asks the environment for, recorded by handing it a spying environment. */
function variablesLoadConfigReads(): Set<string> {
  const read = new Set<string>();
  const env = new Proxy({ DATABASE_URL: 'memory://', JWT_SECRET: 'x'.repeat(32) } as Record<string, string | undefined>, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return target[name as string];
    },
  });
  loadConfig(env, false);
  return read;
}

describe('the documentation', () => {
  it('the README stays a front page: at most 300 lines', () => {
    const lines = readFileSync('README.md', 'utf8').split('\n').length;
    expect(lines).toBeLessThanOrEqual(300);
  });

  it('generated pages equal a fresh generation (npm run docs): configuration and the GraphQL reference', () => {
    for (const [path, committed, fresh] of generatedDocs() as [string, string, string][]) {
      expect({ path, upToDate: committed === fresh }).toEqual({ path, upToDate: true });
    }
  });

  it('every variable the config reads is in docs/configuration.md and .env.example, and nothing else is', () => {
    const read = [...variablesLoadConfigReads()].sort();
    const documented = (configVariables() as { name: string }[]).map((variable) => variable.name).sort();
    expect(documented).toEqual(read);
    const page = readFileSync('docs/configuration.md', 'utf8');
    const example = readFileSync('.env.example', 'utf8');
    expect(read.filter((name) => !page.includes(`| \`${name}\` |`))).toEqual([]);
    expect(read.filter((name) => !new RegExp(`^#? ?${name}=`, 'm').test(example))).toEqual([]);
  });

  it('the README and docs/README.md link every guide in docs/', () => {
    const guides = readdirSync('docs').filter((name) => name.endsWith('.md') && name !== 'README.md');
    const readme = readFileSync('README.md', 'utf8');
    const index = readFileSync('docs/README.md', 'utf8');
    expect(guides.filter((guide) => !readme.includes(`](docs/${guide})`))).toEqual([]);
    expect(guides.filter((guide) => !index.includes(`](${guide})`))).toEqual([]);
  });
});
