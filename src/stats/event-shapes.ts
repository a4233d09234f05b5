// Compile-time check that the projector's restated event shapes (domain/events.ts) still match the
// catalogue: if an event the statistics read changes shape, this file stops compiling.
import type { EventOf } from '../events/catalogue';
import type { StatsEvent, StatsEventType } from './domain';

type Fits<T extends StatsEventType> = EventOf<T> extends Extract<StatsEvent, { type: T }> ? true : never;

export const EVENT_SHAPES_MATCH: { readonly [T in StatsEventType]: Fits<T> } = {
  'queue.entered': true,
  'queue.offered': true,
  'queue.ring-no-answer': true,
  'queue.connected': true,
  'queue.abandoned': true,
  'queue.exited': true,
  'queue.completed': true,
  'queue.transferred': true,
  'survey.started': true,
  'ivr.collected': true,
  'ivr.ended': true,
  'call.ended': true,
  'agent.state-changed': true,
  'agent.wrap-up-started': true,
  'agent.wrap-up-ended': true,
  'call.disposition': true,
  'callback.requested': true,
  'callback.connected': true,
  'callback.failed': true,
};
