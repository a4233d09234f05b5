// The parts of the journal's events (src/events/catalogue.ts) the projector reads. The pure core
// may not import the catalogue, so the shapes are restated here; src/stats/event-shapes.ts checks
// at compile time that every catalogue event still fits its shape.

export interface AnyEvent {
  readonly type: string;
  readonly at: number;
}

type E<T extends string, F> = { readonly type: T; readonly at: number } & { readonly [K in keyof F]: F[K] };

export type QueueEnteredShape = E<'queue.entered', { callId: string; queue: string; callerId: string; from?: string }>;
export type QueueOfferedShape = E<'queue.offered', { callId: string; queue: string; agentId: string }>;
export type QueueRingNoAnswerShape = E<'queue.ring-no-answer', { callId: string; queue: string; agentId: string }>;
export type QueueConnectedShape = E<'queue.connected', { callId: string; queue: string; agentId: string; holdS: number; callerId?: string; transferredFrom?: string }>;
export type QueueAbandonedShape = E<'queue.abandoned', { callId: string; queue: string; waitS: number; ringing: boolean }>;
export type QueueExitedShape = E<'queue.exited', { callId: string; queue: string; waitS: number; reason: string }>;
export type QueueCompletedShape = E<'queue.completed', { callId: string; queue: string; agentId: string; by: string; talkS: number; onHoldS?: number }>;
export type QueueTransferredShape = E<'queue.transferred', { callId: string; queue: string; agentId: string; talkS: number; onHoldS?: number }>;
export type SurveyStartedShape = E<'survey.started', { callId: string; queue: string; flow: string }>;
export type IvrCollectedShape = E<'ivr.collected', { callId: string; flow: string; input: { sensitive: false; value: string } | { sensitive: true; length: number } }>;
export type IvrEndedShape = E<'ivr.ended', { callId: string; flow: string }>;
export type CallEndedShape = E<'call.ended', { callId: string }>;
export type AgentStateChangedShape = E<'agent.state-changed', { agentId: string; from: string; to: string }>;
export type AgentWrapUpStartedShape = E<'agent.wrap-up-started', { agentId: string; callId: string }>;
export type AgentWrapUpEndedShape = E<'agent.wrap-up-ended', { agentId: string; callId: string }>;
export type CallDispositionShape = E<'call.disposition', { callId: string; queue: string; agentId: string; resolved: boolean }>;
export type CallbackRequestedShape = E<'callback.requested', { queue: string }>;
export type CallbackConnectedShape = E<'callback.connected', { queue: string }>;
export type CallbackFailedShape = E<'callback.failed', { queue: string }>;

/** Every event the projector counts something from. */
export type StatsEvent =
  | QueueEnteredShape
  | QueueOfferedShape
  | QueueRingNoAnswerShape
  | QueueConnectedShape
  | QueueAbandonedShape
  | QueueExitedShape
  | QueueCompletedShape
  | QueueTransferredShape
  | SurveyStartedShape
  | IvrCollectedShape
  | IvrEndedShape
  | CallEndedShape
  | AgentStateChangedShape
  | AgentWrapUpStartedShape
  | AgentWrapUpEndedShape
  | CallDispositionShape
  | CallbackRequestedShape
  | CallbackConnectedShape
  | CallbackFailedShape;

export type StatsEventType = StatsEvent['type'];
