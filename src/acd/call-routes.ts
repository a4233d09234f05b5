// Actions on a connected call through the API: hold and resume. The call's agent (agent key),
// a supervisor of the agent's teams or an admin may act; domain/control.ts decides who and when.
import { z } from 'zod';
import type { Api } from '../platform/http/api';
import type { Principal } from '../platform/http/auth';
import { HttpError, problem } from '../platform/http/problem';
import type { Actor } from './domain/control';
import type { AcdEntry } from './ports';
import { CallActionRefused } from './service/call-control';

export interface CallControlApi {
  hold(callId: string, actor: Actor, by: string): Promise<AcdEntry>;
  resume(callId: string, actor: Actor, by: string): Promise<AcdEntry>;
  /** The key as the decisions see it: role, agent, and which agents it may act on. */
  actor(p: Principal): Actor;
}

const Params = z.object({ id: z.string().max(128) });
const ControlledCall = z
  .object({
    id: z.string(),
    queue: z.string(),
    agent: z.string(),
    onHold: z.boolean(),
    heldSeconds: z.number().int().nonnegative().describe('Time on hold in this call before the current hold (if any)'),
  })
  .meta({ id: 'ControlledCall' });

/** Who asked, as the journal records it. */
export const actorName = (p: Principal): string => (p.role === 'agent' ? `agent:${p.agentId}` : p.keyId);

/** Runs an action, answering its refusals as problems. */
export async function refusalsAsProblems<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof CallActionRefused) throw err.status === 503 ? new HttpError(503, 'unavailable', err.message, undefined, { 'Retry-After': '1' }) : problem(err.status, err.message);
    throw err;
  }
}

const view = (e: AcdEntry) => ({ id: e.callId, queue: e.queue, agent: e.agentId ?? '', onHold: e.heldAt !== undefined, heldSeconds: Math.floor((e.heldMs ?? 0) / 1000) });

export function callControlRoutes(c: CallControlApi) {
  return (api: Api): void => {
    for (const action of ['hold', 'resume'] as const) {
      api.route(
        {
          method: 'post',
          path: `/calls/{id}/${action}`,
          operationId: action === 'hold' ? 'holdCall' : 'resumeCall',
          summary: action === 'hold' ? 'Put a connected caller on hold (they hear music; the time counts in handle time)' : 'Take a caller off hold, back into the conversation',
          tag: 'calls',
          roles: ['admin', 'supervisor', 'agent'],
          params: Params,
          answers: { 200: { description: action === 'hold' ? 'On hold' : 'Back in the conversation', schema: z.object({ call: ControlledCall }) } },
          problems: [404, 409],
        },
        async ({ params, principal }) => {
          const e = await refusalsAsProblems(() => c[action](params.id, c.actor(principal), actorName(principal)));
          return { status: 200, body: { call: view(e) } };
        },
      );
    }
  };
}
