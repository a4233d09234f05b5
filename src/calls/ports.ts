// What the call flow needs from the outside world; adapters implement these.
import type { CallState } from './domain/call';

export type HangupReason = 'normal' | 'unallocated' | 'congestion' | 'busy';

export interface ChannelInfo {
  id: string;
  exten: string;
  callerId: string;
}

export interface Telephony {
  /** 'gone': the channel is no longer there (the caller hung up); other failures throw. */
  answer(channelId: string): Promise<'answered' | 'gone'>;
  /** Ringing tone to the caller (180) while we make them wait before answering. */
  ring(channelId: string): Promise<void>;
  /** Hands the channel back to the dialplan (labels "unavailable": the state store is away; "overload"): we cannot take the call now. */
  divert(channelId: string, label: 'unavailable' | 'overload'): Promise<void>;
  /** `language`: Asterisk picks sounds/<language>/… and falls back to the default language. */
  play(channelId: string, playbackId: string, media: string[], language?: string): Promise<void>;
  /** Records the caller (a beep first) as <name>.wav in Asterisk's recording folder; # ends it. */
  record(channelId: string, name: string, maxSeconds: number, silenceSeconds: number): Promise<void>;
  playbackActive(playbackId: string): Promise<boolean>;
  /** Resolves quietly when the playback is already gone. */
  stopPlayback(playbackId: string): Promise<void>;
  /** Resolves quietly when the channel is already gone. */
  hangup(channelId: string, reason: HangupReason): Promise<void>;
  /** Something that changes when Asterisk restarts. */
  asteriskIdentity(): Promise<string>;
  /** Channels currently in our Stasis application. */
  channelsInApp(): Promise<ChannelInfo[]>;
}

export interface CallRepository {
  get(callId: string): Promise<CallState | undefined>;
  put(state: CallState): Promise<void>;
  activeIds(): Promise<string[]>;
  swapAsteriskIdentity(identity: string): Promise<string | null>;
}
