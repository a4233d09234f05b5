// Checks across the steps of flows, once every flow is compiled: sensitive digits never leave the
// call, every step is reached from the start, no loop of steps that never waits for the caller;
// and the languages a call may have at each step (for the sounds check).
import type { Checker } from '../../platform/config/loader';
import type { Path, YamlFile } from '../../platform/config/yaml-positions';
import type { Step } from '../domain/model';
import type { FlowFindings } from './flow-steps';
import type { FlowDraft } from './flows';

/** Sensitive digits never leave the call, and only what is derived from them can be tested. */
export function checkSensitiveUses(found: FlowFindings, check: Checker): void {
  for (const u of found.varUses) {
    const where = found.sensitiveVars.get(u.name);
    if (where === undefined) continue;
    if (u.use === 'send') check.at(u.src, u.path, `"${u.name}" is collected as sensitive (${where}): sensitive digits are never sent; send ${u.name}_valid or ${u.name}_last4`);
    else check.at(u.src, u.path, `"${u.name}" is collected as sensitive (${where}) and never kept: test ${u.name}_valid or ${u.name}_last4`);
  }
}

/** Every step can be reached from the start (a step nobody reaches is a typo in a reference). */
export function checkReachable(drafts: ReadonlyMap<string, FlowDraft>, check: Checker): void {
  for (const d of drafts.values()) {
    if (d.partial) continue; // broken references or steps: already reported
    const seen = new Set<string>([d.start]);
    const pending = [d.start];
    while (pending.length > 0) {
      for (const e of d.edges.get(pending.pop()!) ?? []) {
        if (!seen.has(e.to)) {
          seen.add(e.to);
          pending.push(e.to);
        }
      }
    }
    for (const name of d.steps.keys()) if (!seen.has(name)) check.at(d.src, ['flows', d.id, 'steps', name], `never reached from start "${d.start}"`, true);
  }
}

const INSTANT = new Set<Step['kind']>(['branch', 'set', 'goto', 'transfer']);
const node = (flow: string, step: string) => `${flow}\0${step}`;
type InstantEdge = { to: string; src: YamlFile; path: Path };

/**
 * Loops that never wait for the caller: a cycle of steps that complete at once (branch, set,
 * goto, transfer) would spin until the engine's hop limit cuts the call.
 */
export function checkInstantLoops(drafts: ReadonlyMap<string, FlowDraft>, check: Checker): void {
  const instantEdges = instantGraph(drafts);
  const state = new Map<string, 'open' | 'done'>();
  const trail: string[] = [];
  const reportedLoops = new Set<string>();
  const visit = (n: string): void => {
    state.set(n, 'open');
    trail.push(n);
    for (const e of instantEdges.get(n) ?? []) {
      const st = state.get(e.to);
      if (st === undefined) visit(e.to);
      else if (st === 'open') {
        const cycle = [...trail.slice(trail.indexOf(e.to)), e.to];
        // One report per loop, at the first reference found that closes it.
        const loopKey = cycle.slice(1).sort().join('\n');
        if (reportedLoops.has(loopKey)) continue;
        reportedLoops.add(loopKey);
        const flowsIn = new Set(cycle.map((c) => c.split('\0')[0]));
        const label = (c: string) => (flowsIn.size === 1 ? c.split('\0')[1]! : c.replace('\0', ':'));
        check.at(e.src, e.path, `loops back to "${label(e.to)}" without waiting for the caller: ${cycle.map(label).join(' → ')}`);
      }
    }
    trail.pop();
    state.set(n, 'done');
  };
  for (const n of instantEdges.keys()) if (!state.has(n)) visit(n);
}

/** Instant step (`flow\0step`) → the instant steps it goes to at once (transfers: the other flow's start). */
function instantGraph(drafts: ReadonlyMap<string, FlowDraft>): Map<string, InstantEdge[]> {
  const instantEdges = new Map<string, InstantEdge[]>();
  for (const d of drafts.values()) {
    for (const [name, step] of d.steps) {
      if (!INSTANT.has(step.kind)) continue;
      const out: InstantEdge[] = [];
      if (step.kind === 'transfer') {
        const target = drafts.get(step.flow);
        if (target?.steps.has(target.start)) out.push({ to: node(target.id, target.start), src: d.src, path: ['flows', d.id, 'steps', name, 'transfer'] });
      } else for (const e of d.edges.get(name) ?? []) out.push({ to: node(d.id, e.to), src: d.src, path: e.path });
      instantEdges.set(
        node(d.id, name),
        out.filter((e) => {
          const [flow, step] = e.to.split('\0') as [string, string];
          const k = drafts.get(flow)?.steps.get(step)?.kind;
          return k !== undefined && INSTANT.has(k);
        }),
      );
    }
  }
  return instantEdges;
}

/**
 * The languages a call may have at each step (`flow\0step`): the flow's at its start, changed by
 * set steps, kept across transfers. Prompts are looked up in each of them (falling back to en).
 */
export function stepLanguages(drafts: ReadonlyMap<string, FlowDraft>): Map<string, Set<string>> {
  const langsAt = new Map<string, Set<string>>();
  const pending: [string, string, string][] = [...drafts.values()].map((d) => [d.id, d.start, d.language]);
  while (pending.length > 0) {
    const [flow, name, lang] = pending.pop()!;
    const key = node(flow, name);
    const langs = langsAt.get(key) ?? new Set<string>();
    if (langs.has(lang)) continue;
    langs.add(lang);
    langsAt.set(key, langs);
    const d = drafts.get(flow);
    const step = d?.steps.get(name);
    if (!d || !step) continue;
    const after = step.kind === 'set' && step.language !== undefined ? step.language : lang;
    for (const e of d.edges.get(name) ?? []) pending.push([flow, e.to, after]);
    if (step.kind === 'transfer') {
      const target = drafts.get(step.flow);
      if (target) pending.push([target.id, target.start, lang]);
    }
  }
  return langsAt;
}
