// The callbacks' HTTP routes, under /api/v1/callbacks. Agents create and see their own (made by
// them, or kept for them); supervisors and admins all. Every refusal is a 4xx problem-details
// answer naming the field.
import type { Request, Router } from 'express';
import { z } from 'zod';
import { handler } from '../platform/http/app';
import { HttpError, principalOf, type Principal } from '../platform/http/auth';
import type { Clock } from '../platform/clock';
import type { Callback } from './domain/model';
import { CallbackRefused, type CallbackService } from './service';

const isoTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date and time with a zone, e.g. 2026-12-01T10:00:00Z' });
const agentId = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'must be an agent id');
const note = z.string().max(500, 'must be at most 500 characters');

const CreateBody = z.strictObject({
  number: z.string().regex(/^\+?[0-9]{1,20}$/, 'must be a phone number of digits (an optional leading +)'),
  queue: z.string().min(1, 'must name a queue'),
  at: isoTime,
  agent: agentId.optional(),
  note: note.optional(),
});
const UpdateBody = z
  .strictObject({ at: isoTime.optional(), agent: agentId.nullable().optional(), note: note.nullable().optional() })
  .refine((b) => Object.keys(b).length > 0, 'give at least one of at, agent, note');
const ListQuery = z.strictObject({
  queue: z.string().optional(),
  agent: z.string().optional(),
  state: z.enum(['requested', 'waiting', 'offering', 'dialling', 'connected', 'retry-wait', 'failed', 'cancelled']).optional(),
});

function parse<T>(schema: z.ZodType<T>, value: unknown, where: 'body' | 'query'): T {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const invalid = r.error.issues.map((i) => ({ name: i.path.join('.') || where, reason: i.message }));
  throw new HttpError(400, 'bad_request', `${where}: ${invalid.map((i) => `${i.name}: ${i.reason}`).join('; ')}`, invalid);
}

function translate(err: unknown): HttpError | undefined {
  if (!(err instanceof CallbackRefused)) return undefined;
  if (err.kind === 'not-found') return new HttpError(404, 'not_found', err.message);
  if (err.kind === 'conflict') return new HttpError(409, 'conflict', err.message);
  return new HttpError(422, 'unprocessable', err.message, err.field ? [{ name: err.field, reason: err.message }] : undefined);
}

const mine = (p: Principal, cb: Callback): boolean => p.role !== 'agent' || cb.createdBy === `agent:${p.agentId}` || cb.preferredAgent === p.agentId;
/** An agent token may keep callbacks for its own agent only. */
function ownAgentOnly(p: Principal, agent: string | null | undefined): void {
  if (p.role === 'agent' && agent !== undefined && agent !== p.agentId) {
    throw new HttpError(403, 'forbidden', 'an agent token keeps callbacks for its own agent only', [{ name: 'agent', reason: 'not your agent id' }]);
  }
}

const whoIs = (p: Principal): string => (p.role === 'agent' ? `agent:${p.agentId}` : p.role);

export function callbackRoutes(callbacks: CallbackService, clock: Clock) {
  /** A callback the principal may see, or 404 (an agent does not learn that others' exist). */
  const visible = async (req: Request, p: Principal): Promise<Callback> => {
    const cb = await callbacks.get(String(req.params.id));
    if (!cb || !mine(p, cb)) throw new HttpError(404, 'not_found', `no callback "${String(req.params.id)}"`);
    return cb;
  };
  const future = (at: string, field: string): number => {
    const t = Date.parse(at);
    if (t <= clock.now()) throw new HttpError(422, 'unprocessable', `${field}: ${at} is in the past`, [{ name: field, reason: 'must be in the future' }]);
    return t;
  };

  return (api: Router): void => {
    api.post(
      '/v1/callbacks',
      handler(async (req, res) => {
        const p = principalOf(res);
        const body = parse(CreateBody, req.body, 'body');
        ownAgentOnly(p, body.agent);
        const at = future(body.at, 'at');
        const { callback, created } = await callbacks.request({
          queue: body.queue,
          number: body.number,
          at,
          agent: body.agent ?? (p.role === 'agent' ? p.agentId : undefined),
          note: body.note,
          origin: 'scheduled',
          createdBy: whoIs(p),
        });
        res.status(created ? 201 : 200).location(`/api/v1/callbacks/${callback.id}`).json({ id: callback.id, callback });
      }, translate),
    );
    api.get(
      '/v1/callbacks',
      handler(async (req, res) => {
        const p = principalOf(res);
        const q = parse(ListQuery, req.query, 'query');
        const all = await callbacks.list(q);
        res.json({ callbacks: all.filter((cb) => mine(p, cb)) });
      }, translate),
    );
    api.get(
      '/v1/callbacks/:id',
      handler(async (req, res) => {
        res.json({ callback: await visible(req, principalOf(res)) });
      }, translate),
    );
    api.patch(
      '/v1/callbacks/:id',
      handler(async (req, res) => {
        const p = principalOf(res);
        const cb = await visible(req, p);
        const body = parse(UpdateBody, req.body, 'body');
        ownAgentOnly(p, body.agent);
        const at = body.at !== undefined ? future(body.at, 'at') : undefined;
        res.json({ callback: await callbacks.update(cb.id, { at, agent: body.agent, note: body.note }) });
      }, translate),
    );
    api.delete(
      '/v1/callbacks/:id',
      handler(async (req, res) => {
        const p = principalOf(res);
        const cb = await visible(req, p);
        res.json({ callback: await callbacks.cancel(cb.id, whoIs(p)) });
      }, translate),
    );
  };
}
