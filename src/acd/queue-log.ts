// Asterisk's queue_log, written from the events (a subscriber of the event seam), line for line as
// app_queue writes it, so QueueMetrics and Wazo-style parsers read Switchboard's history unchanged:
// epoch|callid|queue|agent|event|data1|data2|... (docs/acd.md has every line and where app_queue
// writes it; the layout follows main/logger.c: the "|" after the event is always there).
import { appendFile } from 'node:fs/promises';
import type { SwitchboardEvent } from '../events';
import type { AgentProfile } from './domain/model';

export type QueueLogEvent =
  | 'QUEUESTART'
  | 'CONFIGRELOAD'
  | 'ENTERQUEUE'
  | 'CONNECT'
  | 'COMPLETECALLER'
  | 'COMPLETEAGENT'
  | 'BLINDTRANSFER'
  | 'ATTENDEDTRANSFER'
  | 'ABANDON'
  | 'EXITWITHTIMEOUT'
  | 'EXITEMPTY'
  | 'EXITWITHKEY'
  | 'RINGNOANSWER'
  | 'RINGCANCELED'
  | 'SYSCOMPAT'
  | 'AGENTDUMP'
  | 'PAUSE'
  | 'UNPAUSE'
  | 'PAUSEALL'
  | 'UNPAUSEALL'
  | 'ADDMEMBER'
  | 'REMOVEMEMBER'
  // Switchboard's own (no app_queue equivalent): a callback's life around its queue entry's lines.
  | 'CALLBACKREQ'
  | 'CALLBACKCONNECT'
  | 'CALLBACKRETRY'
  | 'CALLBACKFAIL'
  | 'CALLBACKCANCEL';

export interface QueueLogLine {
  at: number;
  callId: string;
  queue: string;
  agent: string;
  event: QueueLogEvent;
  data: Array<string | number>;
}

/** One line; fields cannot contain "|" or newlines (replaced), as in Asterisk. */
export function formatQueueLog(l: QueueLogLine): string {
  const clean = (v: string | number) => String(v).replace(/[|\r\n]/g, '_');
  return `${[Math.floor(l.at / 1000), l.callId || 'NONE', l.queue || 'NONE', l.agent || 'NONE', l.event].map(clean).join('|')}|${l.data.map(clean).join('|')}`;
}

/**
 * The agent field: the agent's id (`id`, e.g. agent1), its endpoint (`endpoint`, e.g.
 * PJSIP/agent1), or a template with `{id}` (e.g. `Agent/{id}`), as the reporting tool expects.
 */
export function agentField(setting: string, profiles: () => ReadonlyMap<string, AgentProfile>): (agentId: string) => string {
  if (setting === 'endpoint') return (id) => profiles().get(id)?.endpoint ?? id;
  if (setting.includes('{id}')) return (id) => setting.replaceAll('{id}', id);
  return (id) => id;
}

