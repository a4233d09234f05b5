// Domain events: what happened to a call, already translated from ARI and validated.
// `at` is epoch milliseconds from the injected clock.

export type CallEvent =
  /** `callerName`: the name the network sent (calls/ari-handlers.ts cleans it), when any. */
  | { type: 'CallArrived'; callId: string; channelId: string; number: string; callerId: string; callerName?: string; at: number }
  | { type: 'PlaybackFinished'; callId: string; playbackId: string; at: number }
  | { type: 'DigitReceived'; callId: string; digit: string; at: number }
  | { type: 'CallHungUp'; callId: string; at: number }
  /** Reconcile found the call's channel gone from Asterisk: whatever the flow waited for will not come. */
  | { type: 'CallVanished'; callId: string; at: number }
  // Switchboard lost sight of the call (ARI reconnect) and finds it still present: pick up where it was.
  | { type: 'CallResumed'; callId: string; at: number }
  // IVR: a flow's deadline came, an HTTP lookup answered (or failed), a recording ended.
  | { type: 'FlowTimer'; callId: string; timerId: string; at: number }
  | { type: 'LookupDone'; callId: string; requestId: string; ok: boolean; fields: Record<string, string>; at: number }
  | { type: 'RecordingDone'; callId: string; recordingId: string; ok: boolean; durationS: number; at: number }
  /** A dial step's destination answered / is gone. */
  | { type: 'DialAnswered'; callId: string; dialId: string; at: number }
  | { type: 'DialEnded'; callId: string; dialId: string; at: number }
  /** The agent hung up a connected call (the ACD hangs up the caller): the call is over. */
  | { type: 'AgentHungUp'; callId: string; at: number }
  /** An attended transfer handed the caller to a destination's leg (in the call's bridge): the call is the flow's again, until either side hangs up. */
  | { type: 'HandedOff'; callId: string; legId: string; at: number }
  /** That leg is gone. */
  | { type: 'HandedLegEnded'; callId: string; legId: string; at: number }
  /** Asterisk could not answer the caller: the call cannot go on. */
  | { type: 'AnswerFailed'; callId: string; at: number }
  /**
   * Start a flow on a call already in progress: the post-call survey, or (`returnToAgent`) an
   * assist flow an agent sent the connected caller to, whose end gives the caller back.
   */
  | { type: 'FlowStart'; callId: string; flow: string; returnToAgent?: boolean; at: number };

export const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'] as const;
export type Digit = (typeof DIGITS)[number];
