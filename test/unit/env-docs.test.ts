// Every environment variable the code reads is documented in docs/configuration.md, and every
// documented one is read; documented defaults match the schema's. The code is read as text:
// - the keys of EnvSchema (src/platform/config/env.ts), the service's validated environment;
// - `process.env.NAME`, `process.env['NAME']` and `const { NAME } = process.env` anywhere in src/;
// - `x.NAME` / `x['NAME']` where `x` is declared `NodeJS.ProcessEnv` in the same file (for
//   example `stateDir(profile, env: NodeJS.ProcessEnv = process.env)` in src/cli/paths.ts).
// The documentation side is every table of docs/configuration.md whose header is
// `| variable | default | meaning |`: the backticked names in its first column.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { EnvSchema } from '../../src/platform/config/env';

const ROOT = path.join(__dirname, '..', '..');
const SRC = path.join(ROOT, 'src');
const DOC = path.join(ROOT, 'docs', 'configuration.md');

/**
 * Variables the code reads that are not settings of Switchboard, each with the reason. Nothing
 * named SWITCHBOARD_* may ever be listed here (checked below).
 */
const NOT_SWITCHBOARD_SETTINGS: Record<string, string> = {
  // The XDG Base Directory variable of the user's session (like HOME, which os.homedir() reads):
  // only the fallback for SWITCHBOARD_STATE_DIR's default, which the docs spell out.
  XDG_STATE_HOME: 'XDG base directory, fallback of SWITCHBOARD_STATE_DIR',
};

/**
 * EnvSchema keys whose default the schema computes (a function of the machine, not a constant),
 * so the documentation describes it instead of giving the value. None today.
 */
