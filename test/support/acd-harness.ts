// The ACD service on in-memory ports and a fake clock, for unit tests: the store, telephony,
// timers and the events it announces are fakes a test can read (with the queue_log lines the
// events make); advance() moves the clock and fires due timers.
import { Writable } from 'node:stream';
import pino from 'pino';
import { queueLogLines, type QueueLogLine } from '../../src/acd/queue-log';
import { AcdService, type AcdConfigView, type AcdDeps } from '../../src/acd/service/acd-service';
import { AcdOperations } from '../../src/acd/store/operations';
import { EVENT_VERSION, type SwitchboardEvent } from '../../src/events';
import type { AgentProfile, QueueConfig } from '../../src/acd/domain/model';
import { agentProfile, queueConfig } from './acd-fixtures';
import { FakeTelephony, MemoryAcdStore, MemoryTimers } from './memory-acd';

export const queue = (id: string, over: Partial<QueueConfig> = {}): QueueConfig => queueConfig(id, { maxMissedOffers: 2, ...over });
export const agent = agentProfile;

export function acdHarness(queues: QueueConfig[], agents: AgentProfile[], extra: Partial<AcdDeps> = {}) {
  let now = 1_000_000;
  const store = new MemoryAcdStore();
  const tel = new FakeTelephony();
  const timers = new MemoryTimers();
  const published: SwitchboardEvent[] = [];
  const qlog: QueueLogLine[] = [];
  const config: AcdConfigView = { agents: new Map(agents.map((a) => [a.id, a])), queues: new Map(queues.map((q) => [q.id, q])), pauseReasons: new Map([['break', { label: 'Break' }]]) };
  const logs: Array<{ msg: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(JSON.parse(chunk.toString()) as { msg: string });
      cb();
    },
  });
  const events = {
    publish: async (e: Omit<SwitchboardEvent, 'v'>) => {
      const event = { v: EVENT_VERSION, ...e } as SwitchboardEvent;
      published.push(event);
      qlog.push(...queueLogLines(event, (id) => id));
    },
  };
  const acd = new AcdService({ store: new AcdOperations(store), telephony: tel, timers, config: () => config, events, clock: { now: () => now }, logger: pino({ level: 'warn' }, sink), ...extra });
  /** queue_log lines as "EVENT agent callId" (NONE fields left out; per-queue member lines for queue-less tests are many, so PAUSEALL etc. stand for them). */
  const lines = () => qlog.map((l) => `${l.event}${l.agent !== 'NONE' ? ` ${l.agent}` : ''}${l.callId !== 'NONE' && l.callId !== 'MANAGER' ? ` ${l.callId}` : ''}`);
  const advance = async (ms: number) => {
    now += ms;
    for (const t of timers.due(now)) await acd.onTimer(t);
  };
  const online = async (...ids: string[]) => {
    for (const id of ids) {
      await acd.setReachable(id, true);
      await acd.agentCommand(id, 'login');
    }
  };
  const call = (callId: string, q: string, priority = 0) => acd.enqueue({ callId, channelId: callId, callerId: '555', queue: q, priority, attributes: {} });
  const state = async (id: string) => (await store.getAgent(id))?.d;
  return { acd, store, tel, timers, qlog, published, logs, events: lines, advance, online, call, state, now: () => now };
}

