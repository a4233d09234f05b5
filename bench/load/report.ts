// What the load benchmark prints: a line per step as it ends, then per system the knee, the
// Switchboard/app_queue ratios, and the comparison with bench/load-baseline.json.
import { KNEE_RULE, type StepResult } from './analysis';
import { SYSTEMS, type System } from './options';

const f = (v: number | undefined, digits = 1, width = 6): string => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits)).padStart(width);

/** CPU per completed call of the whole system: Node + Asterisk + Redis for Switchboard, Asterisk for app_queue. */
export function systemCpuPerCall(s: StepResult): number | undefined {
  const parts = s.system === 'switchboard' ? ['node', 'asterisk', 'redis'] : ['asterisk'];
  const values = parts.map((p) => s.cpuPerCallMs[p]);
  return values.some((v) => v === undefined) ? undefined : values.reduce((a, b) => a! + b!, 0);
}

// The step table: column groups (title, then each column's name, width and value).
type Col = [name: string, width: number, value: (s: StepResult) => string];
const GROUPS: Array<[title: string, cols: Col[]]> = [
  ['', [
    ['rnd', 3, (s) => String(s.round)],
    ['system', -12, (s) => s.system],
    ['cps', 4, (s) => String(s.rate)],
    ['attempted', 9, (s) => String(s.attempted)],
    ['completed', 9, (s) => String(s.completed)],
    ['failed', 6, (s) => String(s.failed)],
    ['no-agent', 8, (s) => String(s.answeredNoAgent)],
  ]],
  ['overload', [
    ['refused', 7, (s) => String(s.refused)],
    ['>1s', 4, (s) => String(s.refusedSlow)],
    ['lost', 5, (s) => String(s.lost)],
    ['paused', 6, (s) => (s.agentsPaused === undefined ? '-' : String(s.agentsPaused))],
  ]],
  ['INVITE -> agent INVITE ms', [
    ['p50', 7, (s) => f(s.inviteToAgentInviteMs?.p50)],
    ['p95', 7, (s) => f(s.inviteToAgentInviteMs?.p95)],
    ['p99', 7, (s) => f(s.inviteToAgentInviteMs?.p99)],
    ['max', 7, (s) => f(s.inviteToAgentInviteMs?.max)],
  ]],
  ['INVITE->bridged ms', [
    ['p50', 8, (s) => f(s.inviteToBridgedMs?.p50)],
    ['p99', 8, (s) => f(s.inviteToBridgedMs?.p99)],
  ]],
  ['CPU ms per completed call', [
    ['node', 6, (s) => f(s.cpuPerCallMs.node, 2)],
    ['ast', 6, (s) => f(s.cpuPerCallMs.asterisk, 2)],
    ['redis', 6, (s) => f(s.cpuPerCallMs.redis, 2)],
    ['system', 7, (s) => f(systemCpuPerCall(s), 2)],
  ]],
  ['machine %', [
    ['busy', 5, (s) => f(s.busyPct, 0)],
    ['other', 5, (s) => f(s.otherPct, 0)],
  ]],
  ['/readyz event loop', [
    ['p99 max ms', 10, (s) => (s.system === 'switchboard' ? f(s.eventLoop?.delayP99MaxMs) : '-')],
    ['util', 5, (s) => (s.system === 'switchboard' ? f(s.eventLoop?.utilisationMean, 2) : '-')],
  ]],
];

const pad = (text: string, width: number) => (width < 0 ? text.padEnd(-width) : text.padStart(width));
const groupWidth = (cols: Col[]) => cols.reduce((w, [, width]) => w + Math.abs(width) + 1, -1);

export const STEP_HEADER = [
  GROUPS.map(([title, cols]) => title.padEnd(groupWidth(cols))).join(' | '),
  GROUPS.map(([, cols]) => cols.map(([name, width]) => pad(name, width)).join(' ')).join(' | '),
].join('\n');

export function stepLine(s: StepResult): string {
  const cells = GROUPS.map(([, cols]) => cols.map(([, width, value]) => pad(value(s).trim(), width)).join(' ')).join(' | ');
  return `${cells} ${s.pass ? 'pass' : 'FAIL'}`;
}

export interface Knee {
  /** Highest passing rate, or undefined when even the lowest rate failed (or none ran). */
  rate?: number;
  /** True when no rate failed: the real knee is at or above `rate`. */
  lowerBound: boolean;
}

export function knee(steps: readonly StepResult[], system: System): Knee {
  const mine = steps.filter((s) => s.system === system);
  const rates = [...new Set(mine.map((s) => s.rate))].sort((x, y) => x - y);
  let best: number | undefined;
  for (const r of rates) {
    if (!mine.filter((s) => s.rate === r).every((s) => s.pass)) return { ...(best !== undefined ? { rate: best } : {}), lowerBound: false };
    best = r;
  }
  return { ...(best !== undefined ? { rate: best } : {}), lowerBound: true };
}

const mean = (xs: Array<number | undefined>): number | undefined => {
  const v = xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : undefined;
};

export interface RateFigures {
  rate: number;
  cpuPerCallMs?: number;
  agentInviteP50Ms?: number;
  agentInviteP99Ms?: number;
}

