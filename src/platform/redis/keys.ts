// Every Redis key name Switchboard uses, in one place.
export class Keys {
  constructor(private readonly prefix: string) {}
  call(callId: string): string {
    return `${this.prefix}:call:${callId}`;
  }
  /** Set of calls in progress on this Asterisk application. */
  activeCalls(app: string): string {
    return `${this.prefix}:calls:active:${app}`;
  }
  journal(): string {
    return `${this.prefix}:journal`;
  }
  /** Identity (entity id + start-up time) of the Asterisk last seen behind an application. */
  asteriskIdentity(app: string): string {
    return `${this.prefix}:asterisk:${app}:identity`;
  }

  /** Which Switchboard instance last claimed the ARI application (with a TTL, refreshed while it holds it). */
  ariClaim(app: string): string {
    return `${this.prefix}:asterisk:${app}:claim`;
  }

  // ---- ACD (src/acd/store/acd-store.ts). Documents are versioned JSON strings. ----
  /** Agent state document. */
  acdAgent(agentId: string): string {
    return `${this.prefix}:acd:agent:${agentId}`;
  }
  /** SET of every agent id that has a state document. */
  acdAgents(): string {
    return `${this.prefix}:acd:agents`;
  }
  /** The change feed of a family of ACD documents (see scripts/commit.lua): HASH {seq, epoch,
   *  floor}, ZSET of ids by the count of their last write or delete, ZSET of deleted ids. */
  acdFeed(family: 'agents' | 'entries'): { hash: string; changed: string; gone: string } {
    const base = `${this.prefix}:acd:${family}:feed`;
    return { hash: base, changed: `${base}:changed`, gone: `${base}:gone` };
  }
  /** Queue entry document (a call in the ACD, waiting or offered). */
  acdEntry(callId: string): string {
    return `${this.prefix}:acd:entry:${callId}`;
  }
  /** ZSET of the call ids waiting in a queue, scored by enqueuedAt. */
  acdQueueWaiting(queue: string): string {
    return `${this.prefix}:acd:queue:${queue}:waiting`;
  }
  /** SET of the queue ids that have (or had) a waiting ZSET. */
  acdQueues(): string {
    return `${this.prefix}:acd:queues`;
  }
  /** ZSET of reservation leases: member agent id, score lease expiry (epoch ms). */
  leases(): string {
    return `${this.prefix}:leases`;
  }
  timers(): string {
    return `${this.prefix}:timers`;
  }
  timerPayloads(): string {
    return `${this.prefix}:timer-payloads`;
  }
  /** Stream of queue_log lines (the same lines as the queue_log file). */
  queueLog(): string {
    return `${this.prefix}:queue_log`;
  }
  // ---- callbacks (src/callbacks/store.ts) ----
  /** A callback's record (versioned JSON). */
  callback(id: string): string {
    return `${this.prefix}:cb:${id}`;
  }
  /** The pending callback of a number in a queue (its id): one at a time. */
  callbackOpen(queue: string, number: string): string {
    return `${this.prefix}:cb:open:${queue}:${number}`;
  }
  /** ZSET of callback ids by the time they were requested. */
  callbacks(): string {
    return `${this.prefix}:cb:all`;
  }
  /** BullMQ's prefix for the callbacks' jobs (its keys are <prefix>:<queue>:…). */
  bullPrefix(): string {
    return `${this.prefix}:bull`;
  }
  /** Voicemail metadata (the audio is in Asterisk's recording folder as <id>.wav). */
  voicemail(id: string): string {
    return `${this.prefix}:voicemail:${id}`;
  }
  /** ZSET of voicemail ids by time left. */
  voicemails(): string {
    return `${this.prefix}:voicemails`;
  }
  // ---- statistics (src/stats/store.ts). Counters carry the generation a rebuild bumps. ----
  /** HASH {gen, id (last journal id applied), n (events applied in this generation), state (projector JSON)}. */
  statsCursor(): string {
    return `${this.prefix}:stats:cursor`;
  }
  /** HASH of one day's counters of a queue or agent: fields `<slot>:<metric>`. */
  statsDay(gen: number, scope: 'queue' | 'agent', date: string, id: string): string {
    return `${this.statsGeneration(gen)}${scope}:${date}:${id}`;
  }
  /** SET of the queue or agent ids that have counters on a date. */
  statsIndex(gen: number, scope: 'queue' | 'agent', date: string): string {
    return `${this.statsGeneration(gen)}idx:${scope}:${date}`;
  }
  /** Start of every key of one generation's counters and indexes. */
  statsGeneration(gen: number): string {
    return `${this.prefix}:stats:g${gen}:`;
  }
  /** SCAN pattern of every generation's counters and indexes. */
  statsCountersPattern(): string {
    return `${this.prefix}:stats:g*`;
  }
  // ---- agents' own calls (src/outbound) ----
  /** An agent's own call in progress (JSON). */
  outboundCall(id: string): string {
    return `${this.prefix}:ob:${id}`;
  }
  // ---- contact history (src/contacts/store.ts) ----
  /** A call's contact record (JSON). */
  contact(callId: string): string {
    return `${this.prefix}:contact:${callId}`;
  }
  /** LIST of a caller number's calls, newest first. */
  contactsOf(callerId: string): string {
    return `${this.prefix}:contacts:${callerId}`;
  }
  // ---- call recordings (src/recordings/store.ts) ----
  /** A recording's metadata (JSON). */
  recording(id: string): string {
    return `${this.prefix}:rec:${id}`;
  }
  /** ZSET of recording ids by start time. */
  recordings(): string {
    return `${this.prefix}:rec:all`;
  }
  /** ZSET of recording ids by when they expire (retention). */
  recordingExpiry(): string {
    return `${this.prefix}:rec:expiry`;
  }
  /** The recording running on a call (its id). */
  recordingOfCall(callId: string): string {
    return `${this.prefix}:rec:call:${callId}`;
  }
  // ---- monitoring sessions (src/monitor/store.ts) ----
  /** A session's document (JSON). */
  monitorSession(sessionId: string): string {
    return `${this.prefix}:mon:${sessionId}`;
  }
  /** Which session a supervisor's phone is in (one at a time). */
  monitorPhone(supervisor: string): string {
    return `${this.prefix}:mon:phone:${supervisor}`;
  }
  /** SET of the sessions on a call. */
  monitorsOfCall(callId: string): string {
    return `${this.prefix}:mon:call:${callId}`;
  }
  /** SET of every session. */
  monitors(): string {
    return `${this.prefix}:mon:all`;
  }
  // ---- dispositions (src/dispositions/store.ts) ----
  /** A connected call's queue and agent, for its disposition. */
  dispositionCall(callId: string): string {
    return `${this.prefix}:disp:call:${callId}`;
  }
  /** A call's disposition. */
  disposition(callId: string): string {
    return `${this.prefix}:disp:${callId}`;
  }
}
