// Agents' own calls through the API: POST /api/v1/agents/{id}/calls places one (the agent
// itself, a supervisor of its team, an admin); GET lists the one in progress; DELETE hangs it up.
import { z } from 'zod';
import type { Api } from '../platform/http/api';
import type { Principal } from '../platform/http/auth';
import { problem, refusalProblem } from '../platform/http/problem';
import { OutboundRefused, type OutboundCall, type OutboundService } from './service';

export interface OutboundApi {
  service: OutboundService;
  /** May the key act for this agent (itself, its teams, everything)? */
  mayActFor(p: Principal, agentId: string): boolean;
}

const CallSchema = z
  .object({ id: z.string(), agent: z.string(), number: z.string(), state: z.enum(['ringing-agent', 'dialling', 'talking']), startedAt: z.number().int(), answeredAt: z.number().int().optional() })
  .meta({ id: 'OutboundCall' });
const view = (c: OutboundCall) => ({ id: c.id, agent: c.agentId, number: c.number, state: c.state, startedAt: c.startedAt, ...(c.answeredAt !== undefined ? { answeredAt: c.answeredAt } : {}) });
const Agent = z.object({ id: z.string().max(64) });
const ROLES = ['admin', 'supervisor', 'agent'] as const;

async function answering<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof OutboundRefused) throw refusalProblem(err.status, err.message, err.field);
    throw err;
  }
}

export function outboundRoutes(o: OutboundApi) {
  const check = (p: Principal, agentId: string) => {
    if (!o.mayActFor(p, agentId)) throw problem(403, p.role === 'agent' ? 'an agent key acts only for its own agent' : `agent "${agentId}" is not in the teams this key supervises`);
  };
  return (api: Api): void => {
    api.route(
      {
        method: 'post',
        path: '/agents/{id}/calls',
        operationId: 'placeAgentCall',
        summary: "Place a call of the agent's own: their phone rings first, then the number (allowed by their outbound settings)",
        tag: 'agents',
        roles: ROLES,
        params: Agent,
        body: z.strictObject({ number: z.string().regex(/^\+?[0-9]{1,20}$/, 'must be a phone number of digits (an optional leading +)').describe('The number to call') }),
        answers: { 201: { description: "The call; the agent's phone is ringing", schema: z.object({ call: CallSchema }) } },
        problems: [404, 409, 422],
      },
      async ({ params, body, principal }) => {
        check(principal, params.id);
        const c = await answering(() => o.service.start(params.id, body.number, principal.role === 'agent' ? `agent:${principal.agentId}` : principal.keyId));
        return { status: 201, body: { call: view(c) } };
      },
    );
    api.route(
      { method: 'get', path: '/agents/{id}/calls', operationId: 'listAgentCalls', summary: "The agent's own call in progress, if any", tag: 'agents', roles: ROLES, params: Agent, answers: { 200: { description: 'Zero or one call', schema: z.object({ calls: z.array(CallSchema) }) } } },
      async ({ params, principal }) => {
        check(principal, params.id);
        const c = await o.service.ofAgent(params.id);
        return { status: 200, body: { calls: c ? [view(c)] : [] } };
      },
    );
    api.route(
      { method: 'delete', path: '/agents/{id}/calls/{callId}', operationId: 'endAgentCall', summary: "Hang up the agent's own call", tag: 'agents', roles: ROLES, params: z.object({ id: z.string().max(64), callId: z.string().max(64) }), answers: { 204: { description: 'Hung up' } }, problems: [404] },
      async ({ params, principal, res }) => {
        check(principal, params.id);
        await answering(() => o.service.stop(params.id, params.callId));
        res.status(204).end();
        return 'sent';
      },
    );
  };
}
