// POST /api/v1/calls/{id}/disposition: the outcome of a handled call, recorded while its agent is
// on it or in its wrap-up, by that agent or a supervisor of the agent's team (or an admin): resolved
// or not, a disposition code from the routing files, free notes, and optionally a follow-up
// callback. One per call. GET the same path reads it back.
import { z } from 'zod';
import type { NewEvent } from '../events';
import type { Api } from '../platform/http/api';
import type { Principal } from '../platform/http/auth';
import { problem } from '../platform/http/problem';
import { refuseDisposition } from './domain';
import type { DispositionStore, StoredDisposition } from './store';

export interface DispositionApi {
  store: DispositionStore;
  /** The agent's status now and its current call. */
  agentState(agentId: string): Promise<{ status: string; callId?: string } | undefined>;
  /** Whether a key may act on an agent (its scope). */
  seesAgent(p: Principal): (agentId: string) => boolean;
  codes(): ReadonlyMap<string, { label: string }>;
  /** The number that called (for a follow-up to the caller). */
  callerNumber(callId: string): Promise<string | undefined>;
  /** Schedules the follow-up callback; a refusal names the field. */
  followUp(o: { queue: string; number: string; at: number; agent: string; note?: string; createdBy: string }): Promise<{ ok: true; id: string } | { ok: false; field: string; why: string }>;
  cancelFollowUp(id: string, by: string): Promise<void>;
  publish(e: NewEvent): Promise<void>;
  /** The agent may leave a wrap-up that waited for this disposition. */
  recorded(agentId: string, callId: string): Promise<void>;
  now(): number;
}

const Body = z.strictObject({
  resolved: z.boolean().describe("The customer's matter was resolved on this contact"),
  reason: z.string().min(1).max(64).describe("A code from the routing files' dispositions"),
  notes: z.string().max(2000, 'must be at most 2000 characters').optional().describe('Free notes (kept with the disposition, never in the journal)'),
  followUp: z
    .strictObject({
      at: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date and time with a zone' }),
      number: z.string().regex(/^\+?[0-9]{1,20}$/, 'must be a phone number of digits (an optional leading +)').optional().describe("Default: the caller's number"),
    })
    .optional()
    .describe("A callback to this customer, kept for this agent, in the call's queue"),
});
const DispositionSchema = z
  .object({
    callId: z.string(),
    queue: z.string(),
    agentId: z.string(),
    resolved: z.boolean(),
    reason: z.string(),
    notes: z.string().optional(),
    followUpCallbackId: z.string().optional(),
    by: z.string(),
    at: z.number().int(),
  })
  .meta({ id: 'Disposition' });
const Params = z.object({ id: z.string().max(128) });
const whoIs = (p: Principal): string => (p.role === 'agent' ? `agent:${p.agentId}` : p.role);

export function dispositionRoutes(d: DispositionApi) {
  return (api: Api): void => {
    api.route(
      {
        method: 'post',
        path: '/calls/{id}/disposition',
        operationId: 'recordDisposition',
        summary: "Record a handled call's outcome (resolved or not, a code, notes, an optional follow-up callback)",
        tag: 'calls',
        roles: ['admin', 'supervisor', 'agent'],
        params: Params,
        body: Body,
        answers: { 201: { description: 'Recorded', schema: z.object({ disposition: DispositionSchema }) } },
        problems: [404, 409, 422],
      },
      async ({ params, body, principal }) => {
        const callId = params.id;
        const call = await d.store.call(callId);
        const refusal = refuseDisposition(
          callId,
          { call, agent: call && (await d.agentState(call.agentId)), done: call !== undefined && (await d.store.get(callId)) !== undefined },
          { role: principal.role, agentId: principal.agentId, seesAgent: d.seesAgent(principal) },
        );
        if (refusal) throw problem(refusal.status, refusal.why);
        const { queue, agentId } = call!;
        if (!d.codes().has(body.reason)) throw problem(422, `no disposition "${body.reason}" (${[...d.codes().keys()].join(', ') || 'none configured'})`, [{ name: 'reason', reason: 'not a configured disposition' }]);
        const by = whoIs(principal);
        let followUpCallbackId: string | undefined;
        if (body.followUp) {
          const at = Date.parse(body.followUp.at);
          if (at <= d.now()) throw problem(422, `followUp.at: ${body.followUp.at} is in the past`, [{ name: 'followUp.at', reason: 'must be in the future' }]);
          const number = body.followUp.number ?? (await d.callerNumber(callId));
          if (!number) throw problem(422, "the caller's number is not known: give followUp.number", [{ name: 'followUp.number', reason: 'required for this call' }]);
          const r = await d.followUp({ queue, number, at, agent: agentId, note: `follow-up of ${callId}`, createdBy: by });
          if (!r.ok) throw problem(422, r.why, [{ name: `followUp.${r.field}`, reason: r.why }]);
          followUpCallbackId = r.id;
        }
        const saved: StoredDisposition = { callId, queue, agentId, resolved: body.resolved, reason: body.reason, ...(body.notes !== undefined ? { notes: body.notes } : {}), ...(followUpCallbackId ? { followUpCallbackId } : {}), by, at: d.now() };
        if (!(await d.store.save(saved))) {
          if (followUpCallbackId) await d.cancelFollowUp(followUpCallbackId, by);
          throw problem(409, `call "${callId}" already has a disposition`);
        }
        await d.publish({ type: 'call.disposition', callId, queue, agentId, resolved: body.resolved, reason: body.reason, by, at: saved.at });
        await d.recorded(agentId, callId);
        return { status: 201, headers: { Location: `/api/v1/calls/${encodeURIComponent(callId)}/disposition` }, body: { disposition: saved } };
      },
    );
    api.route(
      { method: 'get', path: '/calls/{id}/disposition', operationId: 'getDisposition', summary: "A call's disposition", tag: 'calls', roles: ['admin', 'supervisor', 'agent'], params: Params, answers: { 200: { description: 'The disposition', schema: z.object({ disposition: DispositionSchema }) } }, problems: [404] },
      async ({ params, principal }) => {
        const found = await d.store.get(params.id);
        const mine = found && (principal.role === 'agent' ? principal.agentId === found.agentId : d.seesAgent(principal)(found.agentId));
        if (!found || !mine) throw problem(404, `no disposition for call "${params.id}"`);
        return { status: 200, body: { disposition: found } };
      },
    );
  };
}
