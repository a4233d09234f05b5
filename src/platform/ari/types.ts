// ARI event shapes Switchboard consumes, validated at the edge. Only the fields we use are
// declared; zod strips the rest. Unknown event types are not an error (Asterisk adds new ones).
import { z } from 'zod';

export const ChannelSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  state: z.string(),
  caller: z.object({ name: z.string(), number: z.string() }),
  dialplan: z.object({ context: z.string(), exten: z.string(), priority: z.number() }).partial().optional(),
});
export type AriChannel = z.infer<typeof ChannelSchema>;

export const BridgeSchema = z.object({ id: z.string(), channels: z.array(z.string()) });
export type AriBridge = z.infer<typeof BridgeSchema>;

export const EndpointSchema = z.object({ technology: z.string(), resource: z.string(), state: z.string().optional(), channel_ids: z.array(z.string()).default([]) });
export type AriEndpoint = z.infer<typeof EndpointSchema>;

const base = { application: z.string().optional(), timestamp: z.string().optional() };

export const StasisStartSchema = z.object({ ...base, type: z.literal('StasisStart'), args: z.array(z.string()).default([]), channel: ChannelSchema });
export const StasisEndSchema = z.object({ ...base, type: z.literal('StasisEnd'), channel: ChannelSchema });
export const ChannelDestroyedSchema = z.object({ ...base, type: z.literal('ChannelDestroyed'), channel: ChannelSchema, cause: z.number().optional() });
export const ChannelHangupRequestSchema = z.object({ ...base, type: z.literal('ChannelHangupRequest'), channel: ChannelSchema, cause: z.number().optional(), soft: z.boolean().optional() });
export const ChannelDtmfSchema = z.object({
  ...base,
  type: z.literal('ChannelDtmfReceived'),
  channel: ChannelSchema,
  digit: z.string().regex(/^[0-9*#A-D]$/),
  duration_ms: z.number().optional(),
});
export const PlaybackSchema = z.object({ id: z.string(), media_uri: z.string(), target_uri: z.string(), state: z.string() });
export const PlaybackFinishedSchema = z.object({ ...base, type: z.literal('PlaybackFinished'), playback: PlaybackSchema });
export const EndpointStateChangeSchema = z.object({ ...base, type: z.literal('EndpointStateChange'), endpoint: EndpointSchema });
export const LiveRecordingSchema = z.object({ name: z.string(), state: z.string(), target_uri: z.string(), duration: z.number().optional(), cause: z.string().optional() });
export const RecordingFinishedSchema = z.object({ ...base, type: z.literal('RecordingFinished'), recording: LiveRecordingSchema });
export const RecordingFailedSchema = z.object({ ...base, type: z.literal('RecordingFailed'), recording: LiveRecordingSchema });
export const ApplicationReplacedSchema = z.object({ ...base, type: z.literal('ApplicationReplaced') });
/** A user event (POST /events/user/{name}); Switchboard sends them to itself to prove it holds the application. */
export const ChannelUsereventSchema = z.object({ ...base, type: z.literal('ChannelUserevent'), eventname: z.string(), userevent: z.record(z.string(), z.unknown()).default({}) });

export const KnownEventSchema = z.discriminatedUnion('type', [
  StasisStartSchema,
  StasisEndSchema,
  ChannelDestroyedSchema,
  ChannelHangupRequestSchema,
  ChannelDtmfSchema,
  PlaybackFinishedSchema,
  EndpointStateChangeSchema,
  RecordingFinishedSchema,
  RecordingFailedSchema,
  ApplicationReplacedSchema,
  ChannelUsereventSchema,
]);
export type AriEvent = z.infer<typeof KnownEventSchema>;
export const KNOWN_EVENT_TYPES: ReadonlySet<string> = new Set(KnownEventSchema.options.map((o) => o.shape.type.value));

export const AsteriskInfoSchema = z.object({
  system: z.object({ entity_id: z.string(), version: z.string() }).partial().optional(),
  status: z.object({ startup_time: z.string(), last_reload_time: z.string().optional() }),
});
export type AsteriskInfo = z.infer<typeof AsteriskInfoSchema>;

export const ApplicationSchema = z.object({ name: z.string(), channel_ids: z.array(z.string()) });
export type AriApplication = z.infer<typeof ApplicationSchema>;

export type HangupReason = 'normal' | 'busy' | 'congestion' | 'no_answer' | 'unallocated' | 'rejected' | 'failure';
