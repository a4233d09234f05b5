// GET /api/v1/calls: the calls in progress, with where each is (IVR, waiting, ringing an agent,
// connected), its queue and agent, and how long it has waited. Callbacks waiting in line are
// listed too (kind "callback"). A supervisor sees the calls of their teams' agents and queues;
// an agent only the call they are on. GET /api/v1/calls/{id} is the screen pop: the same, plus
// the IVR path, what the caller keyed, the flow's variables (lookup results) and the caller's
// recent contacts.
import { z } from 'zod';
import type { Api } from '../platform/http/api';
import type { Principal } from '../platform/http/auth';
import { problem } from '../platform/http/problem';
import type { CallState } from './domain/call';

/** What the ACD knows of a call (its queue entry). */
export interface QueuedCall {
  callId: string;
  queue: string;
  state: 'waiting' | 'offered' | 'connected';
  agentId?: string;
  queuedAt: number;
  enqueuedAt: number;
  priority: number;
  callerId: string;
  callback?: { id: string; number: string };
  /** On hold since then (connected calls). */
  heldAt?: number;
  /** In an assist flow (connected calls): back with the agent at its end. */
  assist?: { flow: string };
}

/** An agent's own call (src/outbound), as the list shows it. */
export interface OwnCall {
  id: string;
  agentId: string;
  /** The number the agent called. */
  number: string;
  /** The number shown to the called party. */
  callerId: string;
  state: 'ringing-agent' | 'dialling' | 'talking';
  startedAt: number;
}

/** What a screen pop adds to a call (src/contacts). */
export interface ScreenPopData {
  path: Array<{ flow: string; step: string; digit: string }>;
  inputs: Record<string, string>;
  /** The flow's variables now: set steps, lookup results, non-sensitive inputs. */
  variables: Record<string, string>;
  recent: Array<{ callId: string; at: number; number: string; queue?: string; agentId?: string; disposition?: { resolved: boolean; reason: string } }>;
}

export interface CallsApi {
  active(): Promise<CallState[]>;
  /** One call in progress: its view's parts (undefined when it is no call in progress). */
  one(callId: string): Promise<{ call?: CallState; queued?: QueuedCall } | undefined>;
  screenPop(callId: string, callerId: string): Promise<ScreenPopData>;
  queued(): Promise<QueuedCall[]>;
  /** Agents' own calls in progress (src/outbound). */
  ownCalls?(): Promise<OwnCall[]>;
  /** Which calls the key may see. */
  visibility(p: Principal): Promise<(call: { queue?: string; agentId?: string }) => boolean>;
  /** The queue a call is in (waiting or not), if it is in one. */
  queueOf(callId: string): Promise<string | undefined>;
  /** Changes a waiting call's priority; refuses (not-found, not-waiting) with WaitingCallRefused. */
  setPriority(callId: string, priority: number, by: string): Promise<{ queue: string; priority: number }>;
  /** Withdraws a waiting caller to a configured destination; refuses as setPriority does. */
  withdraw(callId: string, destination: string, by: string): Promise<{ queue: string }>;
  destinationExists(destination: string): boolean;
  /** Moves a waiting call to another queue; refuses as setPriority does. */
  moveWaiting(callId: string, queue: string, keepPlace: boolean, by: string): Promise<{ queue: string; priority: number }>;
  queueExists(queue: string): boolean;
  now(): number;
}

/** The ACD's refusals of a change to a waiting call. */
export interface WaitingRefusal {
  why: 'not-found' | 'not-waiting';
  message: string;
}
const isWaitingRefusal = (err: unknown): err is WaitingRefusal =>
  err instanceof Error && 'why' in err && ((err as { why: unknown }).why === 'not-found' || (err as { why: unknown }).why === 'not-waiting');

const PatchBody = z
  .strictObject({
    priority: z.number().int('must be a whole number').min(-1000).max(1000).optional().describe('Higher is served first; the call keeps its place among calls of the same priority'),
    queue: z.string().min(1).max(64).optional().describe('Move the call to this queue: it is offered there at once, with its priority; its wait there starts now'),
    keepPlace: z.boolean().optional().describe('With queue: keep the original entry time, so the call keeps its place among calls of the same priority (default true); false: it joins behind them'),
  })
  .refine((b) => b.priority !== undefined || b.queue !== undefined, { message: 'give priority, queue, or both' })
  .refine((b) => b.keepPlace === undefined || b.queue !== undefined, { message: 'keepPlace goes with queue', path: ['keepPlace'] });

const CallViewSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['call', 'callback', 'outbound']).describe("outbound: an agent's own call"),
    number: z.string().optional().describe('Number dialled (calls; outbound: the number the agent called)'),
    callerId: z.string().describe("Caller's number (callbacks: the number to call back; outbound: the number shown to the called party)"),
    callerName: z.string().optional().describe("Caller's name as the network sent it (CNAM, SIP display name), when any"),
    state: z.enum(['ivr', 'waiting', 'ringing', 'connected']),
    flow: z.string().optional().describe('The flow the call is in'),
    step: z.string().optional().describe('… and its step'),
    queue: z.string().optional(),
    agent: z.string().optional(),
    priority: z.number().int().optional(),
    arrivedAt: z.number().int().optional().describe('When the call arrived (epoch ms)'),
    waitSeconds: z.number().int().nonnegative().optional().describe('Seconds in the current queue so far'),
    onHold: z.boolean().optional().describe('Connected calls: the caller is on hold'),
    assistFlow: z.string().optional().describe('Connected calls: the assist flow the caller is in (back with the agent at its end)'),
  })
  .meta({ id: 'Call' });
export type CallView = z.infer<typeof CallViewSchema>;

const ScreenPopSchema = z
  .object({
    call: CallViewSchema,
    callback: z.boolean().describe('A callback (Switchboard called the customer back)'),
    ivrPath: z.array(z.object({ flow: z.string(), step: z.string(), digit: z.string() })).describe('Menu choices, in order'),
    inputs: z.record(z.string(), z.string()).describe('Non-sensitive inputs the caller keyed, by variable'),
    variables: z.record(z.string(), z.string()).describe("The flow's variables (set steps, lookup results)"),
    recentContacts: z
      .array(
        z.object({
          callId: z.string(),
          at: z.number().int(),
          number: z.string().describe('Number dialled'),
          queue: z.string().optional(),
          agent: z.string().optional(),
          disposition: z.object({ resolved: z.boolean(), reason: z.string() }).optional(),
        }),
      )
      .describe("This caller's last calls before this one, newest first"),
  })
  .meta({ id: 'ScreenPop' });

const secondsSince = (now: number, t: number): number => Math.max(0, Math.floor((now - t) / 1000));

/** Agents' own calls as the list shows them: ringing (the agent, then the number), then connected. */
export function ownCallViews(own: readonly OwnCall[]): CallView[] {
  return own.map((c) => ({ id: c.id, kind: 'outbound', number: c.number, callerId: c.callerId, state: c.state === 'talking' ? 'connected' : 'ringing', agent: c.agentId, arrivedAt: c.startedAt }));
}

export function callViews(active: readonly CallState[], queued: readonly QueuedCall[], now: number): CallView[] {
  const byId = new Map(queued.map((q) => [q.callId, q]));
  const views: CallView[] = active
    .filter((c) => c.phase !== 'ended')
    .map((c) => {
      const q = byId.get(c.callId);
      byId.delete(c.callId);
      return {
        id: c.callId,
        kind: 'call' as const,
        number: c.number,
        callerId: c.callerId,
        ...(c.callerName ? { callerName: c.callerName } : {}),
        // Handed to a destination by an attended transfer: out of the ACD, talking.
        state: q ? ({ waiting: 'waiting', offered: 'ringing', connected: 'connected' } as const)[q.state] : c.handedTo ? ('connected' as const) : ('ivr' as const),
        ...(c.ivr ? { flow: c.ivr.flowId, step: c.ivr.stepId } : {}),
        ...(q ? { queue: q.queue, priority: q.priority, waitSeconds: secondsSince(now, q.queuedAt), ...(q.agentId ? { agent: q.agentId } : {}), ...(q.state === 'connected' ? { onHold: q.heldAt !== undefined, ...(q.assist ? { assistFlow: q.assist.flow } : {}) } : {}) } : {}),
        arrivedAt: c.arrivedAt,
      };
    });
  for (const q of byId.values()) {
    if (!q.callback) continue; // an entry whose call document is gone is being cleaned up
    views.push({
      id: q.callId,
      kind: 'callback',
      callerId: q.callback.number,
      state: ({ waiting: 'waiting', offered: 'ringing', connected: 'connected' } as const)[q.state],
      queue: q.queue,
      priority: q.priority,
      waitSeconds: secondsSince(now, q.queuedAt),
      ...(q.agentId ? { agent: q.agentId } : {}),
    });
  }
  return views.sort((a, b) => (a.arrivedAt ?? 0) - (b.arrivedAt ?? 0) || a.id.localeCompare(b.id));
}

