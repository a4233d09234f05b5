// The callbacks feature's vocabulary. Times are epoch milliseconds; durations in settings are seconds.

export type CallbackState = 'requested' | 'waiting' | 'offering' | 'dialling' | 'connected' | 'retry-wait' | 'failed' | 'cancelled';

/** Why an attempt to reach the customer failed. */
export type CallbackFailure = 'no-answer' | 'busy' | 'rejected' | 'unreachable' | 'agent-hangup' | 'failed';

export interface Callback {
  readonly id: string;
  readonly queue: string;
  /** The number to call: digits (an optional leading +) that passed the queue's pattern. */
  readonly number: string;
  /** `in-queue`: a waiting caller asked for it; `scheduled`: made through the API for a time. */
  readonly origin: 'in-queue' | 'scheduled';
  readonly state: CallbackState;
  readonly requestedAt: number;
  /** When it joins (or joined) the queue: the scheduled time, or the end of a retry wait. */
  readonly dueAt: number;
  /** Its place in line: the caller's original entry time (in-queue), or its due time. */
  readonly enqueuedAt: number;
  readonly priority: number;
  readonly preferredAgent?: string;
  readonly note?: string;
  /** The caller's recorded name (Asterisk's stored recording), played to the agent. */
  readonly nameRecording?: string;
  /** Who asked: "caller", or the API principal ("agent:agent1", "supervisor", "admin"). */
  readonly createdBy: string;
  /** Attempts to reach the customer started so far. */
  readonly attempt: number;
  /** The agent offered it now (offering, dialling) or who reached the customer (connected). */
  readonly agentId?: string;
  readonly connectedAt?: number;
  readonly failures: ReadonlyArray<{ readonly attempt: number; readonly reason: CallbackFailure; readonly at: number }>;
  readonly updatedAt: number;
}

/** A queue's callback settings (routing files: queues.<id>.callback). */
export interface CallbackSettings {
  /** The outbound trunk: a PJSIP endpoint from configuration; the customer leg is PJSIP/<number>@<trunk>. */
  readonly trunk: string;
  /** The caller id the customer sees (the queue's number). */
  readonly callerId: string;
  /** Numbers accepted for a callback (anchored regular expression source). */
  readonly numberPattern: string;
  /** Attempts to reach the customer in all (the first one included). */
  readonly attempts: number;
  readonly retryDelayS: number;
  /** How long the customer's phone rings before the attempt counts as not answered. */
  readonly ringTimeoutS: number;
  /** Priority of scheduled callbacks in the queue (in-queue ones keep the caller's). */
  readonly priority: number;
  /** How long a preferred agent has it to themselves once it is due. */
  readonly preferredAgentWindowS: number;
  /** A schedule (IVR schedules): callbacks are dialled only while it is open. */
  readonly hours?: string;
  /** Waiting callers are offered a callback that keeps their place. */
  readonly offer?: OfferSettings;
}

export interface OfferSettings {
  readonly key: string;
  /** Offer when the estimated wait passes this. */
  readonly ewtOverS?: number;
  /** Offer after this long in line while no eligible agent is free. */
  readonly noAgentAfterS?: number;
  readonly everyS: number;
  /** The caller records their name (the agent hears it). */
  readonly recordName: boolean;
}

/** A callback's ACD call id; its agent legs and customer legs start with it. */
export const callbackCallId = (id: string): string => `cb-${id}`;
export const isCallbackCallId = (callId: string): boolean => callId.startsWith('cb-');
export const callbackIdOf = (callId: string): string => callId.slice(3);
