// The ACD service on in-memory ports and a fake clock, for unit tests: the store, telephony,
// timers and queue_log are fakes a test can read; advance() moves the clock and fires due timers.
import { Writable } from 'node:stream';
import pino from 'pino';
import type { QueueLogLine } from '../../src/acd/queue-log';
import { AcdService, type AcdConfigView, type AcdDeps } from '../../src/acd/service/acd-service';
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
  const qlog: QueueLogLine[] = [];
  const config: AcdConfigView = { agents: new Map(agents.map((a) => [a.id, a])), queues: new Map(queues.map((q) => [q.id, q])), pauseReasons: new Map([['break', { label: 'Break' }]]) };
  const logs: Array<{ msg: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(JSON.parse(chunk.toString()) as { msg: string });
      cb();
    },
  });
  const acd = new AcdService({ store, telephony: tel, timers, config: () => config, queueLog: async (l) => void qlog.push(l), clock: { now: () => now }, logger: pino({ level: 'warn' }, sink), ...extra });
  const events = () => qlog.map((l) => `${l.event}${l.agent !== 'NONE' ? ` ${l.agent}` : ''}${l.callId !== 'NONE' ? ` ${l.callId}` : ''}`);
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
  return { acd, store, tel, timers, qlog, logs, events, advance, online, call, state, now: () => now };
}

