// Supervisors listen to, whisper to and barge into agents' calls (docs/monitoring.md).
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { EventBus } from '../events';
import type { AriRest } from '../platform/ari/rest';
import type { AriRouter } from '../platform/ari/router';
import type { Clock } from '../platform/clock';
import type { Keys } from '../platform/redis/keys';
import { AriMonitorTelephony, registerMonitorAriHandlers } from './ari';
import type { SupervisorPhone } from './config';
import { MonitorService, type MonitoredCall } from './service';
import { MonitorStore } from './store';

export { supervisorsSection, type SupervisorPhone } from './config';
export { monitorRoutes, type MonitorApi } from './http';
export { MonitorService, type MonitoredCall } from './service';

export interface MonitoringParts {
  redis: Redis;
  keys: Keys;
  rest: AriRest;
  app: string;
  router: AriRouter;
  events: EventBus;
  clock: Clock;
  logger: Logger;
  /** The call's queue entry as monitoring needs it. */
  call(callId: string): Promise<MonitoredCall | undefined>;
  phones(): ReadonlyMap<string, SupervisorPhone>;
  serialize(callId: string, what: string, work: () => Promise<void>): void;
}

/** The monitoring feature, wired: its ARI events, and the end of its sessions when their call ends for the agent. */
export function createMonitoring(p: MonitoringParts): MonitorService {
  const service = new MonitorService({ store: new MonitorStore(p.redis, p.keys), telephony: new AriMonitorTelephony(p.rest, p.app), call: p.call, phones: p.phones, events: p.events, clock: p.clock, logger: p.logger });
  registerMonitorAriHandlers(p.router, { monitor: service, serialize: p.serialize });
  p.events.subscribe('monitor', (e) => (e.type === 'queue.completed' || e.type === 'queue.transferred' || e.type === 'queue.connect-failed' ? service.callOver(e.callId) : undefined));
  return service;
}
