// The ACD's part of the routing files: the skill and language catalogs, pause reasons, agents and
// queues (requirement expressions compiled with ../domain/expression).
import { notInCatalog } from '../../platform/config/fields';
import type { Checker, Section } from '../../platform/config/loader';
import type { SoundUse } from '../../platform/config/sounds';
import type { AgentProfile, QueueConfig } from '../domain/model';
import { buildQueues, type FlowUse } from './queues';

export type { FlowUse } from './queues';
import { ACD_KEYS, type AcdFile } from './schema';

export { AgentSchema, AnnouncementsSchema, PauseReasonSchema, QueueExitSchema, QueueSchema, QueueStepSchema, STRATEGIES, TeamSchema } from './schema';

export interface Team {
  id: string;
  name: string;
  agents: readonly string[];
}

export interface PauseReason {
  label: string;
}

export const BUILTIN_PAUSE_REASONS: ReadonlyMap<string, PauseReason> = new Map([['no-answer', { label: 'No answer' }]]);

export interface AcdConfig {
  skills: ReadonlySet<string>;
  languages: ReadonlySet<string>;
  /** Always holds the built-in "no-answer". */
  pauseReasons: ReadonlyMap<string, PauseReason>;
  agents: ReadonlyMap<string, AgentProfile>;
  queues: ReadonlyMap<string, QueueConfig>;
  teams: ReadonlyMap<string, Team>;
  /** Disposition code → label. */
  dispositions: ReadonlyMap<string, { label: string }>;
  /** The prompts the queues name, for the sounds check. */
  sounds: SoundUse[];
  /** Flows queues name as assist flows (the IVR section checks each can return the caller). */
  assistFlows: FlowUse[];
}

export const acdSection: Section<typeof ACD_KEYS, void, AcdConfig> = {
  keys: ACD_KEYS,
  build(files, check) {
    const skills = new Set<string>();
    const languages = new Set<string>();
    for (const { data } of files) {
      for (const s of data.skills ?? []) skills.add(s);
      for (const l of data.languages ?? []) languages.add(l);
    }
    const pauseReasons = new Map<string, PauseReason>(BUILTIN_PAUSE_REASONS);
    for (const { data } of files) for (const [code, r] of Object.entries(data.pauseReasons ?? {})) pauseReasons.set(code, { label: r.label });
    const agents = buildAgents(files, check, skills, languages);
    const sounds: SoundUse[] = [];
    const assistFlows: FlowUse[] = [];
    const queues = buildQueues(files, { check, skills, languages, sounds, assistFlows });
    const teams = buildTeams(files, check, agents);
    const dispositions = new Map<string, { label: string }>();
    for (const { data } of files) for (const [code, d] of Object.entries(data.dispositions ?? {})) dispositions.set(code, { label: d.label });
    if (dispositions.size === 0) {
      for (const { src, data } of files) for (const [id, q] of Object.entries(data.queues ?? {})) if (q.requireDisposition) check.at(src, ['queues', id, 'requireDisposition'], 'requires dispositions, but no disposition codes are defined (dispositions:)');
    }
    return { skills, languages, pauseReasons, agents, queues, teams, dispositions, sounds, assistFlows };
  },
};

/** Agents whose skills and languages are all in the catalogs (the others are reported). */
function buildAgents(files: readonly AcdFile[], check: Checker, skills: ReadonlySet<string>, languages: ReadonlySet<string>): Map<string, AgentProfile> {
  const agents = new Map<string, AgentProfile>();
  for (const { src, data } of files) {
    for (const [id, a] of Object.entries(data.agents ?? {})) {
      const base = ['agents', id] as const;
      let ok = true;
      for (const skill of Object.keys(a.skills)) {
        if (!skills.has(skill)) {
          check.at(src, [...base, 'skills', skill], notInCatalog('skill', skill, skills), true);
          ok = false;
        }
      }
      a.languages.forEach((lang, i) => {
        if (!languages.has(lang)) {
          check.at(src, [...base, 'languages', i], notInCatalog('language', lang, languages));
          ok = false;
        }
      });
      if (!ok) continue;
      agents.set(id, {
        id,
        name: a.name ?? id,
        endpoint: a.endpoint,
        skills: { ...a.skills },
        languages: [...new Set(a.languages)],
        ...(a.wrapUp !== undefined ? { wrapUpS: a.wrapUp } : {}),
        ...(a.maxMissedOffers !== undefined ? { maxMissedOffers: a.maxMissedOffers } : {}),
        autoLogin: a.autoLogin,
        ...(a.remote ? { remote: { trunk: a.remote.trunk, numberPattern: a.remote.numberPattern } } : {}),
        ...(a.outbound ? { outbound: { trunk: a.outbound.trunk, numberPattern: a.outbound.numberPattern, callerId: a.outbound.callerId } } : {}),
      });
    }
  }
  return agents;
}

/** Teams whose agents all exist (an unknown agent is reported where it is named). */
function buildTeams(files: readonly AcdFile[], check: Checker, agents: ReadonlyMap<string, AgentProfile>): Map<string, Team> {
  const teams = new Map<string, Team>();
  for (const { src, data } of files) {
    for (const [id, t] of Object.entries(data.teams ?? {})) {
      let ok = true;
      t.agents.forEach((agent, i) => {
        if (!agents.has(agent)) {
          check.at(src, ['teams', id, 'agents', i], `no agent "${agent}"`);
          ok = false;
        }
      });
      if (ok) teams.set(id, { id, name: t.name ?? id, agents: [...new Set(t.agents)] });
    }
  }
  return teams;
}
