// Holds the running routing configuration and reloads it when the folder changes. A reload
// validates the whole folder first and swaps only when every file is valid: a broken edit never
// reaches the running service, and /readyz can say why the last reload was refused.
import { existsSync, watch as fsWatch, type FSWatcher } from 'node:fs';
import type { Logger } from 'pino';
import { ConfigError, formatProblem } from './problems';

/** What the holder needs of a configuration: its files, and the sizes it logs after a reload. */
export interface HeldConfig {
  files: string[];
  numbers: { readonly size: number };
  queues: { readonly size: number };
  agents: { readonly size: number };
}

export type ReloadResult<C extends HeldConfig = HeldConfig> = { ok: true; config: C } | { ok: false; error: ConfigError };

export interface TimerFunctions {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ConfigHolderOptions<C extends HeldConfig> {
  dir: string;
  soundsDir?: string;
  logger: Logger;
  /** Called after a reload swapped in a new configuration (not for the first load). */
  onChange?: (cfg: C) => void;
  /** Quiet time after the last file event before reloading (editors write in several steps). Default 250 ms. */
  debounceMs?: number;
  /** Delay before watching again after the watcher failed (folder removed or replaced). Default 1000 ms. */
  rewatchMs?: number;
  timers?: TimerFunctions;
  now?: () => number;
  /** Reads and checks the folder (the routing files' loadRoutingDir); throws ConfigError when it is not valid. */
  load: (dir: string, opts: { soundsDir?: string }) => Promise<C>;
}

export interface ConfigStatus {
  /** When the last reload (successful or not) finished, epoch ms; undefined before any reload. */
  lastReloadAt?: number;
  /** Why the last reload was refused, one problem a line; undefined when it succeeded. */
  lastError?: string;
  files: string[];
}

const defaultTimers: TimerFunctions = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export class ConfigHolder<C extends HeldConfig> {
  private config: C | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private queued: Promise<ReloadResult<C>> | undefined;
  private watcher: FSWatcher | undefined;
  private debounce: unknown;
  private rewatch: unknown;
  private watching = false;
  private watchFailing = false;
  private readonly timers: TimerFunctions;
  private readonly now: () => number;
  private readonly loader: (dir: string, opts: { soundsDir?: string }) => Promise<C>;

  lastError: string | undefined;
  lastReloadAt: number | undefined;

  constructor(private readonly opts: ConfigHolderOptions<C>) {
    this.timers = opts.timers ?? defaultTimers;
    this.now = opts.now ?? Date.now;
    this.loader = opts.load;
  }

  /** First load; throws ConfigError when the folder is missing or invalid. */
  async load(): Promise<C> {
    const cfg = await this.loader(this.opts.dir, this.loadOptions());
    this.config = cfg;
    return cfg;
  }

  get current(): C {
    if (!this.config) throw new Error('routing configuration not loaded yet (call load() first)');
    return this.config;
  }

  status(): ConfigStatus {
    return { lastReloadAt: this.lastReloadAt, lastError: this.lastError, files: this.config?.files ?? [] };
  }

  /**
   * Validates the folder and swaps the configuration in when it is valid. Reloads run one at a
   * time, in call order, and each reads the folder after it was called: a reload never applies a
   * configuration older than one already applied. Calls made while another reload is waiting to
   * start share that reload.
   */
  reload(): Promise<ReloadResult<C>> {
    if (this.queued) return this.queued;
    const run = this.tail.then(() => {
      this.queued = undefined; // from now on, new calls must read the folder again
      return this.reloadNow();
    });
    this.queued = run;
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async reloadNow(): Promise<ReloadResult<C>> {
    const { logger, dir } = this.opts;
    let cfg: C;
    try {
      cfg = await this.loader(dir, this.loadOptions());
    } catch (err) {
      const error = err instanceof ConfigError ? err : new ConfigError([{ file: dir, message: (err as Error).message }]);
      this.lastReloadAt = this.now();
      this.lastError = error.problems.map(formatProblem).join('\n');
      logger.error({ dir, problems: error.problems.map(formatProblem) }, `routing configuration reload refused (${error.problems.length} problem(s)); keeping the running configuration`);
      return { ok: false, error };
    }
    this.config = cfg;
    this.lastReloadAt = this.now();
    this.lastError = undefined;
    logger.info({ dir, files: cfg.files, numbers: cfg.numbers.size, queues: cfg.queues.size, agents: cfg.agents.size }, 'routing configuration reloaded');
    try {
      this.opts.onChange?.(cfg);
    } catch (err) {
      logger.error({ err }, 'routing configuration change handler failed');
    }
    return { ok: true, config: cfg };
  }

  /** Reloads (debounced) whenever something in the folder changes. */
  watch(): void {
    if (this.watching) return;
    this.watching = true;
    this.startWatcher();
  }

  stop(): void {
    this.watching = false;
    this.watcher?.close();
    this.watcher = undefined;
    if (this.debounce !== undefined) this.timers.clearTimeout(this.debounce);
    if (this.rewatch !== undefined) this.timers.clearTimeout(this.rewatch);
    this.debounce = undefined;
    this.rewatch = undefined;
  }

  private loadOptions(): { soundsDir?: string } {
    return this.opts.soundsDir !== undefined ? { soundsDir: this.opts.soundsDir } : {};
  }

  private startWatcher(): boolean {
    if (!this.watching) return false;
    try {
      // Any event counts: editors save through temporary files and renames, and Kubernetes swaps a
      // "..data" symlink; a reload of unchanged files is harmless.
      const w = fsWatch(this.opts.dir, { persistent: false }, () => this.schedule());
      w.on('error', (err) => this.watcherFailed(err));
      this.watcher = w;
      this.watchFailing = false;
      return true;
    } catch (err) {
      this.watcherFailed(err as Error);
      return false;
    }
  }

  private watcherFailed(err: Error): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (!this.watching) return;
    if (!this.watchFailing) this.opts.logger.warn({ dir: this.opts.dir, err: err.message }, 'cannot watch the routing folder; retrying until it is back');
    this.watchFailing = true;
    if (this.rewatch !== undefined) return;
    this.rewatch = this.timers.setTimeout(() => {
      this.rewatch = undefined;
      if (this.startWatcher()) this.schedule(); // the folder may have changed meanwhile
    }, this.opts.rewatchMs ?? 1000);
  }

  private schedule(): void {
    if (!this.watching) return;
    if (this.debounce !== undefined) this.timers.clearTimeout(this.debounce);
    this.debounce = this.timers.setTimeout(() => {
      this.debounce = undefined;
      if (!this.watching) return;
      void this.reload().then(() => {
        // The folder was removed or replaced (a deploy swapping it): the watcher sees nothing
        // any more, so watch the new folder once it exists.
        if (this.watching && !existsSync(this.opts.dir)) this.watcherFailed(new Error(`${this.opts.dir} is gone`));
      });
    }, this.opts.debounceMs ?? 250);
  }
}
