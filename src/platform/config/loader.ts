// A folder of YAML configuration files, checked by sections. Every *.yaml / *.yml file is read in
// name order (hidden files are editor artefacts and skipped) and validated on its own against the
// schema made of every section's top-level keys; then each section checks what all the files define
// under its keys, across files, and builds its part of the running configuration. Every problem of
// every file is reported in one pass, each with file:line:column and field path.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError, sortedError, type ConfigProblem } from './problems';
import { isPlainObject, locate, positionInValue, positionOf, valueAt, type Path, type YamlFile } from './yaml-positions';

// ---------------------------------------------------------------------------------------------
// Top-level keys

/** A key holding a list (a catalog, such as skills); the section merges the files' lists. */
export interface ListKey<I extends z.ZodType = z.ZodType> {
  readonly kind: 'list';
  readonly item: I;
  /** The key's schema in a file. */
  readonly schema: z.ZodType;
}

/** A key holding named entries (agents, queues…): a name defined in two files is a problem. */
export interface EntriesKey<V extends z.ZodType = z.ZodType> {
  readonly kind: 'entries';
  readonly name: z.ZodString;
  readonly value: V;
  /** What one entry is called in problems ("agent": `agent already defined in a.yaml:3`). */
  readonly noun: string;
  /** What can be kept of an entry that does not validate, so that checks across files still see it. */
  readonly salvage?: (raw: unknown) => z.output<V> | undefined;
  /** The key's schema in a file. */
  readonly schema: z.ZodType;
}

export type Keys = Readonly<Record<string, ListKey | EntriesKey>>;

export function listKey<I extends z.ZodType>(item: I, description: string): ListKey<I> {
  return { kind: 'list', item, schema: z.array(item).optional().describe(description) };
}

export function entriesKey<V extends z.ZodType>(
  name: z.ZodString,
  value: V,
  opts: { noun: string; description?: string; salvage?: (raw: unknown) => z.output<V> | undefined },
): EntriesKey<V> {
  const schema = z.record(name, value).optional();
  return { kind: 'entries', name, value, noun: opts.noun, salvage: opts.salvage, schema: opts.description === undefined ? schema : schema.describe(opts.description) };
}

/** What a file holds under a section's keys, once validated (entry by entry when the file is not valid as a whole). */
export type Parsed<K extends Keys> = {
  [P in keyof K]?: K[P] extends ListKey<infer I> ? z.output<I>[] : K[P] extends EntriesKey<infer V> ? Record<string, z.output<V>> : never;
};

export interface SectionFile<K extends Keys> {
  src: YamlFile;
  data: Parsed<K>;
}

// ---------------------------------------------------------------------------------------------
// Sections

/** How a section reports problems, and what it may know of the other sections' keys. */
export interface Checker {
  /** A problem at the value at `path` of a file (or, `onKey`, at its key), else at its nearest parent. */
  at(src: YamlFile, path: Path, message: string, onKey?: boolean): void;
  /** A problem at character `offset` of the string at `path` (at the value when not written on one line). */
  atCharacter(src: YamlFile, path: Path, offset: number, message: string): void;
  /** Problems reported so far, by any section: an entry that added some is left out. */
  readonly count: number;
  /** Every name any file defines under an entries key, valid or not → "file:line" of its definition. */
  defined(key: string): ReadonlyMap<string, string>;
}

/**
 * A part of the configuration: the top-level keys it owns, and the step that checks and builds
 * them. `needs` is what it takes from sections run before it (the composition hands it over).
 */
export interface Section<K extends Keys, Needs, Out> {
  readonly keys: K;
  build(files: readonly SectionFile<K>[], check: Checker, needs: Needs): Out | Promise<Out>;
}

export type RunSection = <K extends Keys, Needs, Out>(section: Section<K, Needs, Out>, needs: Needs) => Promise<Out>;

export interface FolderLoader {
  /** One file's schema: every section's keys, in the order of the sections; unknown keys are refused. */
  readonly schema: z.ZodObject;
  /**
   * Reads and checks the folder; `compose` runs the sections (each once, in the order it needs)
   * and assembles the result. Throws ConfigError with every problem, sorted by file and position.
   */
  load<R>(dir: string, compose: (run: RunSection, files: readonly string[]) => Promise<R>): Promise<R>;
}

// Sections are stored without their types (a section's needs and result only matter to `compose`).
type AnySection = Section<any, any, any>;

