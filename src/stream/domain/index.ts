// The event stream's pure parts: stream ids, the SSE wire format, the types filter.
export { compareStreamIds, isStreamId, parseStreamId } from './ids';
export { errorFrame, eventFrame, HEARTBEAT_FRAME, retryFrame, RETRY_MS, type StreamProblem, type StreamProblemType } from './frames';
export { MAX_TYPE_ITEMS, parseTypesFilter, type TypesFilterResult } from './types-filter';
export { resumeFrom, type JournalInfo, type Resume } from './position';
