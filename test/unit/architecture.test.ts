// The house's rules, checked on every import in src/:
// - each feature's domain/ (and the shared kernel/) is pure: no I/O, no clock, no timers, and it
//   imports only other pure code;
// - platform/ has no business rules: it imports no feature;
// - a feature reaches another feature only through that feature's public module (its index.ts,
//   or domain/index.ts for pure code).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const SRC = path.join(__dirname, '..', '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const all = files(SRC);
const rel = (f: string) => path.relative(SRC, f).split(path.sep).join('/');
/** Top folder of a file under src/ (a feature, platform, events, cli), or '' for src/main.ts. */
const top = (relPath: string) => (relPath.includes('/') ? relPath.slice(0, relPath.indexOf('/')) : '');
const FEATURES = new Set(['calls', 'ivr', 'acd', 'callbacks', 'stats', 'webhooks', 'metrics', 'stream', 'dispositions']);

/** Relative imports of a file, resolved to paths under src/ ("acd/domain/model.ts", "acd/index.ts"). */
function imports(file: string): Array<{ spec: string; target?: string }> {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s+'([^']+)'/g)].map((m) => {
    const spec = m[1]!;
    if (!spec.startsWith('.')) return { spec };
    const base = path.resolve(path.dirname(file), spec);
    const target = [`${base}.ts`, path.join(base, 'index.ts')].find((c) => all.includes(c));
    return { spec, target: target && rel(target) };
  });
}

/** Pure code: each feature's domain/, and the shared kernel (ids) they may all use. */
const domain = all.filter((f) => /\/domain\/|^kernel\//.test(rel(f)));

describe('the pure core (each feature\'s domain/)', () => {
  it('has files to check', () => expect(domain.length).toBeGreaterThan(10));
  it.each(domain.map((f) => [rel(f), f]))('%s imports nothing impure and reads no clock', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    for (const { spec, target } of imports(file)) {
      expect(spec).not.toMatch(/^(node:|ioredis|bullmq|ws|express|pino)/);
      if (spec.startsWith('.')) expect({ spec, pure: target !== undefined && (target.includes('/domain/') || target.startsWith('kernel/')) }).toEqual({ spec, pure: true });
    }
    expect(text).not.toMatch(/Date\.now\(|new Date\(\)|setTimeout\(|setInterval\(|Math\.random\(/);
  });
});

describe('platform/', () => {
  it.each(all.filter((f) => top(rel(f)) === 'platform').map((f) => [rel(f), f]))('%s imports no feature', (_name, file) => {
    for (const { spec, target } of imports(file)) if (target) expect({ spec, feature: FEATURES.has(top(target)) }).toEqual({ spec, feature: false });
  });
});

describe('features', () => {
  const inFeatures = all.filter((f) => FEATURES.has(top(rel(f))));
  it.each(inFeatures.map((f) => [rel(f), f]))('%s reaches other features only through their public modules', (_name, file) => {
    const own = top(rel(file));
    for (const { spec, target } of imports(file)) {
      if (!target || !FEATURES.has(top(target)) || top(target) === own) continue;
      const publicModules = [`${top(target)}/index.ts`, `${top(target)}/domain/index.ts`];
      expect({ spec, public: publicModules.includes(target) }).toEqual({ spec, public: true });
    }
  });
});
