// The event stream's `types` filter and request validation.
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { EVENT_TYPES } from '../../src/events';
import { MAX_TYPE_ITEMS, parseTypesFilter } from '../../src/stream/domain';
import { StreamRequestError, streamRequestOf } from '../../src/stream';
import { validStreamRequest } from '../../src/stream/request';

const known = ['call.arrived', 'call.ended', 'queue.entered', 'queue.offered', 'agent.logged-in', 'agent.paused'];
const types = (spec: string | string[] | undefined) => {
  const r = parseTypesFilter(spec, known);
  return r.ok ? (r.types ? [...r.types].sort() : 'all') : `refused: ${r.reason}`;
};

test('no filter, or "*", lets every type through', () => {
  expect(types(undefined)).toBe('all');
  expect(types('*')).toBe('all');
  expect(types('queue.*,*')).toBe('all');
});

test('families and exact types, comma-separated or repeated, with spaces tolerated', () => {
  expect(types('queue.*')).toEqual(['queue.entered', 'queue.offered']);
  expect(types('queue.*, agent.paused')).toEqual(['agent.paused', 'queue.entered', 'queue.offered']);
  expect(types(['call.ended', 'agent.*'])).toEqual(['agent.logged-in', 'agent.paused', 'call.ended']);
  expect(types('call.ended,call.ended')).toEqual(['call.ended']);
});

test.each([
  ['', 'an empty item'],
  ['queue.*,', 'an empty item'],
  ['queue', '"queue" is not an event type or family'],
  ['queue.nope', '"queue.nope" is not an event type or family'],
  ['nope.*', '"nope.*" is not an event type or family'],
  ['queue.**', '"queue.**" is not'],
  ['*.ended', '"*.ended" is not'],
])('%j is refused', (spec, reason) => {
  expect(types(spec)).toContain(reason);
});

test('too many items are refused', () => {
  expect(types(Array.from({ length: MAX_TYPE_ITEMS + 1 }, () => 'call.ended').join(','))).toContain(`more than ${MAX_TYPE_ITEMS}`);
});

test('every family of the catalogue can be asked for', () => {
  const families = [...new Set(EVENT_TYPES.map((t) => t.split('.')[0]))];
  for (const f of families) {
    const r = parseTypesFilter(`${f}.*`, EVENT_TYPES);
    expect(r.ok && r.types && r.types.size > 0).toBe(true);
  }
});

function request(url: string, headers: Record<string, string> = {}): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.url = url;
  req.headers = headers;
  return req;
}

test('the request: Last-Event-ID wins over ?since= (an EventSource reconnects with the header), types may repeat', () => {
  expect(streamRequestOf(request('/api/v1/events'))).toEqual({ lastEventId: undefined, types: undefined });
  expect(streamRequestOf(request('/api/v1/events?since=5-0&types=queue.*&types=agent.paused'))).toEqual({ lastEventId: '5-0', types: ['queue.*', 'agent.paused'] });
  expect(streamRequestOf(request('/api/v1/events?since=5-0', { 'last-event-id': '7-0' }))).toEqual({ lastEventId: '7-0', types: undefined });
  expect(streamRequestOf(request('/events?since=', { 'last-event-id': '' }))).toEqual({ lastEventId: undefined, types: undefined });
});

test('an invalid position or filter is refused with the fields named (400)', () => {
  expect(validStreamRequest({ lastEventId: '5-0', types: 'queue.*' })).toEqual({ from: '5-0', types: new Set(EVENT_TYPES.filter((t) => t.startsWith('queue.'))) });
  expect(validStreamRequest({})).toEqual({});
  let error: unknown;
  try {
    validStreamRequest({ lastEventId: 'yesterday', types: 'queue' });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(StreamRequestError);
  const e = error as StreamRequestError;
  expect([e.status, e.code, e.invalid.map((i) => i.name)]).toEqual([400, 'bad_request', ['Last-Event-ID', 'types']]);
});
