// Routing files: the composition of the loader (src/platform/config/loader.ts) and the sections
// each feature owns: the ACD's catalogs, pause reasons, agents and queues; the call flow's numbers;
// the IVR's schedules, caller lists, lookups, destinations and flows; then the sounds check over
// every prompt they name. Every problem names the file, line, column and field path.
import { acdSection, type PauseReason, type Team } from '../acd';
import { numberFlow, numberFlowId, numbersSection, transferFlow, transferFlowId, type NumberRouteConfig } from '../calls';
import { ivrSection } from '../ivr';
import { folderLoader } from '../platform/config/loader';
import type { ApiKeyEntry } from '../platform/http/auth';
import { apiKeysSection } from '../platform/http/keys-section';
import { soundsSection } from '../platform/config/sounds';
import { supervisorsSection, type SupervisorPhone } from '../monitor/config';
import { webhooksSection, type Webhook } from '../webhooks';
import type { AgentProfile, QueueConfig } from '../acd/domain';
import type { Destination, Flow, Lookup, Schedule } from '../ivr/domain';

export { ConfigError, formatProblem, type ConfigProblem } from '../platform/config/problems';
export { regexErrorOffset } from '../ivr';
export { BUILTIN_PAUSE_REASONS, type PauseReason } from '../acd';
export type { NumberRouteConfig } from '../calls';

export interface RoutingConfig {
  numbers: ReadonlyMap<string, NumberRouteConfig>;
  skills: ReadonlySet<string>;
  languages: ReadonlySet<string>;
  /** Always holds the built-in "no-answer". */
  pauseReasons: ReadonlyMap<string, PauseReason>;
  agents: ReadonlyMap<string, AgentProfile>;
  queues: ReadonlyMap<string, QueueConfig>;
  /** The flows of the files, and one per number with a greeting (number-flow.ts): every call runs a flow. */
  flows: ReadonlyMap<string, Flow>;
  lookups: ReadonlyMap<string, Lookup>;
  destinations: ReadonlyMap<string, Destination>;
  /** List name → caller numbers as they arrive. */
  callerLists: ReadonlyMap<string, ReadonlySet<string>>;
  schedules: ReadonlyMap<string, Schedule>;
  teams: ReadonlyMap<string, Team>;
  /** Disposition code → label (agents choose one at wrap-up). */
  dispositions: ReadonlyMap<string, { label: string }>;
  /** API keys of the routing files (hashed). */
  apiKeys: readonly ApiKeyEntry[];
  /** Where events are POSTed (src/webhooks, docs/webhooks.md). */
  webhooks: ReadonlyMap<string, Webhook>;
  /** Supervisors' phones, rung for monitoring sessions (src/monitor). */
  supervisors: ReadonlyMap<string, SupervisorPhone>;
  files: string[];
}

export interface LoadOptions {
  /**
   * Asterisk's sounds folder; when given and present, every prompt must exist in its "en" folder
   * (flow prompts: in the folder of each language the call may have there, or in "en").
   */
  soundsDir?: string;
  /** Where the webhooks' secretEnv variables are looked up (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
}

// The sections, in the order of a file's keys (and of the JSON Schema).
const routing = folderLoader([acdSection, numbersSection, ivrSection, apiKeysSection, webhooksSection, supervisorsSection, soundsSection], {
  title: 'Switchboard routing file',
  description: 'One file of a Switchboard routing folder (all *.yaml files are merged).',
});

/** One routing file's format (also published as JSON Schema: src/config/json-schema.ts, schema/routing.schema.json). */
export const RoutingFileSchema = routing.schema;

/** The flow a call to `number` runs. */
export function flowOfNumber(number: string, route: NumberRouteConfig): string {
  return route.flow ?? numberFlowId(number);
}

/** Reads every routing file of `dir` and checks them together; throws ConfigError with every problem. */
export function loadRoutingDir(dir: string, options: LoadOptions = {}): Promise<RoutingConfig> {
  return routing.load(dir, async (run, files) => {
    const acd = await run(acdSection, undefined);
    const ivr = await run(ivrSection, { languages: acd.languages, assistFlows: acd.assistFlows });
    const calls = await run(numbersSection, { languages: acd.languages });
    const apiKeys = await run(apiKeysSection, { agents: new Set(acd.agents.keys()), teams: new Set(acd.teams.keys()) });
    const hooks = await run(webhooksSection, { env: options.env ?? process.env });
    const { supervisors } = await run(supervisorsSection, undefined);
    await run(soundsSection, { uses: [...acd.sounds, ...ivr.sounds, ...calls.sounds], soundsDir: options.soundsDir });
    const flows = new Map(ivr.flows);
    for (const [number, route] of calls.numbers) if (!route.flow) flows.set(numberFlowId(number), numberFlow(number, route));
    for (const id of ivr.destinations.keys()) flows.set(transferFlowId(id), transferFlow(id));
    return {
      numbers: calls.numbers,
      skills: acd.skills,
      languages: acd.languages,
      pauseReasons: acd.pauseReasons,
      agents: acd.agents,
      queues: acd.queues,
      flows,
      lookups: ivr.lookups,
      destinations: ivr.destinations,
      callerLists: ivr.callerLists,
      schedules: ivr.schedules,
      teams: acd.teams,
      dispositions: acd.dispositions,
      apiKeys,
      webhooks: hooks.webhooks,
      supervisors,
      files: [...files],
    };
  });
}
