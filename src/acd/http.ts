// The ACD's HTTP routes: the live views of queues and agents, and agents' status (login, logout,
// ready, pause). What a key sees is its scope (scope.ts): a supervisor's teams, an agent itself.
import { z } from 'zod';
import type { Api } from '../platform/http/api';
import { problem } from '../platform/http/problem';
import type { Principal } from '../platform/http/auth';
import { TransitionRefused } from './domain/agent';
import { AGENT_STATUSES, agentView, queueViews, type AgentView } from './domain/views';
import type { AgentProfile, AgentState, QueueConfig, QueueEntry } from './domain/model';
import { inScope, type AgentScope } from './scope';
import { DispositionPending, PauseReasonRefused, RemoteLoginRefused } from './service/acd-service';

export type AgentCommand = 'login' | 'logout' | 'pause' | 'ready';
const COMMANDS: readonly AgentCommand[] = ['login', 'logout', 'pause', 'ready'];

export interface AcdSnapshot {
  agents: readonly AgentProfile[];
  states: ReadonlyMap<string, AgentState>;
  queues: readonly QueueConfig[];
  waiting: ReadonlyArray<Pick<QueueEntry, 'queue' | 'queuedAt'>>;
}

export interface AgentApi {
  /** `reason`: the pause reason, or why the agent logs out; `by`: who asked. */
  command(agentId: string, command: AgentCommand, reason?: string, by?: string, remote?: string): Promise<AgentState>;
  snapshot(): Promise<AcdSnapshot>;
  exists(agentId: string): boolean;
  scope(p: Principal): AgentScope;
  /** Service level (0–1, the queue's headline formula) today and in the current 15-minute interval; null without calls. */
  serviceLevel(queue: string): Promise<{ today: number | null; interval: number | null }>;
  now(): number;
}

const Status = z.enum(AGENT_STATUSES as [string, ...string[]]);
export const AgentViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    status: Status,
    reason: z.string().optional().describe('Pause reason code (paused only)'),
    since: z.number().int().optional().describe('When the agent entered this status (epoch ms)'),
    timeInStateSeconds: z.number().int().nonnegative(),
    callId: z.string().optional().describe('The call offered to or handled by the agent'),
    reachable: z.boolean().describe('Phone registered and not busy outside Switchboard (or logged in remotely)'),
    remote: z.boolean().describe('Logged in at an external number instead of the SIP phone'),
    queues: z.array(z.string()).describe('Queues the agent serves'),
    callsTaken: z.number().int().nonnegative(),
  })
  .meta({ id: 'Agent' });
const ratio = z.number().min(0).max(1).nullable();
export const QueueViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    waiting: z.number().int().nonnegative(),
    longestWaitSeconds: z.number().int().nonnegative(),
    overThreshold: z.number().int().nonnegative().describe("Waiting callers past the queue's service-level threshold"),
    serviceLevel: z.object({
      thresholdSeconds: z.number(),
      target: z.number().describe('0–1'),
      today: ratio.describe('Headline service level today (docs/statistics.md)'),
      interval: ratio.describe('… in the current 15-minute interval'),
    }),
    agents: z.record(Status, z.number().int().nonnegative()).describe('Agents serving the queue, by status'),
  })
  .meta({ id: 'Queue' });

const AgentParams = z.object({ id: z.string().max(64) });
const CommandBody = z
  .strictObject({
    reason: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be a code of lowercase letters, digits, "-" and "_"').optional().describe('pause: the pause reason code; logout: why (recorded in the journal, e.g. "end-of-shift")'),
    number: z.string().regex(/^\+?[0-9]{1,20}$/, 'must be a phone number of digits (an optional leading +)').optional().describe("login: work remotely at this number (the agent's remote settings allow it; rung through the trunk)"),
  })
  .optional();
const AGENT_PROBLEMS = [404, 409, 422] as const;

/** The ACD's refusals, as HTTP answers. */
function refusal(err: unknown): never {
  if (err instanceof TransitionRefused || err instanceof DispositionPending) throw problem(409, err.message);
  if (err instanceof PauseReasonRefused) throw problem(422, err.message, [{ name: 'reason', reason: err.message }]);
  if (err instanceof RemoteLoginRefused) throw problem(422, err.message, [{ name: 'number', reason: err.message }]);
  throw err;
}

