import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { ConfigHolder } from '../../src/platform/config/holder';
import { ConfigError, loadRoutingDir, type RoutingConfig } from '../../src/config/routing';

const number = (n: string, prompt = 'hello-world') => `numbers:\n  "${n}":\n    greeting: [${prompt}]\n`;

async function folder(text: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sb-holder-'));
  await writeFile(path.join(dir, 'numbers.yaml'), text);
  return dir;
}

function logger() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { log, lines };
}

async function waitFor(cond: () => boolean, deadlineMs = 5000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met before the deadline');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const numbersOf = (cfg: RoutingConfig) => [...cfg.numbers.keys()];

describe('ConfigHolder', () => {
  it('loads, then swaps in a good change and tells onChange', async () => {
    const dir = await folder(number('5000'));
    const changes: RoutingConfig[] = [];
    const { log } = logger();
    const holder = new ConfigHolder({ dir, logger: log, load: loadRoutingDir, onChange: (c) => changes.push(c), now: () => 1234 });
    expect(() => holder.current).toThrow(/not loaded/);
    expect(numbersOf(await holder.load())).toEqual(['5000']);
    expect(holder.lastReloadAt).toBeUndefined();

    await writeFile(path.join(dir, 'numbers.yaml'), number('6000'));
    const r = await holder.reload();
    expect(r.ok).toBe(true);
    expect(numbersOf(holder.current)).toEqual(['6000']);
    expect(changes.map(numbersOf)).toEqual([['6000']]);
    expect(holder.status()).toEqual({ lastReloadAt: 1234, lastError: undefined, files: [path.join(dir, 'numbers.yaml')] });
  });

  it('keeps the running configuration on a bad change and exposes the error', async () => {
    const dir = await folder(number('5000'));
    const { log, lines } = logger();
    const changes: RoutingConfig[] = [];
    const holder = new ConfigHolder({ dir, logger: log, load: loadRoutingDir, onChange: (c) => changes.push(c) });
    const before = await holder.load();

    await writeFile(path.join(dir, 'numbers.yaml'), 'numbers:\n  "5000":\n    greting: [x]\n');
    const r = await holder.reload();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toBeInstanceOf(ConfigError);
    expect(holder.current).toBe(before);
    expect(changes).toEqual([]);
    expect(holder.lastError).toMatch(/numbers\.yaml:3:5: numbers\.5000\.greting: Unrecognized key/);
    expect(holder.lastReloadAt).toEqual(expect.any(Number));
    const errors = lines.filter((l) => l.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.msg).toMatch(/reload refused.*keeping the running configuration/);

    // Fixed again: the error clears.
    await writeFile(path.join(dir, 'numbers.yaml'), number('5001'));
    expect((await holder.reload()).ok).toBe(true);
    expect(holder.lastError).toBeUndefined();
    expect(numbersOf(holder.current)).toEqual(['5001']);
  });

  it('throws ConfigError on a bad first load', async () => {
    const dir = await folder('numbers: [');
    const holder = new ConfigHolder({ dir, logger: logger().log, load: loadRoutingDir });
    await expect(holder.load()).rejects.toBeInstanceOf(ConfigError);
  });

  it('serialises reloads: a slow older reload never lands after a newer one', async () => {
    const dir = await folder(number('1000'));
    let calls = 0;
    let olderRead = false;
    let releaseFirst: () => void = () => undefined;
    const firstGate = new Promise<void>((r) => (releaseFirst = r));
    // The first reload reads the folder, then stalls before returning (a slow disk); meanwhile the
    // folder changes and a second reload is asked for.
    const load = async (d: string) => {
      const n = ++calls;
      const cfg = await loadRoutingDir(d);
      if (n === 2) {
        olderRead = true;
        await firstGate;
      }
      return cfg;
    };
    const applied: string[][] = [];
    const holder = new ConfigHolder({ dir, logger: logger().log, load, onChange: (c) => applied.push(numbersOf(c)) });
    await holder.load(); // call 1

    const older = holder.reload(); // call 2: reads 1000, stalls
    // Once it has read the folder: a write while it reads could hand it a truncated file (it did once).
    await waitFor(() => olderRead);
    await writeFile(path.join(dir, 'numbers.yaml'), number('2000'));
    const newer = holder.reload(); // must wait for the first, then read 2000
    const shared = holder.reload(); // queued behind the same: shares the queued reload
    expect(shared).toBe(newer);
    releaseFirst();
    const [a, b] = await Promise.all([older, newer]);
    expect(a.ok && numbersOf(a.config)).toEqual(['1000']);
    expect(b.ok && numbersOf(b.config)).toEqual(['2000']);
    expect(applied).toEqual([['1000'], ['2000']]);
    expect(numbersOf(holder.current)).toEqual(['2000']);
    expect(calls).toBe(3);
  });

  it('reloads when a file in the folder changes, including through a rename', async () => {
    const dir = await folder(number('5000'));
    const applied: string[][] = [];
    const holder = new ConfigHolder({ dir, logger: logger().log, load: loadRoutingDir, debounceMs: 20, onChange: (c) => applied.push(numbersOf(c)) });
    await holder.load();
    holder.watch();
    try {
      await writeFile(path.join(dir, 'numbers.yaml'), number('5100'));
      await waitFor(() => numbersOf(holder.current)[0] === '5100');

      // Editors write a temporary file and rename it over the original.
      await writeFile(path.join(dir, '.numbers.yaml.tmp'), number('5200'));
      await rename(path.join(dir, '.numbers.yaml.tmp'), path.join(dir, 'numbers.yaml'));
      await waitFor(() => numbersOf(holder.current)[0] === '5200');

      // A broken save is refused; the running configuration stays.
      await writeFile(path.join(dir, 'numbers.yaml'), 'numbers: [');
      await waitFor(() => holder.lastError !== undefined);
      expect(numbersOf(holder.current)).toEqual(['5200']);
    } finally {
      holder.stop();
    }
    expect(applied.at(-1)).toEqual(['5200']);
  });

  it('debounces bursts of events into one reload (injected timers)', async () => {
    const dir = await folder(number('5000'));
    const pending: { fn: () => void; ms: number; cleared: boolean }[] = [];
    const timers = {
      setTimeout: (fn: () => void, ms: number) => {
        const t = { fn, ms, cleared: false };
        pending.push(t);
        return t;
      },
      clearTimeout: (h: unknown) => void ((h as { cleared: boolean }).cleared = true),
    };
    let loads = 0;
    const holder = new ConfigHolder({ dir, logger: logger().log, timers, debounceMs: 100, load: (d) => (loads++, loadRoutingDir(d)) });
    await holder.load();
    holder.watch();
    try {
      for (const n of ['1', '2', '3']) await writeFile(path.join(dir, 'numbers.yaml'), number(n));
      await waitFor(() => pending.length > 0);
      // However many events the writes produced, each one replaced the previous timer.
      const live = pending.filter((t) => !t.cleared);
      expect(live).toHaveLength(1);
      expect(live[0]?.ms).toBe(100);
      live[0]?.fn();
      await waitFor(() => loads === 2 && numbersOf(holder.current)[0] === '3');
    } finally {
      holder.stop();
    }
  });

  it('survives the folder disappearing and coming back', async () => {
    const dir = await folder(number('5000'));
    const holder = new ConfigHolder({ dir, logger: logger().log, load: loadRoutingDir, debounceMs: 10, rewatchMs: 20 });
    await holder.load();
    holder.watch();
    try {
      await rm(dir, { recursive: true });
      await waitFor(() => holder.lastError !== undefined);
      expect(numbersOf(holder.current)).toEqual(['5000']);
      await folderAt(dir, number('7000'));
      await waitFor(() => numbersOf(holder.current)[0] === '7000');
    } finally {
      holder.stop();
    }
  });
});

async function folderAt(dir: string, text: string): Promise<void> {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'numbers.yaml'), text);
}
