#!/usr/bin/env node
// Generated parts of docs/: the configuration table (from src/config/config.ts, the only reader of
// the environment) and the GraphQL reference (from schema.graphql, by graphql-markdown).
//   node scripts/docs.mjs           regenerate both
//   node scripts/docs.mjs --check   exit 1, naming the file, when either differs from what is committed
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CONFIG_SOURCE = join(root, 'src/config/config.ts');
const CONFIG_DOC = join(root, 'docs/configuration.md');
const GRAPHQL_DOC = join(root, 'docs/reference/graphql.md');
const BEGIN = '<!-- BEGIN GENERATED: node scripts/docs.mjs (from src/config/config.ts) -->';
const END = '<!-- END GENERATED -->';

/** Sections of the table, by variable name; the first pattern that matches wins. */
const GROUPS = [
  ['Server and storage', /^(NODE_ENV|PORT|HOST|DATA_DIR|DATABASE_URL|PGLITE_TEMPLATE|PUBLIC_URL|ALLOWED_HOSTS|HTTP_|CORS_ORIGINS|TRUST_PROXY)/],
  ['Redis and real time', /^(REDIS_|EVENT_RETENTION_DAYS|WS_|PRESENCE_)/],
  ['Sign-in and tokens', /^(JWT_|ACCESS_TOKEN|REFRESH_TOKEN|GUEST_TOKEN|INVITE_|VIEWER_CACHE|ADMIN_PASSWORD)/],
  ['Secrets at rest', /^SECRETS_/],
  ['Limits', /^(RATE_LIMIT_|QUERY_MAX_|UPLOAD_|ATTACHMENTS_DIR|CANNED_RESPONSES_MAX)/],
  ['Desk', /^(AGENT_)/],
  ['Webhooks', /^WEBHOOK_/],
  ['Reactions and timers', /^REACTION/],
  ['Pages, logs, metrics and traces', /^(GRAPHIQL|DEMO|LOG_|METRICS_|OTEL_)/],
];
const OTHER = 'Other';

/** A numeric default or bound written as an expression of literals and the file's constants. */
function evaluate(expression, constants) {
  let text = expression.trim().replace(/\bNumber\.MAX_SAFE_INTEGER\b/g, String(Number.MAX_SAFE_INTEGER));
  text = text.replace(/\b[A-Z][A-Z0-9_]*\b/g, (constant) => (constants.has(constant) ? `(${constants.get(constant)})` : constant));
  text = text.replaceAll('_', '');
  // Only arithmetic on numbers is evaluated; anything else (a flag's condition) is described in words.
  if (!/^[\d\s*+()-]+$/.test(text)) return undefined;
  return Function(`"use strict"; return (${text});`)();
}

const formatNumber = (value) => (Number.isSafeInteger(value) && Math.abs(value) >= 10_000 ? value.toLocaleString('en-US').replaceAll(',', ' ') : String(value));

