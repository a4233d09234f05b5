// Switchboard's side of the load benchmark: its routing files (the equivalent of queues.conf's
// "bench" queue), the service itself (node dist/cli/main.js start, built by `npm run build`), its
// agents logged in and ready through the HTTP API, and its /readyz load figures while a step runs.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BenchProfile } from './options';
import { NUMBER } from './options';
import { deadline, run, start, waitFor, type Child, type Cleanup } from './procs';
import { REPO, serviceEnv } from './stack';

export const CLI = path.join(REPO, 'dist', 'cli', 'main.js');
const TOKEN = 'bench-load-admin-token-0001';

/**
 * One queue "bench" that every agent may take (skill bench), longest idle first (app_queue's
 * leastrecent), ring 15 s, no wrap-up, no announcements; number 6000 goes straight to it.
 */
export async function writeRouting(dir: string, agentCount: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const agents = Array.from({ length: agentCount }, (_, i) => `  agent${i + 1}: { endpoint: PJSIP/agent${i + 1}, skills: { bench: 1 } }`);
  await writeFile(path.join(dir, 'skills.yaml'), '# Written by bench/load (the load benchmark).\nskills: [bench]\n');
  await writeFile(path.join(dir, 'agents.yaml'), `agents:\n${agents.join('\n')}\n`);
  await writeFile(
    path.join(dir, 'queues.yaml'),
    'queues:\n  bench:\n    requires: skill.bench >= 1\n    strategy: longest-idle\n    ringTimeout: 15\n    wrapUp: 0\n',
  );
  await writeFile(path.join(dir, 'numbers.yaml'), `numbers:\n  "${NUMBER.switchboard}": { queue: bench }\n`);
  const r = await run(process.execPath, [CLI, 'validate', dir]);
  if (r.code !== 0) throw new Error(`the benchmark's routing files do not validate:\n${r.out}`);
}

/** The figures the service may publish in /readyz (load.eventLoop; '-' in the report when absent). */
export interface LoadSample {
  delayP99Ms?: number;
  utilisation?: number;
}

export interface LoadWatch {
  stop(): { samples: number; notReady: number; delayP99MaxMs?: number; utilisationMean?: number };
}

export class Switchboard {
  private child: Child | undefined;
  private readonly url: string;

  constructor(private readonly cleanup: Cleanup, private readonly p: BenchProfile, private readonly routingDir: string, private readonly logLevel: string, private readonly cpuProfDir?: string) {
    this.url = `http://127.0.0.1:${p.httpPort}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the service and resolves once /readyz answers 200 (deadline 60 s). */
  async start(logFile: string): Promise<void> {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
    if (await this.answers('/healthz')) throw new Error(`something already serves ${this.url} (a Switchboard left running?): stop it first`);
    const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SWITCHBOARD_')));
    Object.assign(env, await serviceEnv(), {
      SWITCHBOARD_HTTP_PORT: String(this.p.httpPort),
      SWITCHBOARD_CONFIG_DIR: this.routingDir,
      SWITCHBOARD_API_TOKENS: `admin:${TOKEN}`,
      SWITCHBOARD_API_RATE_PER_MINUTE: '0', // the set-up logs hundreds of agents in at once
      SWITCHBOARD_WATCH_CONFIG: 'false',
      SWITCHBOARD_LOG_LEVEL: this.logLevel,
    });
    const profile = this.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', this.cpuProfDir, '--cpu-prof-name', `${path.basename(logFile, '.log')}.cpuprofile`] : [];
    const child = start(this.cleanup, 'Switchboard', process.execPath, [...profile, CLI, 'start'], { cwd: REPO, env, logFile });
    this.child = child;
    await waitFor(
      `Switchboard's /readyz to answer 200 (log: ${logFile})`,
      async () => (child.proc.exitCode !== null ? Promise.reject(new Error(`Switchboard exited (log: ${logFile})`)) : this.answers('/readyz')),
      60_000,
      200,
    );
  }

  /** Logs every agent in and makes it ready through the API, then waits until all are available. */
  async agentsReady(agentCount: number): Promise<void> {
    const ids = Array.from({ length: agentCount }, (_, i) => `agent${i + 1}`);
    for (let i = 0; i < ids.length; i += 10) {
      await Promise.all(ids.slice(i, i + 10).map(async (id) => {
        await this.api('POST', `/api/v1/agents/${id}/login`);
        await this.api('POST', `/api/v1/agents/${id}/ready`);
      }));
    }
    await waitFor(
      `all ${agentCount} agents available and reachable`,
      async () => {
        const { agents } = (await this.api('GET', '/api/v1/agents')) as { agents: Array<{ status: string; reachable: boolean }> };
        return agents.filter((a) => a.status === 'available' && a.reachable).length === agentCount;
      },
      30_000,
      200,
    );
  }

  /** Agents paused now: after a step, the ones the system paused (the benchmark pauses none). */
  async agentsPaused(): Promise<number> {
    const { agents } = (await this.api('GET', '/api/v1/agents')) as { agents: Array<{ status: string }> };
    return agents.filter((a) => a.status === 'paused').length;
  }

  /** Polls /readyz once a second until stopped. */
  watchLoad(): LoadWatch {
    const samples: LoadSample[] = [];
    let notReady = 0;
    let polls = 0;
    const poll = async () => {
      try {
        const res = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(900) });
        polls++;
        if (res.status !== 200) notReady++;
        const body = (await res.json()) as { load?: { eventLoop?: { delayP99Ms?: unknown; utilisation?: unknown } } };
        const ev = body.load?.eventLoop;
        samples.push({
          ...(typeof ev?.delayP99Ms === 'number' ? { delayP99Ms: ev.delayP99Ms } : {}),
          ...(typeof ev?.utilisation === 'number' ? { utilisation: ev.utilisation } : {}),
        });
      } catch {
        polls++;
        notReady++; // no answer within 900 ms counts as not ready
      }
    };
    const timer = setInterval(() => void poll(), 1000);
    return {
      stop() {
        clearInterval(timer);
        const delays = samples.flatMap((s) => (s.delayP99Ms === undefined ? [] : [s.delayP99Ms]));
        const utils = samples.flatMap((s) => (s.utilisation === undefined ? [] : [s.utilisation]));
        return {
          samples: polls,
          notReady,
          ...(delays.length ? { delayP99MaxMs: Math.max(...delays) } : {}),
          ...(utils.length ? { utilisationMean: utils.reduce((a, b) => a + b, 0) / utils.length } : {}),
        };
      },
    };
  }

  /** Stops the service (SIGTERM, then SIGKILL after 15 s) and waits until its port is free. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    await child.stop('SIGTERM', 15_000);
    await waitFor(`${this.url} to be free`, async () => !(await this.answers('/healthz')), 10_000, 100);
  }

  private async answers(route: string): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}${route}`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  private async api(method: string, route: string): Promise<unknown> {
    const res = await deadline(
      `${method} ${route}`,
      fetch(`${this.url}${route}`, { method, headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, ...(method === 'POST' ? { body: '{}' } : {}) }),
      10_000,
    );
    const body = await res.text();
    if (!res.ok) throw new Error(`${method} ${route} answered ${res.status}: ${body}`);
    return JSON.parse(body) as unknown;
  }
}
