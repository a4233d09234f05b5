// Flows from the routing files: each step compiled (flow-steps.ts), the flow kept as a draft with
// the step references each step makes, for the checks across steps and flows (flow-graph.ts).
import type { Checker } from '../../platform/config/loader';
import { isPlainObject, valueAt, type YamlFile } from '../../platform/config/yaml-positions';
import type { Flow, Step } from '../domain/model';
import { catalogLanguage, compileStep, unknownStep, type Edge, type FlowFindings } from './flow-steps';
import type { IvrFile } from './schema';

/** A flow while it is checked: its compiled steps and the step references each one makes. */
export interface FlowDraft {
  src: YamlFile;
  id: string;
  start: string;
  language: string;
  /** Some step failed validation or a reference is broken: graph checks would only add noise. */
  partial: boolean;
  steps: Map<string, Step>;
  edges: Map<string, Edge[]>;
}

export interface CompiledFlows {
  flows: Map<string, Flow>;
  drafts: Map<string, FlowDraft>;
  found: FlowFindings;
}

export function compileFlows(files: readonly IvrFile[], check: Checker, languages: ReadonlySet<string>): CompiledFlows {
  const flows = new Map<string, Flow>();
  const drafts = new Map<string, FlowDraft>();
  const found: FlowFindings = { prompts: [], sensitiveVars: new Map(), varUses: [] };
  for (const { src, data } of files) {
    for (const [id, f] of Object.entries(data.flows ?? {})) {
      const base = ['flows', id] as const;
      // Every step the file names counts as defined, also one that failed validation (reported
      // already): references to it are not reported again.
      const rawSteps = valueAt(src.raw, [...base, 'steps']);
      const stepNames = new Set(isPlainObject(rawSteps) ? Object.keys(rawSteps) : Object.keys(f.steps));
      const partial = [...stepNames].some((n) => !(n in f.steps));
      const draft: FlowDraft = { src, id, start: f.start, language: f.language, partial, steps: new Map(), edges: new Map() };
      drafts.set(id, draft);
      if (!stepNames.has(f.start)) unknownStep(check, src, id, stepNames, [...base, 'start'], f.start);
      catalogLanguage({ check, src, languages }, [...base, 'language'], f.language);

      for (const [name, s] of Object.entries(f.steps)) {
        const edges: Edge[] = [];
        const step = compileStep({ check, src, flow: id, name, stepNames, languages, found, edges }, s, [...base, 'steps', name]);
        if (!step) continue; // cannot happen: the schema requires one kind
        draft.steps.set(name, step);
        draft.edges.set(name, edges);
      }
      if (!stepNames.has(f.start)) draft.partial = true;
      flows.set(id, { id, start: f.start, language: f.language, steps: draft.steps });
    }
  }
  return { flows, drafts, found };
}
