import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The install check CI runs after `npm ci` (scripts/check-install-warnings.mjs): the installed
 * tree has no invalid peer (graphql-rate-limit's @graphql-tools/utils 7 declares graphql 14/15;
 * the root's overrides give it our graphql 16), and an install log is judged by what it warns of.
 */
const script = resolve('scripts/check-install-warnings.mjs');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-install-check-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function check(log?: string) {
  const args = [script];
  if (log !== undefined) {
    const path = join(dir, `npm-ci-${Math.random().toString(36).slice(2)}.log`);
    writeFileSync(path, log);
    args.push(path, '--log-only');
  }
  return spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
}

const badEngine = (pkg: string, range: string) => `npm warn EBADENGINE Unsupported engine {
npm warn EBADENGINE   package: '${pkg}',
npm warn EBADENGINE   required: { node: '${range}' },
npm warn EBADENGINE   current: { node: 'v20.20.2', npm: '11.19.1' }
npm warn EBADENGINE }
`;

describe('the install check', () => {
  it('passes on the installed tree: npm ls --all finds no invalid peer, graphql-rate-limit included', () => {
    const result = check();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it("fails on an install log with npm's peer conflict for graphql-rate-limit, quoting it", () => {
    const result = check(`npm warn ERESOLVE overriding peer dependency
npm warn While resolving: @graphql-tools/utils@7.10.0
npm warn Found: graphql@16.15.0
npm warn
npm warn Could not resolve dependency:
npm warn peer graphql@"^14.0.0 || ^15.0.0" from @graphql-tools/utils@7.10.0
npm warn node_modules/graphql-rate-limit/node_modules/@graphql-tools/utils
${badEngine('parley@0.1.0', '>=24 <25')}
added 1185 packages in 1m
`);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('peer dependency conflict (npm warn ERESOLVE)');
    expect(result.stderr).toContain('peer graphql@"^14.0.0 || ^15.0.0" from @graphql-tools/utils@7.10.0');
    expect(result.stdout).toContain('npm install warnings: 2 (ERESOLVE 1, EBADENGINE 1)');
  });

  it("counts engine warnings the project's Node 24 meets and deprecations without failing", () => {
    const result = check(`${badEngine('parley@0.1.0', '>=24 <25')}${badEngine('kysely@0.29.6', '>=22.0.0')}npm warn deprecated inflight@1.0.6: This module is not supported
`);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('npm install warnings: 3 (EBADENGINE 2, deprecated 1)');
    expect(result.stdout).toContain('parley@0.1.0, kysely@0.29.6');
    expect(result.status).toBe(0);
  });

  it("fails on an engine range the project's Node 24 does not meet either", () => {
    const result = check(badEngine('future@1.0.0', '>=26'));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/future@1\.0\.0 requires Node >=26, which the project's Node 24\.\d+\.\d+ does not meet either/);
  });
});
