// The ACD's vocabulary, shared by the pure core, the stores and the configuration.
// Times are epoch milliseconds from the injected clock; durations in configuration are seconds.
import type { CallbackSettings } from '../../callbacks/domain';

/** A compiled requirement expression: evaluates against one agent for one call. */
export interface Requirement {
  /** Source text, for logs and errors. */
  readonly source: string;
  /** Skills the expression reads (for indexing candidates and validation). */
  readonly skills: readonly string[];
  test(agent: AgentProfile, call: CallAttributes): boolean;
}

export type CallAttributes = Readonly<Record<string, string | number | boolean>> & { readonly language?: string };

/** ring-all: every eligible free agent is rung at once; the first to answer takes the call. */
export type Strategy = 'longest-idle' | 'most-skilled' | 'fewest-calls' | 'least-talk-time' | 'round-robin' | 'random' | 'ring-all';

export interface AgentProfile {
  readonly id: string;
  readonly name: string;
  /** Asterisk endpoint, from configuration only (e.g. "PJSIP/agent1"). Never from caller input. */
  readonly endpoint: string;
  /** Skill name → proficiency 1..10. */
  readonly skills: Readonly<Record<string, number>>;
  readonly languages: readonly string[];
  readonly wrapUpS?: number;
  readonly maxMissedOffers?: number;
  /** Logged in when the phone registers, out when the registration ends (demo). */
  readonly autoLogin: boolean;
  /** The agent may place calls of their own through this trunk, to numbers matching the pattern, showing this caller id. */
  readonly outbound?: { readonly trunk: string; readonly numberPattern: string; readonly callerId: string };
  /** The agent may log in at an external number instead of the SIP phone: rung as PJSIP/<number>@<trunk>, the number matching the pattern. */
  readonly remote?: { readonly trunk: string; readonly numberPattern: string };
}

/** One relaxation step: from `afterS` seconds of waiting, either a new requirement or an overflow. */
export type QueueStep = { readonly afterS: number; readonly requirement: Requirement } | { readonly afterS: number; readonly overflowTo: string };

export type QueueExit =
  | { readonly kind: 'hangup'; readonly prompt?: string }
  | { readonly kind: 'queue'; readonly queue: string }
  /** Filled by the callback and voicemail work: the call leaves the queue with this hook's name. */
  | { readonly kind: 'hook'; readonly hook: string };

export interface Announcements {
  readonly position: boolean;
  readonly estimatedWait: boolean;
  /** Only announce the position when it improved since the last announcement. */
  readonly positionOnlyWhenImproved: boolean;
  readonly firstAfterS: number;
  readonly everyS: number;
  readonly periodicPrompt?: string;
}

export interface QueueConfig {
  readonly id: string;
  readonly name: string;
  /** steps[0].afterS === 0 and holds the base requirement; later steps relax it. */
  readonly steps: readonly QueueStep[];
  readonly strategy: Strategy;
  /** For most-skilled: the skill ranked (default: the first skill of the base requirement). */
  readonly rankSkill?: string;
  readonly ringTimeoutS: number;
  readonly wrapUpS: number;
  readonly serviceLevel: {
    readonly thresholdS: number;
    readonly targetPct: number;
    /** Statistics: a caller who hangs up within fewer seconds is a short abandon (5 when absent). */
    readonly shortAbandonS?: number;
    /** Statistics: the headline service-level formula (sl1 when absent; docs/statistics.md). */
    readonly formula?: 'sl1' | 'sl2' | 'sl3';
  };
  /** The caller's preferred agent (the flow's preferredAgent attribute, or their last agent) has the call first for `windowS`, when eligible and free. */
  readonly preferredAgent?: { readonly windowS: number; readonly lastAgent: boolean };
  /** Statistics: a call from the same number this soon after a handled call is a repeat contact (72 h when absent). */
  readonly repeatWindowS?: number;
  readonly maxWaiting?: { readonly count: number; readonly exit: QueueExit };
  readonly maxWait?: { readonly seconds: number; readonly exit: QueueExit };
  /** When no logged-in agent could ever take the call (app_queue joinempty/leavewhenempty). */
  readonly whenNoAgents?: QueueExit;
  readonly musicClass: string;
  readonly announcements: Announcements;
  readonly maxMissedOffers: number;
  /** A flow the caller enters when the agent hangs up first (post-call survey). */
  readonly survey?: string;
  /** Flows an agent may send the connected caller to; the flow's end brings the caller back (a payment IVR). */
  readonly assistFlows?: readonly string[];
  /** Agents record each call's disposition before they leave wrap-up. */
  readonly requireDisposition?: boolean;
  /** The queue's connected calls are recorded (src/recordings). */
  readonly recording?: { readonly format: 'wav' | 'gsm' | 'ulaw' | 'alaw'; readonly retentionDays: number; readonly pauseOnHold?: boolean };
  /** Callbacks for this queue (src/callbacks). */
  readonly callback?: CallbackSettings;
}

export type AgentStatus = 'logged-out' | 'available' | 'reserved' | 'on-call' | 'wrap-up' | 'paused';

export interface AgentState {
  readonly id: string;
  readonly status: AgentStatus;
  /** When the agent entered this status. */
  readonly since: number;
  /** When the agent last became available after a call or a login (longest-idle). */
  readonly idleSince: number;
  readonly pauseReason?: string;
  /** The call offered to or handled by the agent (reserved, on-call, wrap-up). */
  readonly callId?: string;
  /** Consecutive missed offers (no answer, busy, reject). */
  readonly missed: number;
  readonly callsTaken: number;
  readonly talkTimeMs: number;
  /** Phone registered (endpoint online) and not busy with a call outside Switchboard. */
  readonly reachable: boolean;
  /** When the current wrap-up ends (wrap-up only). */
  readonly wrapUpUntil?: number;
  /** Logged in remotely at this number (the profile's `remote` trunk rings it); the SIP phone does not count meanwhile. */
  readonly remote?: string;
}

export interface QueueEntry {
  readonly callId: string;
  readonly queue: string;
  readonly priority: number;
  /** Kept across overflow and requeue after a missed offer, so the caller keeps their place. */
  readonly enqueuedAt: number;
  /** When the call entered its current queue (requirement steps count from here). */
  readonly queuedAt: number;
  readonly attributes: CallAttributes;
  /**
   * Only this agent may take the call until `until` (a callback's preferred agent, a transfer to
   * an agent), then anyone eligible. `anySkills`: the agent may take it whatever the queue requires
   * (a transfer names the agent, not a skill).
   */
  readonly keptFor?: { readonly agentId: string; readonly until: number; readonly anySkills?: boolean };
  /** Agents who transferred the call away: it is not offered to them again. */
  readonly passedOnBy?: readonly string[];
}

/** A duration in whole seconds, as events and the queue_log report waits and talk times. */
export const seconds = (ms: number): number => Math.max(0, Math.round(ms / 1000));
