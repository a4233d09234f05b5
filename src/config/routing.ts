// Routing files: YAML in a folder, several files merged, validated with zod. Every error names
// the file, line, column and field path, so ops staff can fix it without guessing.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';

const soundName = z
  .string()
  .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'must be a sound name like "hello-world" or "digits/1" (no extension, no "..")');

const dialledNumber = z.string().regex(/^[0-9*#+]{1,32}$/, 'must be a dialled number (digits, *, #, +)');

export const NumberRouteSchema = z.strictObject({
  greeting: z.array(soundName).min(1, 'needs at least one prompt'),
});

export const RoutingFileSchema = z.strictObject({
  numbers: z.record(z.string(), NumberRouteSchema).optional(),
});

export type NumberRouteConfig = z.infer<typeof NumberRouteSchema>;

export interface RoutingConfig {
  numbers: Map<string, NumberRouteConfig>;
  files: string[];
}

export interface ConfigProblem {
  file: string;
  line?: number;
  column?: number;
  field?: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line ? `${p.file}:${p.line}:${p.column ?? 1}` : p.file;
  return `${where}: ${p.field ? `${p.field}: ` : ''}${p.message}`;
}

type Path = readonly PropertyKey[];

function toPos(lc: LineCounter, offset: number): { line: number; column: number } {
  const { line, col } = lc.linePos(offset);
  return { line, column: col };
}

/** Position of the node at `at` (or of its nearest existing parent) in the document. */
function locate(doc: Document, lc: LineCounter, at: Path): { line: number; column: number } | undefined {
  for (let n = at.length; n >= 0; n--) {
    const keys = at.slice(0, n) as unknown[];
    const node = keys.length === 0 ? doc.contents : doc.getIn(keys, true);
    // For map entries prefer the key's position: it is what the reader looks for.
    if (n > 0) {
      const parent = n === 1 ? doc.contents : doc.getIn(keys.slice(0, -1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((it) => isScalar(it.key) && String(it.key.value) === String(keys[n - 1]));
        const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
        if (range) return toPos(lc, range[0]);
      }
    }
    const range = (node as { range?: [number, number, number] } | null)?.range;
    if (range) return toPos(lc, range[0]);
  }
  return undefined;
}

export async function loadRoutingDir(dir: string): Promise<RoutingConfig> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    throw new ConfigError([{ file: dir, message: `cannot read configuration folder: ${(err as Error).message}` }]);
  }
  const files = entries.filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(dir, f));
  if (files.length === 0) throw new ConfigError([{ file: dir, message: 'no routing files (*.yaml, *.yml) in this folder' }]);

  const problems: ConfigProblem[] = [];
  const numbers = new Map<string, NumberRouteConfig>();
  const numberOrigin = new Map<string, string>();

  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      problems.push({ file, message: `cannot read: ${(err as Error).message}` });
      continue;
    }
    const lc = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const pos = lc.linePos(e.pos[0]);
        problems.push({ file, line: pos.line, column: pos.col, message: e.message.split('\n')[0] ?? e.message });
      }
      continue;
    }
    const parsed = RoutingFileSchema.safeParse(doc.toJS() ?? {});
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        // zod reports unknown keys on the parent object: point at the key itself.
        const at: PropertyKey[] = [...issue.path];
        if (issue.code === 'unrecognized_keys' && issue.keys[0]) at.push(issue.keys[0]);
        const pos = locate(doc, lc, at);
        const missing = issue.code === 'invalid_type' && issue.input === undefined;
        problems.push({ file, line: pos?.line, column: pos?.column, field: at.map(String).join('.') || undefined, message: missing ? 'is required' : issue.message });
      }
      continue;
    }
    for (const [number, route] of Object.entries(parsed.data.numbers ?? {})) {
      const pos = locate(doc, lc, ['numbers', number]);
      const check = dialledNumber.safeParse(number);
      if (!check.success) {
        problems.push({ file, line: pos?.line, column: pos?.column, field: `numbers.${number}`, message: check.error.issues[0]?.message ?? 'bad number' });
        continue;
      }
      const earlier = numberOrigin.get(number);
      if (earlier) {
        problems.push({ file, line: pos?.line, column: pos?.column, field: `numbers.${number}`, message: `number already defined in ${earlier}` });
        continue;
      }
      numberOrigin.set(number, `${file}:${pos?.line ?? 1}`);
      numbers.set(number, route);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { numbers, files };
}
