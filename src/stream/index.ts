// The event stream's public module: GET /api/v1/events as Server-Sent Events (docs/event-stream.md).
export { createEventStream, type EventStream, type EventStreamDeps, type StreamOptions } from './sse';
export { StreamRequestError, StreamStoppedError, streamRequestOf, type StreamRequest } from './request';
export { JournalTail, type JournalEntry, type Pause, type TailListener } from './journal-tail';
export { compareStreamIds, isStreamId, parseStreamId, type StreamProblem } from './domain';
export { eventStreamRoutes } from './http';
