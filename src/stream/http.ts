// GET /api/v1/events: the journal as Server-Sent Events (docs/event-stream.md). What a key sees
// is decided by the composition (`visibleTo`): everything for admins, a supervisor's teams, an
// agent's own events.
import { z } from 'zod';
import type { SwitchboardEvent } from '../events';
import type { Api } from '../platform/http/api';
import type { Principal } from '../platform/http/auth';
import { HttpError } from '../platform/http/problem';
import { streamRequestOf, StreamRequestError, StreamStoppedError } from './request';
import type { EventStream } from './sse';

const Query = z.strictObject({
  since: z.string().max(64).optional().describe('Start after this journal id (for clients that cannot send Last-Event-ID)'),
  types: z.union([z.string().max(2000), z.array(z.string().max(200)).max(50)]).optional().describe('Comma-separated event types or globs, e.g. queue.*,agent.*'),
});

export function eventStreamRoutes(stream: EventStream, visibleTo: (p: Principal) => (e: SwitchboardEvent) => boolean) {
  return (api: Api): void => {
    api.route(
      {
        method: 'get',
        path: '/events',
        operationId: 'events',
        summary: 'The journal as Server-Sent Events; resume with Last-Event-ID',
        description: 'Each event is sent with its journal id as the SSE id and its type as the SSE event. A client that reconnects with Last-Event-ID gets every event it missed that the journal still holds, then the live ones; a position older than the journal gets an `error` event first (docs/event-stream.md). A comment line every 15 s keeps proxies from closing the stream.',
        tag: 'events',
        roles: ['admin', 'supervisor', 'agent'],
        query: Query,
        answers: { 200: { description: 'text/event-stream, until the client leaves', contentType: 'text/event-stream' } },
      },
      async ({ req, res, principal }) => {
        try {
          await stream.handle(req, res, { visible: visibleTo(principal), ...streamRequestOf(req) });
        } catch (err) {
          if (err instanceof StreamRequestError) throw new HttpError(400, 'bad_request', err.message, err.invalid);
          if (err instanceof StreamStoppedError) throw new HttpError(503, 'unavailable', err.message, undefined, { 'Retry-After': '2' });
          throw err;
        }
        return 'sent';
      },
    );
  };
}
