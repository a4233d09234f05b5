// One step of a flow from the routing files, compiled to the engine's Step: step references must
// name steps of the flow, other references (queues, lookups, schedules…) defined names, patterns
// must compile; prompts, sensitive variables and their uses are gathered for the checks that look
// across steps and flows (flow-graph.ts, the sounds check).
import { didYouMean } from '../../acd/domain';
import { notInCatalog } from '../../platform/config/fields';
import type { Checker } from '../../platform/config/loader';
import type { Path, YamlFile } from '../../platform/config/yaml-positions';
import type { Condition, Digit, Step } from '../domain/model';
import type { ParsedCondition, ParsedStep } from './schema';

export interface Edge {
  to: string;
  path: Path;
}

/** What the steps of all flows name, gathered while they are compiled. */
export interface FlowFindings {
  /** Prompts, each with the step that plays it (`flow\0step`). */
  prompts: { src: YamlFile; path: Path; name: string; step: string }[];
  /** Variables collected as sensitive → where (the first such collect). */
  sensitiveVars: Map<string, string>;
  /** Where variables are sent (lookups) or tested (branches). */
  varUses: { src: YamlFile; path: Path; name: string; use: 'send' | 'test' }[];
}

/** One step being compiled: its flow, its name, and where what it finds goes. */
export interface StepScope {
  check: Checker;
  src: YamlFile;
  flow: string;
  name: string;
  /** Every step the flow's file names, also one that failed validation. */
  stepNames: ReadonlySet<string>;
  /** The languages catalog (flows may name any language when it is empty). */
  languages: ReadonlySet<string>;
  found: FlowFindings;
  /** The step references this step makes (to steps that exist). */
  edges: Edge[];
}

/** Keys whose names steps refer to, and what one of their entries is called. */
const REFERENCE_NOUN = { queues: 'queue', lookups: 'lookup', destinations: 'destination', schedules: 'schedule', callerLists: 'caller list', flows: 'flow' } as const;

/** The step; undefined only if it has no kind (the schema requires one). */
export function compileStep(x: StepScope, s: ParsedStep, sp: Path): Step | undefined {
  if (s.play !== undefined) return { kind: 'play', prompts: promptsAt(x, [...sp, 'play'], s.play), next: edge(x, [...sp, 'next'], s.next!) };
  if (s.menu !== undefined) return menuStep(x, s.menu, [...sp, 'menu']);
  if (s.collect !== undefined) return collectStep(x, s.collect, s.next!, sp);
  if (s.lookup !== undefined) {
    refTo(x, [...sp, 'lookup'], 'lookups', s.lookup);
    const send = s.send ?? [];
    send.forEach((v, i) => x.found.varUses.push({ src: x.src, path: [...sp, 'send', i], name: v, use: 'send' }));
    return { kind: 'lookup', lookup: s.lookup, send: [...send], fields: { ...(s.fields ?? {}) }, next: edge(x, [...sp, 'next'], s.next!), onFailure: edge(x, [...sp, 'onFailure'], s.onFailure!) };
  }
  if (s.branch !== undefined) return branchStep(x, s.branch, s.else!, sp);
  if (s.set !== undefined) return setStep(x, s.set, s.next!, sp);
  if (s.queue !== undefined) {
    refTo(x, [...sp, 'queue'], 'queues', s.queue);
    return { kind: 'queue', queue: s.queue, ...(s.priority !== undefined ? { priority: s.priority } : {}) };
  }
  if (s.transfer !== undefined) {
    refTo(x, [...sp, 'transfer'], 'flows', s.transfer);
    return { kind: 'transfer', flow: s.transfer };
  }
  if (s.dial !== undefined) {
    refTo(x, [...sp, 'dial'], 'destinations', s.dial);
    return { kind: 'dial', destination: s.dial, onFailure: edge(x, [...sp, 'onFailure'], s.onFailure!) };
  }
  if (s.voicemail !== undefined) {
    const v = s.voicemail;
    return { kind: 'voicemail', prompts: promptsAt(x, [...sp, 'voicemail', 'prompt'], v.prompt), mailbox: v.mailbox, maxSeconds: v.maxSeconds, silenceSeconds: v.silenceSeconds };
  }
  if (s.hangup !== undefined) return { kind: 'hangup', prompts: promptsAt(x, [...sp, 'hangup', 'prompt'], s.hangup?.prompt ?? []) };
  if (s.goto !== undefined) return { kind: 'goto', next: edge(x, [...sp, 'goto'], s.goto) };
  return undefined;
}

