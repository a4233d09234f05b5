import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadRoutingDir } from '../../src/config/routing';

async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sb-cfg-'));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

async function problems(files: Record<string, string>): Promise<string[]> {
  const dir = await dirWith(files);
  try {
    await loadRoutingDir(dir);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n').map((l) => l.replace(dir + path.sep, ''));
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('routing files', () => {
  it('loads the demo configuration', async () => {
    const cfg = await loadRoutingDir(path.join(__dirname, '..', '..', 'config', 'demo'));
    expect(cfg.numbers.get('5000')?.greeting.length).toBeGreaterThan(0);
  });

  it('merges several files', async () => {
    const dir = await dirWith({ 'a.yaml': 'numbers:\n  "5000":\n    greeting: [hello-world]\n', 'b.yml': 'numbers:\n  "6000":\n    greeting: [beep]\n' });
    const cfg = await loadRoutingDir(dir);
    expect([...cfg.numbers.keys()].sort()).toEqual(['5000', '6000']);
  });

  it('names file, line, column and field for a misspelt key', async () => {
    expect(await problems({ 'a.yaml': 'numbers:\n  "5000":\n    greeting: [hello-world]\n    greting: [x]\n' })).toEqual([
      'a.yaml:4:5: numbers.5000.greting: Unrecognized key: "greting"',
    ]);
  });

  it('names a missing field and a bad prompt', async () => {
    const out = await problems({ 'a.yaml': 'numbers:\n  "5001": {}\n  "5002":\n    greeting: ["../../etc/passwd"]\n' });
    expect(out).toEqual([
      'a.yaml:2:3: numbers.5001.greeting: is required',
      expect.stringMatching(/^a\.yaml:4:16: numbers\.5002\.greeting\.0: must be a sound name/),
    ]);
  });

  it('rejects a number that is not dialable and a number defined twice', async () => {
    const out = await problems({
      'a.yaml': 'numbers:\n  "50x0":\n    greeting: [beep]\n  "6000":\n    greeting: [beep]\n',
      'b.yaml': 'numbers:\n  "6000":\n    greeting: [beep]\n',
    });
    expect(out[0]).toBe('a.yaml:2:3: numbers.50x0: must be a dialled number (digits, *, #, +)');
    expect(out[1]).toMatch(/^b\.yaml:2:3: numbers\.6000: number already defined in .*a\.yaml:4$/);
  });

  it('reports YAML syntax errors with their position', async () => {
    const out = await problems({ 'a.yaml': 'numbers:\n  "5000":\n    greeting: [hello-world\n' });
    expect(out[0]).toMatch(/^a\.yaml:\d+:\d+: /);
  });

  it('names a missing folder, an empty folder and an unreadable file', async () => {
    expect((await problems({}))[0]).toMatch(/no routing files/);
    await expect(loadRoutingDir('/nonexistent/sb')).rejects.toThrow('/nonexistent/sb: cannot read configuration folder');
    // A folder named like a routing file cannot be read as one (works as root too, unlike chmod).
    const dir = await dirWith({ 'a.yaml': 'numbers: {}\n' });
    await mkdir(path.join(dir, 'b.yaml'));
    await expect(loadRoutingDir(dir)).rejects.toThrow(/b\.yaml: cannot read: EISDIR/);
  });
});
