// Delivers each ARI event to the feature that owns what it is about. Features register by the kind
// of the ids they gave Asterisk (kernel/ids.ts: caller channels, agent legs, IVR dial legs,
// playbacks) and by the appArgs their originates carry; endpoints, user events and
// ApplicationReplaced have their own registrations. Messages are validated here (zod); event types
// nobody handles are ignored (Asterisk adds new ones), malformed ones logged.
import type { Logger } from 'pino';
import { channelKind, playbackKind, type ChannelKind, type PlaybackKind } from '../../kernel/ids';
import { KNOWN_EVENT_TYPES, KnownEventSchema, type AriEvent } from './types';

export type ChannelEvent = Extract<AriEvent, { channel: unknown }>;
export type PlaybackEvent = Extract<AriEvent, { type: 'PlaybackFinished' }>;
export type RecordingEvent = Extract<AriEvent, { type: 'RecordingFinished' | 'RecordingFailed' }>;
export type EndpointEvent = Extract<AriEvent, { type: 'EndpointStateChange' }>;
export type UserEvent = Extract<AriEvent, { type: 'ChannelUserevent' }>;

export class AriRouter {
  private readonly channels = new Map<ChannelKind, { appArgs: readonly string[]; handle: (ev: ChannelEvent) => void }>();
  private readonly playbacks = new Map<PlaybackKind, (ev: PlaybackEvent) => void>();
  /** Recording owners by the start of the recording's name (the longest match wins; '' for the rest). */
  private readonly recordings: Array<{ prefix: string; handle: (ev: RecordingEvent) => void }> = [];
  private endpoints?: (ev: EndpointEvent) => void;
  private readonly userEvents = new Map<string, (ev: UserEvent) => void>();
  private replaced?: () => void;
  private readonly seenUnknown = new Set<string>();

  constructor(private readonly logger: Logger) {}

  /** Events of channels of this kind; `appArgs`: the first Stasis argument their StasisStart carries. */
  onChannels(kind: ChannelKind, appArgs: readonly string[], handle: (ev: ChannelEvent) => void): void {
    this.channels.set(kind, { appArgs, handle });
  }

  onPlaybacks(kind: PlaybackKind, handle: (ev: PlaybackEvent) => void): void {
    this.playbacks.set(kind, handle);
  }

  onRecordings(handle: (ev: RecordingEvent) => void, namePrefix = ''): void {
    this.recordings.push({ prefix: namePrefix, handle });
    this.recordings.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  onEndpoints(handle: (ev: EndpointEvent) => void): void {
    this.endpoints = handle;
  }

  onUserEvent(name: string, handle: (ev: UserEvent) => void): void {
    this.userEvents.set(name, handle);
  }

  onApplicationReplaced(handle: () => void): void {
    this.replaced = handle;
  }

  /** A message from the event socket (parsed JSON, not yet validated). */
  receive(raw: unknown): void {
    const type = typeof raw === 'object' && raw !== null && 'type' in raw ? String((raw as { type: unknown }).type) : '';
    if (!KNOWN_EVENT_TYPES.has(type)) {
      if (!this.seenUnknown.has(type)) {
        this.seenUnknown.add(type);
        this.logger.debug({ type }, 'ARI event type not handled; ignoring it');
      }
      return;
    }
    const parsed = KnownEventSchema.safeParse(raw);
    if (!parsed.success) {
      this.logger.warn({ type, issues: parsed.error.issues.slice(0, 3) }, 'malformed ARI event ignored');
      return;
    }
    this.dispatch(parsed.data);
  }

  dispatch(ev: AriEvent): void {
    switch (ev.type) {
      case 'ApplicationReplaced':
        this.replaced?.();
        return;
      case 'ChannelUserevent':
        this.userEvents.get(ev.eventname)?.(ev);
        return;
      case 'EndpointStateChange':
        this.endpoints?.(ev);
        return;
      case 'PlaybackFinished':
        this.playbacks.get(playbackKind(ev.playback.id))?.(ev);
        return;
      case 'RecordingFinished':
      case 'RecordingFailed':
        this.recordings.find((r) => ev.recording.name.startsWith(r.prefix))?.handle(ev);
        return;
      default:
        this.toChannelOwner(ev);
    }
  }

  private toChannelOwner(ev: ChannelEvent): void {
    const kind = channelKind(ev.channel.id);
    const owner = this.channels.get(kind);
    if (!owner) {
      this.logger.warn({ type: ev.type, channel: ev.channel.id, kind }, 'ARI event for a channel nobody owns');
      return;
    }
    if (ev.type === 'StasisStart' && !owner.appArgs.includes(ev.args[0] ?? '')) {
      // A channel whose id says one owner but whose Stasis arguments say another: someone else's.
      this.logger.warn({ channel: ev.channel.id, args: ev.args, kind }, 'StasisStart with unexpected arguments; ignored');
      return;
    }
    owner.handle(ev);
  }
}