/** Per system and rate: the means over the rounds of the figures the ratios use (passing steps only). */
export function figures(steps: readonly StepResult[], system: System, rate: number): RateFigures | undefined {
  const at = steps.filter((s) => s.system === system && s.rate === rate);
  if (at.length === 0 || !at.every((s) => s.pass)) return undefined;
  return {
    rate,
    ...opt('cpuPerCallMs', mean(at.map(systemCpuPerCall))),
    ...opt('agentInviteP50Ms', mean(at.map((s) => s.inviteToAgentInviteMs?.p50))),
    ...opt('agentInviteP99Ms', mean(at.map((s) => s.inviteToAgentInviteMs?.p99))),
  };
}

function opt<K extends string>(k: K, v: number | undefined): Partial<Record<K, number>> {
  return v === undefined ? {} : ({ [k]: v } as Record<K, number>);
}

export interface Ratios {
  knee?: number;
  /** Switchboard / app_queue at each rate both passed. */
  byRate: Array<{ rate: number; cpuPerCall?: number; agentInviteP50?: number; agentInviteP99?: number }>;
}

const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);

export function ratios(steps: readonly StepResult[], knees: Record<System, Knee>): Ratios {
  const rates = [...new Set(steps.map((s) => s.rate))].sort((x, y) => x - y);
  const byRate: Ratios['byRate'] = [];
  for (const rate of rates) {
    const sb = figures(steps, 'switchboard', rate);
    const aq = figures(steps, 'app_queue', rate);
    if (!sb || !aq) continue;
    byRate.push({
      rate,
      ...opt('cpuPerCall', ratio(sb.cpuPerCallMs, aq.cpuPerCallMs)),
      ...opt('agentInviteP50', ratio(sb.agentInviteP50Ms, aq.agentInviteP50Ms)),
      ...opt('agentInviteP99', ratio(sb.agentInviteP99Ms, aq.agentInviteP99Ms)),
    });
  }
  return { ...opt('knee', ratio(knees.switchboard.rate, knees.app_queue.rate)), byRate };
}

function kneeText(k: Knee): string {
  if (k.rate === undefined) return k.lowerBound ? 'not measured' : 'below the lowest rate tried (it failed)';
  return k.lowerBound ? `>= ${k.rate} calls/s (no rate tried failed)` : `${k.rate} calls/s`;
}

export function summaryText(steps: readonly StepResult[], knees: Record<System, Knee>, r: Ratios): string {
  const out: string[] = ['', `Knee (${KNEE_RULE}):`];
  for (const s of SYSTEMS) if (steps.some((x) => x.system === s)) out.push(`  ${s.padEnd(12)} ${kneeText(knees[s])}`);
  if (steps.some((s) => s.system === 'switchboard') && steps.some((s) => s.system === 'app_queue')) {
    out.push('', 'Switchboard / app_queue (CPU per call: Node + Asterisk + Redis against Asterisk; means over the rounds):');
    const lb = knees.switchboard.lowerBound || knees.app_queue.lowerBound ? ' (a knee above is only a lower bound)' : '';
    out.push(`  knee                      ${f(r.knee, 2, 6)}${lb}`);
    if (r.byRate.length === 0) out.push('  no rate that both passed: no per-call ratios');
    else {
      out.push('  at each rate both passed:   cps   CPU/call   INVITE->agent INVITE p50   p99');
      for (const x of r.byRate) out.push(`                            ${String(x.rate).padStart(5)} ${f(x.cpuPerCall, 2, 10)} ${f(x.agentInviteP50, 2, 26)} ${f(x.agentInviteP99, 2, 5)}`);
    }
  }
  const notes = steps.flatMap((s) => s.notes.map((n) => `  round ${s.round} ${s.system} ${s.rate}/s: ${n}`));
  if (notes.length) out.push('', 'Notes:', ...notes);
  return out.join('\n');
}

export interface Summary {
  version: 1;
  startedAt: string;
  finishedAt: string;
  host: { cpus: number; model: string; node: string };
  options: unknown;
  agentCount: number;
  rule: string;
  steps: StepResult[];
  knees: Record<System, Knee>;
  ratios: Ratios;
}

/** Compares with a baseline summary: knees, and per system and rate CPU per call and INVITE -> agent INVITE. */
export function compareText(now: Summary, base: Summary, baseFile: string): string {
  const pct = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? `${a >= b ? '+' : ''}${(((a - b) / b) * 100).toFixed(0)} %` : '-');
  const out = ['', `Against ${baseFile} (${base.startedAt}, ${base.agentCount} agents):`];
  for (const s of SYSTEMS) {
    if (!now.steps.some((x) => x.system === s)) continue;
    out.push(`  ${s}: knee ${kneeText(now.knees[s])}, baseline ${kneeText(base.knees[s])}`);
    for (const rate of [...new Set(now.steps.map((x) => x.rate))].sort((x, y) => x - y)) {
      const a = figures(now.steps, s, rate);
      const b = figures(base.steps, s, rate);
      if (!a || !b) continue;
      out.push(`    ${String(rate).padStart(4)}/s  CPU/call ${f(a.cpuPerCallMs, 2)} ms (${pct(a.cpuPerCallMs, b.cpuPerCallMs)})  INVITE->agent INVITE p50 ${f(a.agentInviteP50Ms)} ms (${pct(a.agentInviteP50Ms, b.agentInviteP50Ms)})  p99 ${f(a.agentInviteP99Ms)} ms (${pct(a.agentInviteP99Ms, b.agentInviteP99Ms)})`);
    }
  }
  return out.join('\n');
}