export function agentRoutes(acd: AgentApi) {
  const views = async (p: Principal): Promise<{ agents: AgentView[]; snap: AcdSnapshot; scope: AgentScope }> => {
    const snap = await acd.snapshot();
    const now = acd.now();
    const scope = acd.scope(p);
    return { agents: snap.agents.map((a) => agentView(a, snap.states.get(a.id), snap.queues, now)), snap, scope };
  };
  /** 404 for an agent out of scope too: a key does not learn which other agents exist. */
  const visibleAgent = (p: Principal, id: string): void => {
    if (!inScope(acd.scope(p), id) || !acd.exists(id)) throw problem(404, `no agent "${id}"`);
  };

  return (api: Api): void => {
    api.route(
      { method: 'get', path: '/agents', operationId: 'listAgents', summary: 'Agents: state, reason, time in state, current call, queues', tag: 'agents', roles: ['admin', 'supervisor', 'agent'], answers: { 200: { description: 'The agents the key may see', schema: z.object({ agents: z.array(AgentViewSchema) }) } } },
      async ({ principal }) => {
        const { agents, scope } = await views(principal);
        return { status: 200, body: { agents: agents.filter((a) => inScope(scope, a.id)) } };
      },
    );
    api.route(
      { method: 'get', path: '/agents/{id}', operationId: 'getAgent', summary: 'One agent', tag: 'agents', roles: ['admin', 'supervisor', 'agent'], params: AgentParams, answers: { 200: { description: 'The agent', schema: z.object({ agent: AgentViewSchema }) } }, problems: [404] },
      async ({ principal, params }) => {
        visibleAgent(principal, params.id);
        const { agents } = await views(principal);
        const agent = agents.find((a) => a.id === params.id);
        if (!agent) throw problem(404, `no agent "${params.id}"`);
        return { status: 200, body: { agent } };
      },
    );
    for (const command of COMMANDS) {
      api.route(
        {
          method: 'post',
          path: `/agents/{id}/${command}`,
          operationId: `agent${command[0]!.toUpperCase()}${command.slice(1)}`,
          summary: { login: 'Log the agent in', logout: 'Log the agent out', pause: 'Pause the agent (with a reason code)', ready: 'Make the agent ready for calls' }[command],
          tag: 'agents',
          roles: ['admin', 'supervisor', 'agent'],
          params: AgentParams,
          body: CommandBody,
          answers: { 200: { description: "The agent's new state", schema: z.object({ agent: AgentViewSchema }) } },
          problems: AGENT_PROBLEMS,
        },
        async ({ principal, params, body }) => {
          // Scope first: an agent key must not learn which other agent ids exist.
          if (principal.role === 'agent' && principal.agentId !== params.id) throw problem(403, 'an agent key acts only for its own agent');
          if (!inScope(acd.scope(principal), params.id)) throw problem(403, `agent "${params.id}" is not in the teams this key supervises`);
          if (!acd.exists(params.id)) throw problem(404, `no agent "${params.id}"`);
          if (body?.reason !== undefined && command !== 'pause' && command !== 'logout') throw problem(400, `body: reason: only pause and logout take a reason`, [{ name: 'reason', reason: 'only pause and logout take a reason' }]);
          if (body?.number !== undefined && command !== 'login') throw problem(400, `body: number: only login takes a number`, [{ name: 'number', reason: 'only login takes a number' }]);
          const by = principal.role === 'agent' ? `agent:${principal.agentId}` : principal.keyId;
          const state = await acd.command(params.id, command, body?.reason, by, body?.number).catch(refusal);
          const snap = await acd.snapshot();
          const profile = snap.agents.find((a) => a.id === params.id);
          if (!profile) throw problem(404, `no agent "${params.id}"`);
          return { status: 200, body: { agent: agentView(profile, state, snap.queues, acd.now()) } };
        },
      );
    }
    api.route(
      { method: 'get', path: '/queues', operationId: 'listQueues', summary: 'Queues: waiting, longest wait, agents by state, service level today and in the current interval', tag: 'queues', roles: ['admin', 'supervisor', 'agent'], answers: { 200: { description: 'The queues the key may see (a supervisor: those their teams serve; an agent: their own)', schema: z.object({ queues: z.array(QueueViewSchema) }) } } },
      async ({ principal }) => {
        const { agents, snap, scope } = await views(principal);
        const seen = scope === 'all' ? undefined : new Set(agents.filter((a) => scope.has(a.id)).flatMap((a) => a.queues));
        const queues = queueViews(snap.queues, agents, snap.waiting, acd.now()).filter((q) => !seen || seen.has(q.id));
        const withSl = await Promise.all(queues.map(async (q) => ({ ...q, serviceLevel: { ...q.serviceLevel, ...(await acd.serviceLevel(q.id)) } })));
        return { status: 200, body: { queues: withSl } };
      },
    );
  };
}
