// Call recordings per queue: recorded, paused on hold and on request, listed, downloaded with
// ranges, deleted, kept for the queue's retention (docs/recordings.md).
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { QueueConfig } from '../acd/domain/model';
import type { EventBus } from '../events';
import type { AriRest } from '../platform/ari/rest';
import type { AriRouter } from '../platform/ari/router';
import type { Clock } from '../platform/clock';
import type { Keys } from '../platform/redis/keys';
import { AriRecordingTelephony, registerRecordingAriHandlers } from './ari';
import { RecordingService } from './service';
import { RecordingStore } from './store';

export { recordingRoutes, type RecordingApi } from './http';
export { RecordingService } from './service';

export interface RecordingParts {
  redis: Redis;
  keys: Keys;
  rest: AriRest;
  ari: { url: string; user: string; password: string };
  router: AriRouter;
  events: EventBus;
  queues(): ReadonlyMap<string, QueueConfig>;
  clock: Clock;
  logger: Logger;
}

/** The recordings feature, wired: it follows the event seam and Asterisk's recording events. */
export function createRecordings(p: RecordingParts): { service: RecordingService; file(id: string): Promise<Buffer | undefined> } {
  const telephony = new AriRecordingTelephony(p.rest, p.ari);
  const service = new RecordingService({ store: new RecordingStore(p.redis, p.keys), telephony, events: p.events, queues: p.queues, clock: p.clock, logger: p.logger });
  p.events.subscribe('recordings', service.subscriber);
  registerRecordingAriHandlers(p.router, service, (err) => p.logger.error({ err }, 'recording event failed'));
  return { service, file: (id) => telephony.file(id) };
}