function menuStep(x: StepScope, m: NonNullable<ParsedStep['menu']>, mp: Path): Step {
  const options: Partial<Record<Digit, string>> = {};
  for (const [key, to] of Object.entries(m.options)) options[key as Digit] = edge(x, [...mp, 'options', key], to);
  if (Object.keys(m.options).length === 0) x.check.at(x.src, [...mp, 'options'], 'a menu needs at least one option');
  return {
    kind: 'menu',
    prompts: promptsAt(x, [...mp, 'prompt'], m.prompt),
    options,
    timeoutS: m.timeout,
    retries: m.retries,
    invalidPrompts: promptsAt(x, [...mp, 'invalid'], m.invalid),
    noInputPrompts: promptsAt(x, [...mp, 'noInput'], m.noInput),
    onFail: edge(x, [...mp, 'onFail'], m.onFail),
  };
}

function collectStep(x: StepScope, c: NonNullable<ParsedStep['collect']>, next: string, sp: Path): Step {
  const cp = [...sp, 'collect'] as const;
  if (c.min > c.max) x.check.at(x.src, [...cp, 'min'], `min (${c.min}) is more than max (${c.max})`);
  if (c.pattern !== undefined) checkPattern(x, [...cp, 'pattern'], c.pattern, true);
  if (c.last4 && !c.sensitive) x.check.at(x.src, [...cp, 'last4'], 'last4 only applies to a sensitive collect (the variable holds every digit otherwise)');
  if (c.sensitive && !x.found.sensitiveVars.has(c.variable)) x.found.sensitiveVars.set(c.variable, `step "${x.name}" of flow "${x.flow}"`);
  return {
    kind: 'collect',
    prompts: promptsAt(x, [...cp, 'prompt'], c.prompt),
    variable: c.variable,
    minDigits: c.min,
    maxDigits: c.max,
    ...(c.terminator !== undefined ? { terminator: c.terminator } : {}),
    timeoutS: c.timeout,
    interDigitTimeoutS: c.interDigitTimeout,
    ...(c.pattern !== undefined ? { pattern: c.pattern } : {}),
    sensitive: c.sensitive,
    derive: { last4: c.last4 },
    next: edge(x, [...sp, 'next'], next),
    retries: c.retries,
    invalidPrompts: promptsAt(x, [...cp, 'invalid'], c.invalid),
    noInputPrompts: promptsAt(x, [...cp, 'noInput'], c.noInput),
    onFail: edge(x, [...cp, 'onFail'], c.onFail),
  };
}

function branchStep(x: StepScope, rules: NonNullable<ParsedStep['branch']>, otherwise: string, sp: Path): Step {
  const when = rules.map((rule, i) => {
    const rp = [...sp, 'branch', i] as const;
    const condition = toCondition(rule.if);
    if (condition.kind === 'schedule') refTo(x, [...rp, 'if', 'schedule'], 'schedules', condition.schedule);
    else if (condition.kind === 'callerIn') refTo(x, [...rp, 'if', 'callerIn'], 'callerLists', condition.list);
    else {
      x.found.varUses.push({ src: x.src, path: [...rp, 'if', 'var'], name: condition.name, use: 'test' });
      if (condition.matches !== undefined) checkPattern(x, [...rp, 'if', 'matches'], condition.matches, false);
    }
    return { condition, next: edge(x, [...rp, 'then'], rule.then) };
  });
  return { kind: 'branch', when, otherwise: edge(x, [...sp, 'else'], otherwise) };
}

