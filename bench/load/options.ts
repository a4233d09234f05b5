// The load benchmark's command line and the stack profile it runs on (config/stack/bench.env).
import { readFileSync } from 'node:fs';
import path from 'node:path';

export type System = 'app_queue' | 'switchboard';
export const SYSTEMS: readonly System[] = ['app_queue', 'switchboard'];

/** The numbers each side answers: 7000 is in config/asterisk/bench/extensions.conf (Queue(bench));
 *  6000 is in the routing files the benchmark writes for Switchboard (service.ts). */
export const NUMBER: Record<System, string> = { app_queue: '7000', switchboard: '6000' };

/** Seconds an agent is busy per call: the phone answers after 0.1 s and hangs up 1 s after the ACK,
 *  plus signalling. N agents carry at most about N / AGENT_BUSY_S calls per second, whatever the system. */
export const AGENT_BUSY_S = 1.15;

export const FULL_RATES = [10, 20, 40, 60, 80, 100, 130, 160, 200, 250, 300, 400, 500];
export const QUICK_RATES = [20, 50, 80];

export interface Options {
  quick: boolean;
  rates: number[];
  durationS: number;
  rounds: number;
  keepStack: boolean;
  keepPcap: boolean;
  systems: System[];
  logLevel: string;
  cpuProf: boolean;
}

export const USAGE = `usage: npm run bench:load [-- options]

Switchboard and Asterisk's app_queue side by side on the same Asterisk ("bench" stack profile),
one at a time, under the same SIPp load; rates go up until both fail a step.

  --quick            3 rates (${QUICK_RATES.join(', ')} calls/s) x 30 s x 1 round (about 4 minutes)
  --rates a,b,c      calls per second, in order (default ${FULL_RATES.join(', ')})
  --duration S       seconds of load per step (default 60; --quick 30)
  --rounds N         full rounds, the order of the two systems alternating (default 2; --quick 1)
  --only SYSTEM      app_queue or switchboard only (for a look at one side)
  --log-level L      Switchboard's SWITCHBOARD_LOG_LEVEL (default info, as in production)
  --keep-stack       leave the bench stack up at the end
  --keep-pcap        keep each step's capture in the run's folder
  --cpu-prof         write a V8 CPU profile of the service for each step into the run's folder
                     (open it in Chrome's DevTools or speedscope; profiling costs CPU: not for figures)
`;

function positive(name: string, v: string | undefined): number {
  const n = Number(v);
  if (!v || !Number.isFinite(n) || n <= 0) throw new Error(`${name} needs a positive number, not "${v ?? ''}"`);
  return n;
}

export function parseArgs(argv: readonly string[]): Options | 'help' {
  const o: Options = { quick: false, rates: FULL_RATES, durationS: 60, rounds: 2, keepStack: false, keepPcap: false, systems: [...SYSTEMS], logLevel: 'info', cpuProf: false };
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => argv[++i];
    given.add(a);
    if (a === '--help' || a === '-h') return 'help';
    else if (a === '--quick') o.quick = true;
    else if (a === '--rates') o.rates = (value() ?? '').split(',').map((r) => positive('--rates', r.trim()));
    else if (a === '--duration') o.durationS = positive('--duration', value());
    else if (a === '--rounds') o.rounds = Math.round(positive('--rounds', value()));
    else if (a === '--keep-stack') o.keepStack = true;
    else if (a === '--keep-pcap') o.keepPcap = true;
    else if (a === '--cpu-prof') o.cpuProf = true;
    else if (a === '--log-level') o.logLevel = value() ?? 'info';
    else if (a === '--only') {
      const s = value() as System;
      if (!SYSTEMS.includes(s)) throw new Error(`--only takes ${SYSTEMS.join(' or ')}`);
      o.systems = [s];
    } else throw new Error(`unknown option ${a}\n\n${USAGE}`);
  }
  if (o.quick) {
    if (!given.has('--rates')) o.rates = QUICK_RATES;
    if (!given.has('--duration')) o.durationS = 30;
    if (!given.has('--rounds')) o.rounds = 1;
  }
  return o;
}

export interface BenchProfile {
  sipPort: number;
  ariPort: number;
  redisPort: number;
  httpPort: number;
  amiPort: number;
  ariApp: string;
  ariUser: string;
  ariPassword: string;
  agentCount: number;
  /** Where every agent's static contact points: the benchmark's one SIPp phone. */
  phone: { host: string; port: number };
}

/** Reads config/stack/bench.env (the keys scripts/stack.sh reads). */
export function readProfile(repoRoot: string): BenchProfile {
  const file = path.join(repoRoot, 'config', 'stack', 'bench.env');
  const kv: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1]) kv[m[1]] = m[2] ?? '';
  }
  const need = (k: string): string => {
    const v = kv[k];
    if (!v) throw new Error(`${file} has no ${k}`);
    return v;
  };
  const [host, port] = need('AGENT_CONTACT').split(':');
  return {
    sipPort: Number(need('SIP_PORT')),
    ariPort: Number(need('ARI_PORT')),
    redisPort: Number(need('REDIS_PORT')),
    httpPort: Number(need('HTTP_PORT')),
    amiPort: Number(need('AMI_PORT')),
    ariApp: need('ARI_APP'),
    ariUser: need('ARI_USER'),
    ariPassword: need('ARI_PASSWORD'),
    agentCount: Number(need('AGENT_COUNT')),
    phone: { host: host ?? '127.0.0.1', port: Number(port) },
  };
}
