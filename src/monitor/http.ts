// Monitoring through the API: POST /api/v1/calls/{id}/monitor rings the supervisor's phone for a
// session (it starts when answered); GET /api/v1/monitors lists sessions; PATCH changes the mode;
// DELETE ends the session without touching the call. Admins and supervisors (their teams' agents).
import { z } from 'zod';
import type { Api } from '../platform/http/api';
import type { Principal } from '../platform/http/auth';
import { refusalProblem } from '../platform/http/problem';
import { MONITOR_MODES, type Monitorer } from './domain/decide';
import { MonitorRefused, type MonitorService } from './service';
import type { MonitorSession } from './store';

export interface MonitorApi {
  service: MonitorService;
  actor(p: Principal): Monitorer;
}

const Mode = z.enum(MONITOR_MODES).describe('listen: hears both sides, heard by nobody; whisper: heard by the agent only; barge: joins the conversation');
const SessionSchema = z
  .object({
    id: z.string(),
    callId: z.string(),
    agent: z.string(),
    queue: z.string(),
    supervisor: z.string().describe("The supervisor's phone"),
    mode: Mode,
    state: z.enum(['ringing', 'active']).describe("ringing: the supervisor's phone rings; active: it answered"),
    createdAt: z.number().int(),
    startedAt: z.number().int().optional(),
  })
  .meta({ id: 'MonitorSession' });
const view = (s: MonitorSession) => ({ id: s.id, callId: s.callId, agent: s.agentId, queue: s.queue, supervisor: s.supervisor, mode: s.mode, state: s.state, createdAt: s.createdAt, ...(s.startedAt !== undefined ? { startedAt: s.startedAt } : {}) });
const Id = z.object({ id: z.string().max(160) });

async function answering<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof MonitorRefused) throw refusalProblem(err.status, err.message, err.field);
    throw err;
  }
}

export function monitorRoutes(m: MonitorApi) {
  return (api: Api): void => {
    api.route(
      {
        method: 'post',
        path: '/calls/{id}/monitor',
        operationId: 'monitorCall',
        summary: "Listen to, whisper to or barge into an agent's call from a supervisor's phone (it rings; answered, the session starts)",
        tag: 'monitoring',
        roles: ['admin', 'supervisor'],
        params: Id,
        body: z.strictObject({ mode: Mode, supervisor: z.string().min(1).max(64).describe("The supervisor's phone (supervisors in the routing files)") }),
        answers: { 201: { description: "The session; the supervisor's phone is ringing", schema: z.object({ monitor: SessionSchema }) } },
        problems: [404, 409, 422],
      },
      async ({ params, body, principal }) => {
        const s = await answering(() => m.service.start(params.id, body, m.actor(principal), principal.keyId));
        return { status: 201, headers: { Location: `/api/v1/monitors/${encodeURIComponent(s.id)}` }, body: { monitor: view(s) } };
      },
    );
    api.route(
      { method: 'get', path: '/monitors', operationId: 'listMonitors', summary: 'Monitoring sessions (ringing or active) on the calls of the agents the key supervises', tag: 'monitoring', roles: ['admin', 'supervisor'], answers: { 200: { description: 'The sessions', schema: z.object({ monitors: z.array(SessionSchema) }) } } },
      async ({ principal }) => ({ status: 200, body: { monitors: (await m.service.sessions(m.actor(principal))).map(view) } }),
    );
    api.route(
      {
        method: 'patch',
        path: '/monitors/{id}',
        operationId: 'changeMonitorMode',
        summary: 'Switch a session to another mode',
        tag: 'monitoring',
        roles: ['admin', 'supervisor'],
        params: Id,
        body: z.strictObject({ mode: Mode }),
        answers: { 200: { description: 'The session in its new mode', schema: z.object({ monitor: SessionSchema }) } },
        problems: [404],
      },
      async ({ params, body, principal }) => {
        const s = await answering(() => m.service.changeMode(params.id, body.mode, m.actor(principal), principal.keyId));
        return { status: 200, body: { monitor: view(s) } };
      },
    );
    api.route(
      { method: 'delete', path: '/monitors/{id}', operationId: 'endMonitor', summary: "End a session (the supervisor's phone is hung up; the call goes on)", tag: 'monitoring', roles: ['admin', 'supervisor'], params: Id, answers: { 204: { description: 'Ended' } }, problems: [404] },
      async ({ params, principal, res }) => {
        await answering(() => m.service.stop(params.id, m.actor(principal)));
        res.status(204).end();
        return 'sent';
      },
    );
  };
}