export function callRoutes(calls: CallsApi) {
  return (api: Api): void => {
    api.route(
      { method: 'get', path: '/calls', operationId: 'listCalls', summary: "Calls in progress: where each is, its queue, agent and wait so far (and agents' own calls)", tag: 'calls', roles: ['admin', 'supervisor', 'agent'], answers: { 200: { description: 'The calls the key may see', schema: z.object({ calls: z.array(CallViewSchema) }) } } },
      async ({ principal }) => {
        const [active, queued, own, visible] = await Promise.all([calls.active(), calls.queued(), calls.ownCalls?.() ?? [], calls.visibility(principal)]);
        const all = [...callViews(active, queued, calls.now()), ...ownCallViews(own)].sort((a, b) => (a.arrivedAt ?? 0) - (b.arrivedAt ?? 0) || a.id.localeCompare(b.id));
        return { status: 200, body: { calls: all.filter((c) => visible({ queue: c.queue, agentId: c.agent })) } };
      },
    );
    api.route(
      {
        method: 'get',
        path: '/calls/{id}',
        operationId: 'getCall',
        summary: "A call in progress with its screen pop: IVR path, inputs, variables, the caller's recent contacts",
        tag: 'calls',
        roles: ['admin', 'supervisor', 'agent'],
        params: z.object({ id: z.string().max(128) }),
        answers: { 200: { description: 'The call', schema: ScreenPopSchema } },
        problems: [404],
      },
      async ({ params, principal }) => {
        const found = await calls.one(params.id);
        const view = found && callViews(found.call ? [found.call] : [], found.queued ? [found.queued] : [], calls.now())[0];
        if (!view || !(await calls.visibility(principal))({ queue: view.queue, agentId: view.agent })) throw problem(404, `no call "${params.id}" in progress`);
        const pop = await calls.screenPop(params.id, view.callerId);
        return {
          status: 200,
          body: {
            call: view,
            callback: view.kind === 'callback',
            ivrPath: pop.path,
            inputs: pop.inputs,
            variables: pop.variables,
            recentContacts: pop.recent.map((c) => ({ callId: c.callId, at: c.at, number: c.number, ...(c.queue ? { queue: c.queue } : {}), ...(c.agentId ? { agent: c.agentId } : {}), ...(c.disposition ? { disposition: c.disposition } : {}) })),
          },
        };
      },
    );
    api.route(
      {
        method: 'post',
        path: '/calls/{id}/withdraw',
        operationId: 'withdrawWaitingCall',
        summary: 'Take a waiting caller out of the queue to a configured destination (it is rung)',
        tag: 'calls',
        roles: ['admin', 'supervisor'],
        params: z.object({ id: z.string().max(128) }),
        body: z.strictObject({ destination: z.string().min(1).max(64).describe('A destination from the routing files') }),
        answers: { 200: { description: 'Withdrawn: the destination is being rung', schema: z.object({ call: z.object({ id: z.string(), queue: z.string().describe('The queue it left'), destination: z.string() }) }) } },
        problems: [404, 409, 422],
      },
      async ({ params, body, principal }) => {
        const queue = await calls.queueOf(params.id);
        if (queue === undefined || !(await calls.visibility(principal))({ queue })) throw problem(404, `no call "${params.id}" in a queue`);
        if (!calls.destinationExists(body.destination)) throw problem(422, `no destination "${body.destination}"`, [{ name: 'destination', reason: 'not a configured destination' }]);
        try {
          const r = await calls.withdraw(params.id, body.destination, principal.keyId);
          return { status: 200, body: { call: { id: params.id, queue: r.queue, destination: body.destination } } };
        } catch (err) {
          if (isWaitingRefusal(err)) throw problem(err.why === 'not-found' ? 404 : 409, err.message);
          throw err;
        }
      },
    );
    api.route(
      {
        method: 'patch',
        path: '/calls/{id}',
        operationId: 'updateWaitingCall',
        summary: "Change a waiting call's priority, or move it to another queue",
        tag: 'calls',
        roles: ['admin', 'supervisor'],
        params: z.object({ id: z.string().max(128) }),
        body: PatchBody,
        answers: { 200: { description: 'The call with its new priority and queue', schema: z.object({ call: z.object({ id: z.string(), queue: z.string(), priority: z.number().int() }) }) } },
        problems: [404, 409, 422],
      },
      async ({ params, body, principal }) => {
        const queue = await calls.queueOf(params.id);
        const visible = await calls.visibility(principal);
        // A call outside the key's queues is not found, as for one that does not exist.
        if (queue === undefined || !visible({ queue })) throw problem(404, `no call "${params.id}" in a queue`);
        if (body.queue !== undefined) {
          if (!calls.queueExists(body.queue)) throw problem(422, `no queue "${body.queue}"`, [{ name: 'queue', reason: 'not a configured queue' }]);
          if (!visible({ queue: body.queue })) throw problem(403, `queue "${body.queue}" is not among the queues this key supervises`);
        }
        try {
          let r = body.priority !== undefined ? await calls.setPriority(params.id, body.priority, principal.keyId) : undefined;
          if (body.queue !== undefined) r = await calls.moveWaiting(params.id, body.queue, body.keepPlace ?? true, principal.keyId);
          return { status: 200, body: { call: { id: params.id, queue: r!.queue, priority: r!.priority } } };
        } catch (err) {
          if (isWaitingRefusal(err)) throw problem(err.why === 'not-found' ? 404 : 409, err.message);
          throw err;
        }
      },
    );
  };
}