/** The queue_log lines app_queue would write for this event (none for most events). */
export function queueLogLines(e: SwitchboardEvent, agent: (agentId: string) => string): QueueLogLine[] {
  const at = e.at;
  const call = (callId: string, queue: string, event: QueueLogEvent, data: Array<string | number>, who = 'NONE'): QueueLogLine => ({ at, callId, queue, agent: who, event, data });
  switch (e.type) {
    case 'service.started':
      return [call('NONE', 'NONE', 'QUEUESTART', [])];
    case 'config.reloaded':
      return [call('NONE', 'NONE', 'CONFIGRELOAD', [])];
    case 'queue.entered':
      return [call(e.callId, e.queue, 'ENTERQUEUE', ['', e.callerId, e.position])];
    case 'queue.refused':
      // app_queue writes nothing for a caller refused at the door (only QUEUESTATUS): written as an
      // entry and its exit, so every call is counted by standard parsers (docs/acd.md).
      return [call(e.callId, e.queue, 'ENTERQUEUE', ['', e.callerId, e.position]), call(e.callId, e.queue, e.reason === 'full' ? 'EXITWITHTIMEOUT' : 'EXITEMPTY', [e.position, e.position, 0])];
    case 'queue.ring-no-answer':
      return [call(e.callId, e.queue, 'RINGNOANSWER', [e.ringMs], agent(e.agentId))];
    case 'queue.ring-canceled':
      return [call(e.callId, e.queue, 'RINGCANCELED', [e.ringMs], agent(e.agentId))];
    case 'queue.ring-stopped':
      return []; // app_queue's ringall writes nothing for the phones another member's answer stopped
    case 'queue.connected':
      // After an attended transfer app_queue writes no second CONNECT: the ATTENDEDTRANSFER line says it.
      if (e.transferredFrom !== undefined) return [];
      return [call(e.callId, e.queue, 'CONNECT', [e.holdS, e.legId, e.ringS], agent(e.agentId))];
    case 'queue.connect-failed':
      // The agent hung up between answer and bridge: AGENTDUMP; the bridge could not be made:
      // SYSCOMPAT. The caller left meanwhile: the ABANDON that follows says so.
      if (e.why === 'caller-gone') return [];
      return [call(e.callId, e.queue, e.why === 'agent-gone' ? 'AGENTDUMP' : 'SYSCOMPAT', [], agent(e.agentId))];
    case 'queue.abandoned':
      return [call(e.callId, e.queue, 'ABANDON', [e.position, e.origPosition, e.waitS], e.answeredBy ? agent(e.answeredBy) : 'NONE')];
    case 'queue.exited':
      // A caller who asked for a callback left with a key, as app_queue writes it.
      if (e.reason === 'callback') return [call(e.callId, e.queue, 'EXITWITHKEY', [e.key ?? '', e.position, e.origPosition, e.waitS])];
      return [call(e.callId, e.queue, 'EXITWITHTIMEOUT', [e.position, e.origPosition, e.waitS])];
    case 'queue.completed':
      return [call(e.callId, e.queue, e.by === 'caller' ? 'COMPLETECALLER' : 'COMPLETEAGENT', [e.holdS, e.talkS, e.origPosition], agent(e.agentId))];
    case 'queue.transferred':
      // As app_queue writes them: BLINDTRANSFER|exten|context|holdtime|calltime|origpos, and
      // ATTENDEDTRANSFER|BRIDGE|bridge|holdtime|calltime|origpos; the "extension" is the target's
      // id and the "context" its kind (queue, agent, destination).
      if (e.mode === 'blind') return [call(e.callId, e.queue, 'BLINDTRANSFER', [e.target, e.to, e.holdS, e.talkS, e.origPosition], agent(e.agentId))];
      return [call(e.callId, e.queue, 'ATTENDEDTRANSFER', ['BRIDGE', `${e.to}:${e.target}`, e.holdS, e.talkS, e.origPosition], agent(e.agentId))];
    case 'agent.logged-in':
    case 'agent.logged-out': {
      const event = e.type === 'agent.logged-in' ? 'ADDMEMBER' : 'REMOVEMEMBER';
      // Member changes made from outside a call: app_queue writes MANAGER (AMI) as the call id.
      return e.queues.map((q) => call('MANAGER', q, event, [''], agent(e.agentId)));
    }
    case 'agent.paused':
    case 'agent.unpaused': {
      // Switchboard pauses an agent in every queue at once: app_queue's all-queues form, one
      // PAUSEALL/UNPAUSEALL then a line per queue. An unpause carries the reason given to the
      // unpause (none), not the pause's.
      const [all, each] = e.type === 'agent.paused' ? (['PAUSEALL', 'PAUSE'] as const) : (['UNPAUSEALL', 'UNPAUSE'] as const);
      const reason = e.type === 'agent.paused' ? e.reason : '';
      return [call('NONE', 'NONE', all, [reason], agent(e.agentId)), ...e.queues.map((q) => call('NONE', q, each, [reason], agent(e.agentId)))];
    }
    // A callback's entry has app_queue's lines (ENTERQUEUE … CONNECT … COMPLETE*, call id
    // cb-<id>); these say the rest, in the same layout, with verbs parsers skip when unknown.
    case 'callback.requested':
      return [call(`cb-${e.callbackId}`, e.queue, 'CALLBACKREQ', [e.number, Math.floor(e.dueAt / 1000), e.origin])];
    case 'callback.connected':
      return [call(e.callId, e.queue, 'CALLBACKCONNECT', [e.attempt], agent(e.agentId))];
    case 'callback.retry-scheduled':
      return [call(`cb-${e.callbackId}`, e.queue, 'CALLBACKRETRY', [e.reason, e.attempt, Math.floor(e.dueAt / 1000)])];
    case 'callback.failed':
      return [call(`cb-${e.callbackId}`, e.queue, 'CALLBACKFAIL', [e.reason, e.attempt])];
    case 'callback.cancelled':
      return [call(`cb-${e.callbackId}`, e.queue, 'CALLBACKCANCEL', [e.by])];
    default:
      return [];
  }
}

export class QueueLogFile {
  private chain: Promise<void> = Promise.resolve();
  constructor(private readonly file: string) {}

  /** Appends in call order; a failed write does not block the next ones. */
  append(line: QueueLogLine): Promise<void> {
    const text = `${formatQueueLog(line)}\n`;
    this.chain = this.chain.then(() => appendFile(this.file, text)).catch(() => undefined);
    return this.chain;
  }
}

/**
 * The subscriber: every line to each sink (the Redis stream, and the file when one is set). All
 * lines are issued at once, in order (each sink keeps the order it is given).
 */
export function queueLogWriter(sinks: Array<(line: QueueLogLine) => Promise<void>>, agent: (agentId: string) => string) {
  return async (event: SwitchboardEvent): Promise<void> => {
    await Promise.all(queueLogLines(event, agent).flatMap((line) => sinks.map((write) => write(line))));
  };
}
