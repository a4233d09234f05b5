// The callbacks' HTTP routes, under /api/v1/callbacks. Agents create and see their own (made by
// them, or kept for them); supervisors and admins all. Every refusal is a 4xx problem-details
// answer naming the field.
import { z } from 'zod';
import type { Api } from '../platform/http/api';
import { HttpError, type Principal } from '../platform/http/auth';
import { problem } from '../platform/http/problem';
import type { Clock } from '../platform/clock';
import type { Callback } from './domain/model';
import { CallbackRefused, type CallbackService } from './service';

const STATES = ['requested', 'waiting', 'offering', 'dialling', 'connected', 'retry-wait', 'failed', 'cancelled'] as const;
const isoTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date and time with a zone, e.g. 2026-12-01T10:00:00Z' });
const agentId = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'must be an agent id');
const note = z.string().max(500, 'must be at most 500 characters');

const CreateBody = z.strictObject({
  number: z.string().regex(/^\+?[0-9]{1,20}$/, 'must be a phone number of digits (an optional leading +)'),
  queue: z.string().min(1, 'must name a queue').max(64),
  at: isoTime.describe('When the callback joins the queue'),
  agent: agentId.optional().describe('A preferred agent'),
  note: note.optional(),
});
const UpdateBody = z
  .strictObject({ at: isoTime.optional(), agent: agentId.nullable().optional(), note: note.nullable().optional() })
  .refine((b) => Object.keys(b).length > 0, 'give at least one of at, agent, note');
const ListQuery = z.strictObject({
  queue: z.string().max(64).optional(),
  agent: z.string().max(64).optional(),
  state: z.enum(STATES).optional(),
});
const IdParams = z.object({ id: z.string().max(64) });

export const CallbackSchema = z
  .object({
    id: z.string(),
    queue: z.string(),
    number: z.string(),
    origin: z.enum(['in-queue', 'scheduled']),
    state: z.enum(STATES),
    requestedAt: z.number().int(),
    dueAt: z.number().int(),
    enqueuedAt: z.number().int(),
    priority: z.number().int(),
    preferredAgent: z.string().optional(),
    note: z.string().optional(),
    nameRecording: z.string().optional(),
    createdBy: z.string(),
    attempt: z.number().int(),
    agentId: z.string().optional(),
    connectedAt: z.number().int().optional(),
    failures: z.array(z.object({ attempt: z.number().int(), reason: z.string(), at: z.number().int() })),
    updatedAt: z.number().int(),
  })
  .meta({ id: 'Callback' });
const One = z.object({ callback: CallbackSchema });

function refusal(err: unknown): never {
  if (!(err instanceof CallbackRefused)) throw err;
  if (err.kind === 'not-found') throw problem(404, err.message);
  if (err.kind === 'conflict') throw problem(409, err.message);
  throw problem(422, err.message, err.field ? [{ name: err.field, reason: err.message }] : undefined);
}

const mine = (p: Principal, cb: Callback): boolean => p.role !== 'agent' || cb.createdBy === `agent:${p.agentId}` || cb.preferredAgent === p.agentId;
/** An agent key may keep callbacks for its own agent only. */
function ownAgentOnly(p: Principal, agent: string | null | undefined): void {
  if (p.role === 'agent' && agent !== undefined && agent !== p.agentId) {
    throw new HttpError(403, 'forbidden', 'an agent key keeps callbacks for its own agent only', [{ name: 'agent', reason: 'not your agent id' }]);
  }
}

const whoIs = (p: Principal): string => (p.role === 'agent' ? `agent:${p.agentId}` : p.role);
const ALL_ROLES = ['admin', 'supervisor', 'agent'] as const;

export function callbackRoutes(callbacks: CallbackService, clock: Clock) {
  /** A callback the principal may see, or 404 (an agent does not learn that others' exist). */
  const visible = async (id: string, p: Principal): Promise<Callback> => {
    const cb = await callbacks.get(id);
    if (!cb || !mine(p, cb)) throw problem(404, `no callback "${id}"`);
    return cb;
  };
  const future = (at: string, field: string): number => {
    const t = Date.parse(at);
    if (t <= clock.now()) throw problem(422, `${field}: ${at} is in the past`, [{ name: field, reason: 'must be in the future' }]);
    return t;
  };

  return (api: Api): void => {
    api.route(
      {
        method: 'post',
        path: '/callbacks',
        operationId: 'createCallback',
        summary: 'Schedule a callback (a second one for the same number and queue updates the pending one)',
        tag: 'callbacks',
        roles: ALL_ROLES,
        body: CreateBody,
        answers: { 201: { description: 'Created', schema: One.extend({ id: z.string() }) }, 200: { description: 'The pending callback for this number and queue, updated', schema: One.extend({ id: z.string() }) } },
        problems: [422],
      },
      async ({ principal: p, body }) => {
        ownAgentOnly(p, body.agent);
        const at = future(body.at, 'at');
        const { callback, created } = await callbacks
          .request({ queue: body.queue, number: body.number, at, agent: body.agent ?? (p.role === 'agent' ? p.agentId : undefined), note: body.note, origin: 'scheduled', createdBy: whoIs(p) })
          .catch(refusal);
        return { status: created ? 201 : 200, headers: { Location: `/api/v1/callbacks/${callback.id}` }, body: { id: callback.id, callback } };
      },
    );
    api.route(
      { method: 'get', path: '/callbacks', operationId: 'listCallbacks', summary: 'Callbacks (an agent key: its own)', tag: 'callbacks', roles: ALL_ROLES, query: ListQuery, answers: { 200: { description: 'Callbacks, newest first', schema: z.object({ callbacks: z.array(CallbackSchema) }) } } },
      async ({ principal, query }) => ({ status: 200, body: { callbacks: (await callbacks.list(query)).filter((cb) => mine(principal, cb)) } }),
    );
    api.route(
      { method: 'get', path: '/callbacks/{id}', operationId: 'getCallback', summary: 'One callback', tag: 'callbacks', roles: ALL_ROLES, params: IdParams, answers: { 200: { description: 'The callback', schema: One } }, problems: [404] },
      async ({ principal, params }) => ({ status: 200, body: { callback: await visible(params.id, principal) } }),
    );
    api.route(
      { method: 'patch', path: '/callbacks/{id}', operationId: 'updateCallback', summary: 'Move a pending callback, or change its agent or note', tag: 'callbacks', roles: ALL_ROLES, params: IdParams, body: UpdateBody, answers: { 200: { description: 'The callback', schema: One } }, problems: [404, 409, 422] },
      async ({ principal: p, params, body }) => {
        const cb = await visible(params.id, p);
        ownAgentOnly(p, body.agent);
        const at = body.at !== undefined ? future(body.at, 'at') : undefined;
        return { status: 200, body: { callback: await callbacks.update(cb.id, { at, agent: body.agent, note: body.note }).catch(refusal) } };
      },
    );
    api.route(
      { method: 'delete', path: '/callbacks/{id}', operationId: 'cancelCallback', summary: 'Cancel a pending callback', tag: 'callbacks', roles: ALL_ROLES, params: IdParams, answers: { 200: { description: 'The cancelled callback', schema: One } }, problems: [404, 409] },
      async ({ principal: p, params }) => {
        const cb = await visible(params.id, p);
        return { status: 200, body: { callback: await callbacks.cancel(cb.id, whoIs(p)).catch(refusal) } };
      },
    );
  };
}