function setStep(x: StepScope, st: NonNullable<ParsedStep['set']>, next: string, sp: Path): Step {
  if (st.language !== undefined) catalogLanguage(x, [...sp, 'set', 'language'], st.language);
  // The queue step sends the call's language as call.language: set it with set.language.
  if ('language' in st.attributes) x.check.at(x.src, [...sp, 'set', 'attributes', 'language'], 'the call\'s language is set with set.language, not as an attribute');
  return {
    kind: 'set',
    ...(st.language !== undefined ? { language: st.language } : {}),
    ...(st.languageFrom !== undefined ? { languageFrom: st.languageFrom } : {}),
    vars: { ...st.vars },
    ...(st.priority !== undefined ? { priority: st.priority } : {}),
    attributes: { ...st.attributes },
    next: edge(x, [...sp, 'next'], next),
  };
}

/** A reference to another step of the flow: recorded when the step exists, else reported. */
function edge(x: StepScope, p: Path, to: string): string {
  if (x.stepNames.has(to)) x.edges.push({ to, path: p });
  else unknownStep(x.check, x.src, x.flow, x.stepNames, p, to);
  return to;
}

export function unknownStep(check: Checker, src: YamlFile, flow: string, stepNames: ReadonlySet<string>, p: Path, to: string): void {
  check.at(src, p, `unknown step "${to}" in flow "${flow}"${didYouMean(to, stepNames)}`);
}

function promptsAt(x: StepScope, p: Path, names: readonly string[]): string[] {
  names.forEach((n, i) => x.found.prompts.push({ src: x.src, path: [...p, i], name: n, step: `${x.flow}\0${x.name}` }));
  return [...names];
}

function refTo(x: StepScope, p: Path, key: keyof typeof REFERENCE_NOUN, ref: string): void {
  const names = x.check.defined(key);
  if (!names.has(ref)) x.check.at(x.src, p, `unknown ${REFERENCE_NOUN[key]} "${ref}"${didYouMean(ref, names.keys())}`);
}

/** Flows may name a language when no catalog is defined; with one, it must be in it. */
export function catalogLanguage(x: Pick<StepScope, 'check' | 'src' | 'languages'>, p: Path, lang: string): void {
  if (x.languages.size > 0 && !x.languages.has(lang)) x.check.at(x.src, p, notInCatalog('language', lang, x.languages));
}

function checkPattern(x: StepScope, p: Path, pattern: string, wrap: boolean): void {
  try {
    new RegExp(pattern);
    if (wrap) new RegExp(`^(?:${pattern})$`);
  } catch (err) {
    const k = regexErrorOffset(pattern);
    const detail = (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    const where = k >= pattern.length ? 'at the end' : `at character ${k + 1}`;
    x.check.atCharacter(x.src, p, k, `invalid pattern: ${detail} (in "${pattern}" ${where})`);
  }
}

function toCondition(c: ParsedCondition): Condition {
  if (c.schedule !== undefined) return { kind: 'schedule', schedule: c.schedule, is: c.is ?? 'open' };
  if (c.callerIn !== undefined) return { kind: 'callerIn', list: c.callerIn };
  return {
    kind: 'var',
    name: c.var ?? '',
    ...(c.equals !== undefined ? { equals: c.equals } : {}),
    ...(c.matches !== undefined ? { matches: c.matches } : {}),
    ...(c.exists !== undefined ? { exists: c.exists } : {}),
  };
}

/**
 * Where a regular expression goes wrong, as a character offset: the longest prefix that can still
 * be completed (by closing open groups and classes) ends where the problem is; the length of the
 * pattern means "at the end" (something left open).
 */
export function regexErrorOffset(pattern: string): number {
  for (let k = pattern.length; k > 0; k--) if (completable(pattern.slice(0, k))) return k;
  return 0;
}

function completable(prefix: string): boolean {
  let open = 0;
  let inClass = false;
  for (let i = 0; i < prefix.length; i++) {
    const ch = prefix[i];
    if (ch === '\\') {
      if (i === prefix.length - 1) return false;
      i++;
    } else if (inClass) {
      if (ch === ']') inClass = false;
    } else if (ch === '[') inClass = true;
    else if (ch === '(') open++;
    else if (ch === ')') open--;
  }
  try {
    new RegExp(prefix + (inClass ? ']' : '') + ')'.repeat(Math.max(0, open)));
    return true;
  } catch {
    return false;
  }
}