/** Every variable config.ts reads, with the bounds its parser enforces and the doc comment that names it. */
export function configVariables(source = readFileSync(CONFIG_SOURCE, 'utf8')) {
  const constants = new Map([...source.matchAll(/^(?:export )?const ([A-Z][A-Z0-9_]*) = ([^;\n]+);$/gm)].map(([, name, value]) => [name, value]));
  const comments = [...source.matchAll(/\/\*\*([\s\S]*?)\*\//g)].map(([, body]) => body.replace(/^\s*\* ?/gm, ' ').replace(/\s+/g, ' ').trim());
  const variables = new Map();
  const note = (name, fields = {}) => variables.set(name, { name, ...variables.get(name), ...fields });

  for (const [, parser, name, rest] of source.matchAll(/\b([a-zA-Z]+)\(env, '([A-Z][A-Z0-9_]+)'([^\n]*)/g)) {
    if (parser === 'integer') {
      // integer(env, NAME, fallback, min, max): split the three arguments at top-level commas.
      const args = [];
      let depth = 0;
      let current = '';
      for (const char of rest.replace(/^,\s*/, '')) {
        if (char === '(') depth += 1;
        if (char === ')' && depth-- === 0) break;
        if (char === ',' && depth === 0) {
          args.push(current);
          current = '';
        } else current += char;
      }
      args.push(current);
      const [fallback, min, max] = args.map((arg) => evaluate(arg, constants));
      note(name, { kind: 'whole number', fallback, min, max });
    } else if (parser === 'flag') {
      const fallback = /^,\s*(.+?)\)/.exec(rest)?.[1];
      const spelled = { true: 'true', false: 'false', "nodeEnv !== 'production'": 'true, except in production' }[fallback];
      note(name, { kind: '`true` / `false`', fallback: spelled });
    } else note(name, { kind: { secret: 'secret, 32+ characters', requiredSecret: 'secret, 32+ characters', origins: 'comma-separated origins', otlpUrl: 'http(s) URL' }[parser] });
  }
  // env.NAME || 'value' and env.NAME ?? 'value': a text default.
  for (const [, name, fallback] of source.matchAll(/\benv\.([A-Z][A-Z0-9_]+) (?:\|\||\?\?) '([^']*)'/g)) note(name, { fallback });
  for (const [, name] of source.matchAll(/\benv\.([A-Z][A-Z0-9_]+)\b/g)) note(name);
  for (const [, name] of source.matchAll(/\benv\['([A-Z][A-Z0-9_]+)'\]/g)) note(name);

  for (const variable of variables.values()) {
    // The comment that explains a variable starts with its name (or a list of names it shares).
    // A comment may explain several variables, a sentence each: take the sentences about this one.
    const clauses = comments.flatMap((text) => text.split(/(?<=\.)\s+(?=[A-Z][A-Z0-9_]{2,}\b)/));
    const starts = clauses.filter((text) => new RegExp(`^([A-Z][A-Z0-9_]+ ?(/|,|and) ?)*${variable.name}\\b`).test(text));
    const mentions = clauses.filter((text) => new RegExp(`\\b${variable.name}\\b`).test(text));
    const clause = starts[0] ?? mentions[0];
    if (!clause) throw new Error(`src/config/config.ts reads ${variable.name} but no doc comment there names it`);
    variable.description = withoutLeadingNames(clause);
    variable.group = GROUPS.find(([, pattern]) => pattern.test(variable.name))?.[0] ?? OTHER;
  }
  return [...variables.values()];
}

/** "NAME (5; 0 turns it off): how long …" → "How long … (5; 0 turns it off)": the table already names it. */
function withoutLeadingNames(clause) {
  const match = /^[A-Z][A-Z0-9_]+(?:\s*(?:\/|,|and)\s*[A-Z][A-Z0-9_]+)*\s*(?:\(([^)]*)\))?\s*:\s*/.exec(clause);
  if (!match) return clause;
  const rest = clause.slice(match[0].length);
  const aside = match[1] && !/^[\d\s]+$/.test(match[1]) ? ` (${match[1]})` : '';
  return `${rest.charAt(0).toUpperCase()}${rest.slice(1)}${aside}`;
}

const cell = (text) => text.replaceAll('|', '\\|');

export function configTable(variables = configVariables()) {
  const lines = [];
  for (const group of [...GROUPS.map(([title]) => title), OTHER]) {
    const members = variables.filter((variable) => variable.group === group).sort((a, b) => a.name.localeCompare(b.name));
    if (members.length === 0) continue;
    lines.push(`### ${group}`, '', '| Variable | Default | Accepts | What it does |', '|---|---|---|---|');
    for (const variable of members) {
      const fallback = variable.fallback === undefined ? 'see text' : `\`${typeof variable.fallback === 'number' ? formatNumber(variable.fallback) : variable.fallback}\``;
      const accepts = variable.min !== undefined && variable.max !== undefined ? `${formatNumber(variable.min)} … ${formatNumber(variable.max)}` : (variable.kind ?? 'text');
      lines.push(`| \`${variable.name}\` | ${fallback} | ${cell(accepts)} | ${cell(variable.description)} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

function configDoc(current) {
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/configuration.md lacks the markers ${BEGIN} … ${END}`);
  return `${current.slice(0, start + BEGIN.length)}\n\n${configTable()}\n${current.slice(end)}`;
}

function graphqlDoc() {
  const bin = join(root, 'node_modules/.bin/graphql-markdown');
  const prologue = 'Generated from [`schema.graphql`](../../schema.graphql) by [graphql-markdown](https://github.com/exogen/graphql-markdown): `node scripts/docs.mjs` rewrites it and `npm run docs:check` fails when it is stale. The guides in [docs/](../README.md) explain the rules behind these fields.';
  return execFileSync(bin, [join(root, 'schema.graphql'), '--title', 'GraphQL reference', '--prologue', prologue], { encoding: 'utf8' });
}

/** [path, what is committed, what it should be] for every generated document. */
export function generatedDocs() {
  const currentConfig = readFileSync(CONFIG_DOC, 'utf8');
  let currentGraphql = '';
  try {
    currentGraphql = readFileSync(GRAPHQL_DOC, 'utf8');
  } catch {}
  return [
    [CONFIG_DOC, currentConfig, configDoc(currentConfig)],
    [GRAPHQL_DOC, currentGraphql, graphqlDoc()],
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [path, current, wanted] of generatedDocs()) {
    if (current === wanted) continue;
    if (check) {
      console.error(`${path.slice(root.length + 1)} is stale: run node scripts/docs.mjs and commit the result`);
      stale += 1;
    } else {
      writeFileSync(path, wanted);
      console.error(`wrote ${path.slice(root.length + 1)}`);
    }
  }
  process.exit(stale === 0 ? 0 : 1);
}