const COMPUTED_DEFAULTS = new Set<string>();

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const rel = (f: string) => path.relative(ROOT, f).split(path.sep).join('/');
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Environment variable names read in one source file, found in its text. */
function envReadsIn(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(/\bprocess\.env\.([A-Za-z_][A-Za-z0-9_]*)/g)) names.push(m[1]!);
  for (const m of text.matchAll(/\bprocess\.env\[\s*(['"`])([A-Za-z_][A-Za-z0-9_]*)\1\s*\]/g)) names.push(m[2]!);
  for (const m of text.matchAll(/\{([^{}]*)\}\s*=\s*process\.env\b/g)) {
    for (const part of m[1]!.split(',')) {
      const name = /^\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(part)?.[1];
      if (name) names.push(name);
    }
  }
  // Identifiers typed as the process environment (parameters, variables) in this file.
  const holders = new Set([...text.matchAll(/\b([A-Za-z_$][\w$]*)\s*\??\s*:\s*NodeJS\.ProcessEnv\b/g)].map((m) => m[1]!));
  for (const h of holders) {
    for (const m of text.matchAll(new RegExp(`(?<![\\w$.])${escape(h)}\\??\\.([A-Z][A-Z0-9_]*)\\b`, 'g'))) names.push(m[1]!);
    for (const m of text.matchAll(new RegExp(`(?<![\\w$.])${escape(h)}\\[\\s*(['"\`])([A-Za-z_][A-Za-z0-9_]*)\\1\\s*\\]`, 'g'))) names.push(m[2]!);
  }
  return names;
}

/** Name → the files that read it. */
function readByCode(): Map<string, string[]> {
  const where = new Map<string, string[]>();
  const add = (name: string, file: string) => where.set(name, [...new Set([...(where.get(name) ?? []), file])]);
  for (const key of Object.keys(EnvSchema.shape)) add(key, 'src/platform/config/env.ts (EnvSchema)');
  for (const file of files(SRC)) for (const name of envReadsIn(readFileSync(file, 'utf8'))) add(name, rel(file));
  return where;
}

interface DocRow {
  name: string;
  /** The default column as written. */
  defaultText: string;
  line: number;
}

/** Rows of every `| variable | default | meaning |` table in the document. */
function documentedVariables(markdown: string): DocRow[] {
  const lines = markdown.split('\n');
  const rows: DocRow[] = [];
  const cells = (line: string) =>
    line
      .trim()
      .replace(/^\|/, '')
      .replace(/(?<!\\)\|$/, '')
      .split(/(?<!\\)\|/)
      .map((c) => c.trim());
  for (let i = 0; i < lines.length; i++) {
    const header = cells(lines[i]!);
    if (!lines[i]!.trim().startsWith('|') || header.join('|').toLowerCase() !== 'variable|default|meaning') continue;
    // Skip the header and its --- line; the table ends at the first line that is not a row.
    for (i += 2; i < lines.length && lines[i]!.trim().startsWith('|'); i++) {
      const [first = '', defaultText = ''] = cells(lines[i]!);
      for (const m of first.matchAll(/`([^`]+)`/g)) rows.push({ name: m[1]!, defaultText, line: i + 1 });
    }
  }
  return rows;
}

/** The default column's value when it is one backticked literal (`8080`), else undefined ("(required)"). */
const literal = (text: string) => /^`([^`]*)`$/.exec(text)?.[1];

const code = readByCode();
const docRows = documentedVariables(readFileSync(DOC, 'utf8'));
const documented = new Set(docRows.map((r) => r.name));

describe('environment variables: code and docs/configuration.md', () => {
  it('the scanner finds the reads outside EnvSchema too', () => {
    expect(envReadsIn("const a = process.env.A_1; const b = process.env['B']; const { C, D: d } = process.env;")).toEqual(['A_1', 'B', 'C', 'D']);
    expect(envReadsIn('function f(env: NodeJS.ProcessEnv = process.env) { return env.E ?? env["F"] ?? other.G; }')).toEqual(['E', 'F']);
    expect(code.get('SWITCHBOARD_API_TOKEN')).toEqual(['src/cli/api-client.ts']);
    expect(code.get('SWITCHBOARD_STATE_DIR')).toEqual(['src/cli/paths.ts']);
    expect(docRows.length).toBeGreaterThan(10);
  });

  it('ignores only variables that are not Switchboard settings', () => {
    expect(Object.keys(NOT_SWITCHBOARD_SETTINGS).filter((n) => n.startsWith('SWITCHBOARD_'))).toEqual([]);
  });

  it('documents every variable the code reads, and only those', () => {
    const read = [...code.keys()].filter((n) => !(n in NOT_SWITCHBOARD_SETTINGS));
    const undocumented = read.filter((n) => !documented.has(n)).map((n) => `${n} (read in ${code.get(n)!.join(', ')})`);
    const notReadByCode = [...documented].filter((n) => !code.has(n)).map((n) => `${n} (docs/configuration.md:${docRows.find((r) => r.name === n)!.line})`);
    expect({ undocumented: undocumented.sort(), notReadByCode: notReadByCode.sort() }).toEqual({ undocumented: [], notReadByCode: [] });
  });

  it('documents each variable once', () => {
    const seen = docRows.map((r) => r.name);
    expect(seen.filter((n, i) => seen.indexOf(n) !== i)).toEqual([]);
  });

  it("gives EnvSchema's defaults, and no default where the schema has none", () => {
    const shape = EnvSchema.shape as Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown } }>;
    const problems: string[] = [];
    for (const row of docRows) {
      const field = shape[row.name];
      if (!field || COMPUTED_DEFAULTS.has(row.name)) continue;
      // Parsing "not set" gives the default; an optional variable gives undefined, a required one fails.
      const unset = field.safeParse(undefined);
      const schemaDefault = unset.success && unset.data !== undefined ? String(unset.data) : undefined;
      const doc = literal(row.defaultText);
      if (schemaDefault !== undefined && doc !== schemaDefault) {
        problems.push(`${row.name}: documented ${row.defaultText || '(nothing)'}, schema default \`${schemaDefault}\``);
      } else if (schemaDefault === undefined && doc !== undefined) {
        problems.push(`${row.name}: documented default \`${doc}\`, but the schema has none (${unset.success ? 'optional' : 'required'})`);
      }
    }
    expect(problems).toEqual([]);
  });
});