export function folderLoader(sections: readonly AnySection[], meta: { title: string; description: string }): FolderLoader {
  const keys: [string, ListKey | EntriesKey][] = sections.flatMap((s) => Object.entries(s.keys as Keys));
  const owned = new Set<string>();
  for (const [key] of keys) {
    if (owned.has(key)) throw new Error(`two sections own the key "${key}"`);
    owned.add(key);
  }
  const schema = z.strictObject(Object.fromEntries(keys.map(([k, spec]) => [k, spec.schema]))).meta(meta);
  return {
    schema,
    async load(dir, compose) {
      const files = await yamlFiles(dir);
      const problems: ConfigProblem[] = [];
      const sources: Source[] = [];
      for (const file of files) {
        const src = await readSource(file, schema, keys, problems);
        if (src) sources.push(src);
      }
      // A file that could not be read or parsed defines unknown names: cross-file checks would
      // only add noise, so stop here.
      if (sources.length < files.length) throw sortedError(problems, files);

      const defined = new Map<string, Map<string, string>>();
      const check = checker(problems, defined);
      collectNames(sources, keys, check, defined);
      const run: RunSection = async (section, needs) => {
        if (!sections.includes(section)) throw new Error('section not registered with this loader');
        return section.build(sources as unknown as SectionFile<typeof section.keys>[], check, needs);
      };
      const result = await compose(run, files);
      if (problems.length > 0) throw sortedError(problems, files);
      return result;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Reading

interface Source {
  src: YamlFile;
  data: Record<string, unknown>;
}

async function yamlFiles(dir: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    throw new ConfigError([{ file: dir, message: `cannot read configuration folder: ${(err as Error).message}` }]);
  }
  // Hidden files are editor artefacts (.#x.yaml locks, .x.yaml.swp), never routing files.
  const files = entries
    .filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('.'))
    .sort()
    .map((f) => path.join(dir, f));
  if (files.length === 0) throw new ConfigError([{ file: dir, message: 'no routing files (*.yaml, *.yml) in this folder' }]);
  return files;
}

/** One file, parsed and validated on its own; undefined when it cannot be read or parsed (problems say why). */
async function readSource(file: string, schema: z.ZodType, keys: readonly [string, ListKey | EntriesKey][], problems: ConfigProblem[]): Promise<Source | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    problems.push({ file, message: `cannot read: ${(err as Error).message}` });
    return undefined;
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = lc.linePos(e.pos[0]);
      problems.push({ file, line: pos.line, column: pos.col, message: e.message.split('\n')[0] ?? e.message });
    }
    return undefined;
  }
  const raw: unknown = doc.toJS() ?? {};
  const src: YamlFile = { file, text, doc, lc, raw };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      // zod reports unknown keys on the parent object: point at the key itself.
      const at: PropertyKey[] = [...issue.path];
      if (issue.code === 'unrecognized_keys' && issue.keys[0]) at.push(issue.keys[0]);
      const onKey = issue.code === 'unrecognized_keys' || issue.code === 'invalid_key';
      const pos = positionOf(src, at, onKey);
      const missing = issue.code === 'invalid_type' && valueAt(raw, issue.path) === undefined;
      const message = missing ? 'is required' : issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
      problems.push({ file, line: pos?.line, column: pos?.column, field: at.map(String).join('.') || undefined, message });
    }
  }
  return { src, data: parsed.success ? (parsed.data as Record<string, unknown>) : salvage(raw, keys) };
}

/** When a file as a whole does not validate: keep what does, entry by entry, so cross-file checks still run. */
function salvage(raw: unknown, keys: readonly [string, ListKey | EntriesKey][]): Record<string, unknown> {
  if (!isPlainObject(raw)) return {};
  const out: Record<string, unknown> = {};
  for (const [key, spec] of keys) {
    const value = raw[key];
    if (spec.kind === 'list') {
      if (Array.isArray(value)) out[key] = value.filter((v) => spec.item.safeParse(v).success);
      continue;
    }
    if (!isPlainObject(value)) continue;
    const kept: Record<string, unknown> = {};
    for (const [name, entry] of Object.entries(value)) {
      if (!spec.name.safeParse(name).success) continue;
      const r = spec.value.safeParse(entry);
      if (r.success) kept[name] = r.data;
      else if (spec.salvage) {
        const partial = spec.salvage(entry);
        if (partial) kept[name] = partial;
      }
    }
    out[key] = kept;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Checking

function checker(problems: ConfigProblem[], defined: ReadonlyMap<string, ReadonlyMap<string, string>>): Checker {
  return {
    at(src, p, message, onKey = false) {
      const pos = positionOf(src, p, onKey);
      problems.push({ file: src.file, line: pos?.line, column: pos?.column, field: p.map(String).join('.'), message });
    },
    atCharacter(src, p, offset, message) {
      const pos = positionInValue(src, p, offset);
      problems.push({ file: src.file, line: pos?.line, column: pos?.column, field: p.map(String).join('.'), message });
    },
    get count() {
      return problems.length;
    },
    defined(key) {
      const names = defined.get(key);
      if (!names) throw new Error(`"${key}" is not a key with named entries`);
      return names;
    },
  };
}

/**
 * Every name a file defines under an entries key (valid or not), for duplicate checks and so that
 * a broken entry is reported once, not again as "unknown" wherever it is referenced. A name
 * defined again is reported there and dropped (the first definition wins).
 */
function collectNames(sources: readonly Source[], keys: readonly [string, ListKey | EntriesKey][], check: Checker, defined: Map<string, Map<string, string>>): void {
  const entryKeys = keys.filter((k): k is [string, EntriesKey] => k[1].kind === 'entries');
  for (const [key] of entryKeys) defined.set(key, new Map());
  for (const { src, data } of sources) {
    if (!isPlainObject(src.raw)) continue;
    for (const [key, spec] of entryKeys) {
      const entries = src.raw[key];
      if (!isPlainObject(entries)) continue;
      const names = defined.get(key)!;
      for (const name of Object.keys(entries)) {
        if (!spec.name.safeParse(name).success) continue;
        const pos = locate(src.doc, src.lc, [key, name]);
        const earlier = names.get(name);
        if (earlier) {
          check.at(src, [key, name], `${spec.noun} already defined in ${earlier}`, true);
          const kept = data[key] as Record<string, unknown> | undefined;
          if (kept) delete kept[name];
          continue;
        }
        names.set(name, `${src.file}:${pos?.line ?? 1}`);
      }
    }
  }
}
