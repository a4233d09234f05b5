// Queues from the routing files: requirement expressions compiled, steps in order, exits and
// overflows to queues that exist, and no loop of exits taken at once.
import type { Checker } from '../../platform/config/loader';
import type { SoundUse } from '../../platform/config/sounds';
import type { Path, YamlFile } from '../../platform/config/yaml-positions';
import { compileRequirement, didYouMean, ExpressionError } from '../domain/expression';
import type { QueueConfig, QueueExit, QueueStep, Requirement } from '../domain/model';
import { toCallbackSettings } from '../../callbacks';
import { AnnouncementsSchema, type AcdFile, type ParsedExit, type ParsedQueue } from './schema';

/** What checking a queue needs: the catalogs, and where the prompts it names are collected. */
export interface QueueChecks {
  check: Checker;
  skills: ReadonlySet<string>;
  languages: ReadonlySet<string>;
  sounds: SoundUse[];
  /** Where queues name assist flows: the IVR checks those flows can give the caller back (ivr/config). */
  assistFlows: FlowUse[];
}

/** A flow named in a queue's settings, and where. */
export interface FlowUse {
  src: YamlFile;
  path: Path;
  flow: string;
}

export function buildQueues(files: readonly AcdFile[], ctx: QueueChecks): Map<string, QueueConfig> {
  checkExitLoops(files, ctx.check);
  const queues = new Map<string, QueueConfig>();
  for (const { src, data } of files) {
    for (const [id, q] of Object.entries(data.queues ?? {})) {
      const queue = buildQueue(src, id, q, ctx);
      if (queue) queues.set(id, queue);
    }
  }
  return queues;
}

/**
 * Exits taken at once on arrival (queue full, nobody could serve): a loop among them would send a
 * call round for ever, so it is refused here (the ACD also cuts such a loop after a few hops).
 */
function checkExitLoops(files: readonly AcdFile[], check: Checker): void {
  type ExitEdge = { to: string; src: YamlFile; path: Path };
  const immediateExits = new Map<string, ExitEdge[]>();
  for (const { src, data } of files) {
    for (const [id, q] of Object.entries(data.queues ?? {})) {
      const edges: ExitEdge[] = [];
      if (q.maxWaiting?.exit.queue) edges.push({ to: q.maxWaiting.exit.queue, src, path: ['queues', id, 'maxWaiting', 'exit', 'queue'] });
      if (q.whenNoAgents?.queue) edges.push({ to: q.whenNoAgents.queue, src, path: ['queues', id, 'whenNoAgents', 'queue'] });
      immediateExits.set(id, edges);
    }
  }
  const reported = new Set<string>();
  for (const start of immediateExits.keys()) {
    // Depth-first from each queue; a path that comes back to its start is a loop.
    const walk = (node: string, trail: string[], first?: { src: YamlFile; path: Path }): void => {
      for (const e of immediateExits.get(node) ?? []) {
        const edge = first ?? { src: e.src, path: e.path };
        if (e.to === start && trail.length > 1) {
          const key = [...trail].sort().join(',');
          if (!reported.has(key)) {
            reported.add(key);
            check.at(edge.src, edge.path, `queue exits form a loop: ${[...trail, start].join(' → ')} (a call that cannot wait in any of them would go round for ever)`);
          }
        } else if (!trail.includes(e.to) && e.to !== start) walk(e.to, [...trail, e.to], edge);
      }
    };
    walk(start, [start]);
  }
}

