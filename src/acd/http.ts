// The ACD's HTTP routes: agents' status (login, logout, ready, pause) and the agent list.
import type { Router } from 'express';
import { z } from 'zod';
import { handler } from '../platform/http/app';
import { HttpError, mayActFor, principalOf } from '../platform/http/auth';
import { TransitionRefused } from './domain/agent';
import type { AgentState } from './domain/model';
import { PauseReasonRefused } from './service/acd-service';

export type AgentCommand = 'login' | 'logout' | 'pause' | 'ready';
const COMMANDS: readonly AgentCommand[] = ['login', 'logout', 'pause', 'ready'];

export interface AgentApi {
  command(agentId: string, command: AgentCommand, reason?: string): Promise<AgentState>;
  list(): Promise<Array<{ id: string; name: string; state: AgentState | undefined }>>;
  exists(agentId: string): boolean;
}

const AgentCommandBody = z.strictObject({ reason: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/).optional() }).optional();

/** The ACD's refusals, as HTTP answers. */
function translate(err: unknown): HttpError | undefined {
  if (err instanceof TransitionRefused) return new HttpError(409, 'conflict', err.message);
  if (err instanceof PauseReasonRefused) return new HttpError(400, 'bad_request', err.message);
  return undefined;
}

export function agentRoutes(agents: AgentApi) {
  return (api: Router): void => {
    api.get(
      '/agents',
      handler(async (_req, res) => {
        const p = principalOf(res);
        const all = await agents.list();
        res.json({ agents: all.filter((a) => p.role !== 'agent' || a.id === p.agentId) });
      }),
    );
    api.post(
      '/agents/:id/:command',
      handler(async (req, res) => {
        const id = String(req.params.id);
        const command = String(req.params.command) as AgentCommand;
        // Role first: an agent token must not learn which other agent ids exist.
        if (!mayActFor(principalOf(res), id)) throw new HttpError(403, 'forbidden', 'an agent token acts only for its own agent');
        if (!COMMANDS.includes(command)) throw new HttpError(404, 'not_found', `no agent command "${command}" (login, logout, pause, ready)`);
        if (!agents.exists(id)) throw new HttpError(404, 'not_found', `no agent "${id}"`);
        const body = AgentCommandBody.safeParse(req.body && Object.keys(req.body as object).length > 0 ? req.body : undefined);
        if (!body.success) throw new HttpError(400, 'bad_request', `body: ${body.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
        res.json({ agent: await agents.command(id, command, body.data?.reason) });
      }, translate),
    );
  };
}
