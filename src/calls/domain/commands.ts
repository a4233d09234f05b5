// Commands: what the domain asks the shell to do. The ARI adapter carries them out.

export type HangupReason = 'normal' | 'unallocated' | 'congestion' | 'busy';

export type JournalEntry =
  | { type: 'CALL_ARRIVED'; callId: string; number: string; callerId: string; at: number }
  | { type: 'CALL_ANSWERED'; callId: string; at: number }
  | { type: 'CALL_QUEUED'; callId: string; queue: string; at: number }
  | { type: 'DIGIT'; callId: string; digit: string; at: number }
  | { type: 'CALL_ENDED'; callId: string; reason: 'caller-hangup' | 'flow-complete' | 'unknown-number'; at: number }
  /** An IVR transition (IVR_STEP, IVR_CHOICE, …); `data` is JSON and never holds a sensitive value. */
  | { type: 'IVR'; callId: string; event: string; data: string; at: number };

export type Command =
  | { kind: 'answer'; channelId: string }
  | { kind: 'play'; channelId: string; playbackId: string; media: string[] }
  | { kind: 'stopPlayback'; playbackId: string }
  | { kind: 'hangup'; channelId: string; reason: HangupReason }
  | { kind: 'journal'; entry: JournalEntry }
  /** Hand the call to the ACD. */
  | { kind: 'enqueue'; callId: string; channelId: string; callerId: string; queue: string; priority: number; attributes: Record<string, string | number | boolean> }
  /** The caller is gone: the ACD releases whatever it holds for the call. */
  | { kind: 'leaveQueue'; callId: string };
