// Processes the load benchmark starts, and the promise that it stops every one of them: on the
// way out, on an error and on Ctrl-C (SIGINT, SIGTERM, SIGHUP). Waits are for a condition with a
// deadline, never a fixed sleep.
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';

type Undo = () => Promise<void> | void;

/** What must be undone, last first. */
export class Cleanup {
  private readonly undos = new Map<number, { name: string; undo: Undo }>();
  private next = 0;
  private running: Promise<void> | undefined;

  /** Registers an undo; the returned function unregisters it (once it has been done by hand). */
  add(name: string, undo: Undo): () => void {
    const id = this.next++;
    this.undos.set(id, { name, undo });
    return () => void this.undos.delete(id);
  }

  /** Runs every undo once, last registered first; an undo that fails is reported and the rest go on. */
  runAll(): Promise<void> {
    this.running ??= (async () => {
      for (const id of [...this.undos.keys()].reverse()) {
        const entry = this.undos.get(id);
        this.undos.delete(id);
        if (!entry) continue;
        try {
          await entry.undo();
        } catch (err) {
          process.stderr.write(`cleanup: ${entry.name}: ${(err as Error).message}\n`);
        }
      }
    })();
    return this.running;
  }
}

/** On Ctrl-C and termination: undo everything, then exit 130. */
export function exitOnSignals(cleanup: Cleanup): void {
  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`\n${sig}: stopping what the benchmark started…\n`);
      void cleanup.runAll().finally(() => process.exit(130));
    });
  }
}

/** Polls `check` until it returns a value, or throws after `timeoutMs` naming `what` (the tests' helper). */
export { waitFor } from '../../test/support/net';

/** Resolves with `p`, or rejects after `ms` naming `what`. */
export function deadline<T>(what: string, p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Resolves with the exit code (or the signal's name) when the process has exited. */
  readonly exited: Promise<number | string>;
  /** Everything it wrote to stderr so far (the last 64 KiB). */
  stderr(): string;
  /** Sends `signal`, waits up to `graceMs`, then SIGKILL; resolves once it has exited. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | string>;
}

/**
 * Starts a process whose stop is registered with `cleanup`. stdout goes to `logFile` (or is
 * dropped); stderr is kept in memory (and appended to `logFile` too).
 */
export function start(cleanup: Cleanup, name: string, cmd: string, args: string[], opts: SpawnOptions & { logFile?: string } = {}): Child {
  const { logFile, ...spawnOpts } = opts;
  const proc = spawn(cmd, args, { ...spawnOpts, stdio: ['ignore', 'pipe', 'pipe'] });
  if (proc.pid === undefined) throw new Error(`${name}: could not start ${cmd}`);
  const log = logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined;
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => log?.write(d));
  proc.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-65536);
    log?.write(d);
  });
  let alive = true;
  const exited = new Promise<number | string>((resolve) => {
    proc.on('error', (e) => {
      err += `\n${e.message}`;
      alive = false;
      resolve('spawn-error');
    });
    proc.on('exit', (code, sig) => {
      alive = false;
      log?.end();
      resolve(code ?? sig ?? 'unknown');
    });
  });
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<number | string> => {
    if (alive) proc.kill(signal);
    try {
      return await deadline(`${name} to exit`, exited, graceMs);
    } catch {
      process.stderr.write(`${name} (pid ${proc.pid}) did not exit within ${graceMs} ms of ${signal}: SIGKILL\n`);
      proc.kill('SIGKILL');
      return deadline(`${name} to exit after SIGKILL`, exited, 5000);
    }
  };
  const unregister = cleanup.add(name, () => stop().then(() => undefined));
  void exited.then(unregister);
  return { name, proc, pid: proc.pid, exited, stderr: () => err, stop };
}

/** Runs a command to its end; resolves with its exit code and output (stdout + stderr). */
export function run(cmd: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs ?? 120_000, env: opts.env ?? process.env }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

/** Whether something listens on UDP 127.0.0.1:<port> (from /proc/net/udp, no tools needed). */
export async function udpBound(port: number): Promise<boolean> {
  const want = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const any = `00000000:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const table = await readFile('/proc/net/udp', 'utf8');
  return table.split('\n').some((l) => {
    const local = l.trim().split(/\s+/)[1];
    return local === want || local === any;
  });
}
