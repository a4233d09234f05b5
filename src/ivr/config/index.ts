// The IVR's part of the routing files: schedules, caller lists, lookups, destinations and flows.
import type { Checker, Section } from '../../platform/config/loader';
import type { Path, YamlFile } from '../../platform/config/yaml-positions';
import { DEFAULT_SOUND_LANGUAGE, type SoundUse } from '../../platform/config/sounds';
import type { Destination, Flow, Lookup } from '../domain/model';
import type { Schedule } from '../domain/schedule';
import { checkInstantLoops, checkReachable, checkSensitiveUses, stepLanguages } from './flow-graph';
import { compileFlows, type CompiledFlows } from './flows';
import { buildSchedules } from './schedules';
import { IVR_KEYS } from './schema';

export { regexErrorOffset } from './flow-steps';
export {
  CallerListSchema,
  CollectSchema,
  ConditionSchema,
  DestinationSchema,
  FlowSchema,
  HangupSchema,
  LookupSchema,
  MenuSchema,
  ScheduleSchema,
  SetSchema,
  STEP_KINDS,
  StepSchema,
  VoicemailSchema,
} from './schema';

export interface IvrConfig {
  flows: ReadonlyMap<string, Flow>;
  lookups: ReadonlyMap<string, Lookup>;
  destinations: ReadonlyMap<string, Destination>;
  /** List name → caller numbers as they arrive. */
  callerLists: ReadonlyMap<string, ReadonlySet<string>>;
  schedules: ReadonlyMap<string, Schedule>;
  /** The prompts the flows name, each with the languages the call may have there, for the sounds check. */
  sounds: SoundUse[];
}

/** Flows other sections name for a purpose that limits their steps, and where. */
export interface IvrNeeds {
  languages: ReadonlySet<string>;
  /** Flows a queue lets agents send callers to and get them back from (checkAssistFlows). */
  assistFlows?: ReadonlyArray<{ src: YamlFile; path: Path; flow: string }>;
}

/** Flows need the languages catalog (a flow's language must be in it when there is one); other names are checked as defined anywhere. */
export const ivrSection: Section<typeof IVR_KEYS, IvrNeeds, IvrConfig> = {
  keys: IVR_KEYS,
  build(files, check, { languages, assistFlows }) {
    const schedules = buildSchedules(files, check);
    const callerLists = new Map<string, ReadonlySet<string>>();
    for (const { data } of files) for (const [id, list] of Object.entries(data.callerLists ?? {})) callerLists.set(id, new Set(list));
    const lookups = new Map<string, Lookup>();
    const destinations = new Map<string, Destination>();
    for (const { data } of files) {
      for (const [id, l] of Object.entries(data.lookups ?? {})) lookups.set(id, { id, url: l.url, method: l.method, timeoutS: l.timeout });
      for (const [id, d] of Object.entries(data.destinations ?? {})) destinations.set(id, { id, endpoint: d.endpoint, timeoutS: d.timeout });
    }
    const compiled = compileFlows(files, check, languages);
    checkSensitiveUses(compiled.found, check);
    checkReachable(compiled.drafts, check);
    checkInstantLoops(compiled.drafts, check);
    for (const use of assistFlows ?? []) checkAssistFlow(use, compiled.flows.get(use.flow), check);
    return { flows: compiled.flows, lookups, destinations, callerLists, schedules, sounds: flowSounds(compiled) };
  },
};

/** Steps that take the caller somewhere else: an assist flow has none, so its end can give the caller back to the agent. */
const LEAVES_THE_CALL = new Set(['queue', 'transfer', 'dial', 'voicemail']);

function checkAssistFlow(use: { src: YamlFile; path: Path; flow: string }, flow: Flow | undefined, check: Checker): void {
  for (const [id, step] of flow?.steps ?? []) {
    if (LEAVES_THE_CALL.has(step.kind)) check.at(use.src, use.path, `flow "${use.flow}" cannot be an assist flow: its step "${id}" is a ${step.kind} step (an assist flow plays, asks, collects, looks up and sets; its end returns the caller to the agent)`);
  }
}

/** Each flow prompt with the languages the call may have at its step (the flow's when the start does not reach it). */
function flowSounds({ drafts, found }: CompiledFlows): SoundUse[] {
  const langsAt = stepLanguages(drafts);
  return found.prompts.map(({ src, path, name, step }) => {
    const languages = langsAt.get(step) ?? [drafts.get(step.split('\0')[0]!)?.language ?? DEFAULT_SOUND_LANGUAGE];
    return { src, path, name, languages: [...languages] };
  });
}
