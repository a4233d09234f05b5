// The Server-Sent Events wire format (WHATWG HTML, "server-sent events"): one frame per event,
// comments as heartbeats, a retry hint, and error events as problem details.

/** Reconnection delay the client is told to use (ms). */
export const RETRY_MS = 2000;

export const retryFrame = (ms: number = RETRY_MS): string => `retry: ${ms}\n\n`;

/** A comment line: clients ignore it, proxies see traffic and keep the connection open. */
export const HEARTBEAT_FRAME = ': keep-alive\n\n';

// A field value must not hold a line break (it would end the field, or inject another one).
const oneLine = (s: string): string => s.replace(/[\r\n]/g, '');

/** Data split on line breaks: each line is its own `data:` field; the client joins them with \n. */
const dataLines = (data: string): string =>
  data
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}\n`)
    .join('');

/** One journal event: its journal id (the client's Last-Event-ID), its type, and its JSON. */
export function eventFrame(id: string, type: string, json: string): string {
  return `id: ${oneLine(id)}\nevent: ${oneLine(type)}\n${dataLines(json)}\n`;
}

export type StreamProblemType = 'stream-position-expired' | 'stream-position-unknown' | 'stream-too-slow' | 'stream-unavailable';

/** The data of an `event: error` frame: RFC 9457 problem details members. */
export interface StreamProblem {
  type: `urn:switchboard:problem:${StreamProblemType}`;
  title: string;
  detail: string;
  /** stream-position-expired: the oldest event the journal still holds (where the stream goes on). */
  oldest?: string;
}

/** An error event. It carries no id, so the client's Last-Event-ID stays where it was. */
export function errorFrame(problem: StreamProblem): string {
  return `event: error\n${dataLines(JSON.stringify(problem))}\n`;
}
