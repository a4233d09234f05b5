// The SSE wire format of the event stream.
import { errorFrame, eventFrame, HEARTBEAT_FRAME, retryFrame } from '../../src/stream/domain';

test('an event frame carries the journal id, the event type and the JSON, and ends with a blank line', () => {
  const json = JSON.stringify({ v: 1, type: 'call.answered', callId: 'c1', at: 5 });
  expect(eventFrame('1700000000000-0', 'call.answered', json)).toBe(`id: 1700000000000-0\nevent: call.answered\ndata: ${json}\n\n`);
});

test('data with line breaks becomes several data lines (the client joins them with \\n)', () => {
  expect(eventFrame('1-0', 'x.y', '{\n  "a": 1\r\n}')).toBe('id: 1-0\nevent: x.y\ndata: {\ndata:   "a": 1\ndata: }\n\n');
});

test('an id or a type cannot inject another field', () => {
  expect(eventFrame('1-0\nevent: evil', 'a\r\nretry: 1', '{}')).toBe('id: 1-0event: evil\nevent: aretry: 1\ndata: {}\n\n');
});

test('the retry hint, the heartbeat comment and an error event', () => {
  expect(retryFrame()).toBe('retry: 2000\n\n');
  expect(retryFrame(500)).toBe('retry: 500\n\n');
  expect(HEARTBEAT_FRAME).toBe(': keep-alive\n\n');
  const problem = { type: 'urn:switchboard:problem:stream-too-slow', title: 'Client too slow', detail: 'd' } as const;
  expect(errorFrame(problem)).toBe(`event: error\ndata: ${JSON.stringify(problem)}\n\n`);
  expect(errorFrame(problem)).not.toMatch(/^id:/m); // the client's Last-Event-ID stays on its last event
});