/** One queue; undefined when it has problems (reported). */
function buildQueue(src: YamlFile, id: string, q: ParsedQueue, ctx: QueueChecks): QueueConfig | undefined {
  const { check, skills } = ctx;
  const base = ['queues', id] as const;
  const before = check.count;
  const baseReq = compile(src, [...base, 'requires'], q.requires, ctx);
  const steps = baseReq ? [{ afterS: 0, requirement: baseReq }, ...buildSteps(src, id, q, ctx)] : buildSteps(src, id, q, ctx);
  const flows = check.defined('flows');
  if (q.survey !== undefined && !flows.has(q.survey)) check.at(src, [...base, 'survey'], `unknown flow "${q.survey}"${didYouMean(q.survey, flows.keys())}`);
  for (const [i, flow] of (q.assistFlows ?? []).entries()) {
    const path = [...base, 'assistFlows', i];
    if (!flows.has(flow)) check.at(src, path, `unknown flow "${flow}"${didYouMean(flow, flows.keys())}`);
    else ctx.assistFlows.push({ src, path, flow });
  }
  if (q.rankSkill !== undefined && !skills.has(q.rankSkill)) check.at(src, [...base, 'rankSkill'], `unknown skill "${q.rankSkill}"${didYouMean(q.rankSkill, skills)}`);
  const rankSkill = q.rankSkill ?? (q.strategy === 'most-skilled' ? baseReq?.skills[0] : undefined);
  if (q.strategy === 'most-skilled' && baseReq && rankSkill === undefined) check.at(src, [...base, 'strategy'], 'most-skilled needs rankSkill (requires reads no skill)');
  const maxWaiting = q.maxWaiting ? toExit(src, [...base, 'maxWaiting', 'exit'], id, q.maxWaiting.exit, ctx) : undefined;
  const maxWait = q.maxWait ? toExit(src, [...base, 'maxWait', 'exit'], id, q.maxWait.exit, ctx) : undefined;
  const whenNoAgents = q.whenNoAgents ? toExit(src, [...base, 'whenNoAgents'], id, q.whenNoAgents, ctx) : undefined;
  const ann = q.announcements ?? AnnouncementsSchema.parse({});
  if (ann.periodicPrompt !== undefined) ctx.sounds.push({ src, path: [...base, 'announcements', 'periodicPrompt'], name: ann.periodicPrompt });
  if (q.callback?.hours !== undefined && !check.defined('schedules').has(q.callback.hours)) {
    check.at(src, [...base, 'callback', 'hours'], `unknown schedule "${q.callback.hours}"${didYouMean(q.callback.hours, check.defined('schedules').keys())}`);
  }
  if (check.count > before) return undefined;
  return {
    id,
    name: q.name ?? id,
    steps,
    strategy: q.strategy,
    ...(rankSkill !== undefined ? { rankSkill } : {}),
    ringTimeoutS: q.ringTimeout,
    wrapUpS: q.wrapUp,
    serviceLevel: { thresholdS: q.serviceLevel.threshold, targetPct: q.serviceLevel.target, shortAbandonS: q.serviceLevel.shortAbandon, formula: q.serviceLevel.formula },
    repeatWindowS: q.repeatWindow * 3600,
    ...(q.preferredAgent ? { preferredAgent: { windowS: q.preferredAgent.window, lastAgent: q.preferredAgent.lastAgent } } : {}),
    ...(q.maxWaiting && maxWaiting ? { maxWaiting: { count: q.maxWaiting.count, exit: maxWaiting } } : {}),
    ...(q.maxWait && maxWait ? { maxWait: { seconds: q.maxWait.seconds, exit: maxWait } } : {}),
    ...(whenNoAgents ? { whenNoAgents } : {}),
    musicClass: q.music,
    announcements: {
      position: ann.position,
      estimatedWait: ann.estimatedWait,
      positionOnlyWhenImproved: ann.positionOnlyWhenImproved,
      firstAfterS: ann.firstAfter,
      everyS: ann.every,
      ...(ann.periodicPrompt !== undefined ? { periodicPrompt: ann.periodicPrompt } : {}),
    },
    maxMissedOffers: q.maxMissedOffers,
    ...(q.survey !== undefined ? { survey: q.survey } : {}),
    ...(q.assistFlows?.length ? { assistFlows: [...new Set(q.assistFlows)] } : {}),
    ...(q.requireDisposition ? { requireDisposition: true } : {}),
    ...(q.recording ? { recording: { format: q.recording.format, retentionDays: q.recording.retention, ...(q.recording.pauseOnHold ? {} : { pauseOnHold: false }) } } : {}),
    ...(q.callback ? { callback: toCallbackSettings(q.callback) } : {}),
  };
}

/** The queue's relaxations after its base requirement: after strictly increasing, nothing after an overflow. */
function buildSteps(src: YamlFile, id: string, q: ParsedQueue, ctx: QueueChecks): QueueStep[] {
  const { check } = ctx;
  const queues = check.defined('queues');
  const steps: QueueStep[] = [];
  let last = 0;
  let overflowAt: number | undefined;
  (q.steps ?? []).forEach((s, i) => {
    const sp = ['queues', id, 'steps', i] as const;
    if (overflowAt !== undefined) check.at(src, sp, `never reached: step ${overflowAt} already moves the call to another queue`);
    if (s.after <= last) check.at(src, [...sp, 'after'], `after must be greater than the previous step's (${last})`);
    last = Math.max(last, s.after);
    if (s.overflow !== undefined) {
      overflowAt ??= i;
      if (s.overflow === id) check.at(src, [...sp, 'overflow'], `overflows to its own queue "${id}"`);
      else if (!queues.has(s.overflow)) check.at(src, [...sp, 'overflow'], `unknown queue "${s.overflow}"${didYouMean(s.overflow, queues.keys())}`);
      else steps.push({ afterS: s.after, overflowTo: s.overflow });
    } else if (s.requires !== undefined) {
      const r = compile(src, [...sp, 'requires'], s.requires, ctx);
      if (r) steps.push({ afterS: s.after, requirement: r });
    }
  });
  return steps;
}

function toExit(src: YamlFile, p: Path, self: string, e: ParsedExit, ctx: QueueChecks): QueueExit | undefined {
  const { check } = ctx;
  if (e.queue !== undefined) {
    const queues = check.defined('queues');
    if (e.queue === self) return void check.at(src, [...p, 'queue'], `exits to its own queue "${self}"`);
    if (!queues.has(e.queue)) return void check.at(src, [...p, 'queue'], `unknown queue "${e.queue}"${didYouMean(e.queue, queues.keys())}`);
    return { kind: 'queue', queue: e.queue };
  }
  if (e.hook !== undefined) return { kind: 'hook', hook: e.hook };
  const prompt = e.hangup?.prompt;
  if (prompt !== undefined) ctx.sounds.push({ src, path: [...p, 'hangup', 'prompt'], name: prompt });
  return prompt !== undefined ? { kind: 'hangup', prompt } : { kind: 'hangup' };
}

/** A requirement expression; a mistake is reported at its character. */
function compile(src: YamlFile, p: Path, source: string, ctx: QueueChecks): Requirement | undefined {
  try {
    return compileRequirement(source, { skills: ctx.skills, languages: ctx.languages });
  } catch (err) {
    if (!(err instanceof ExpressionError)) throw err;
    ctx.check.atCharacter(src, p, err.offset, `${err.message} (in "${source}" at character ${err.offset + 1})`);
    return undefined;
  }
}
