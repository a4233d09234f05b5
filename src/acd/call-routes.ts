// Actions on a connected call through the API: hold, resume, transfer, and an assist flow. The call's agent
// (agent key), a supervisor of the agent's teams or an admin may act; domain/control.ts decides
// who and when. Transfer targets are names from the routing files, never a dial string.
import { z } from 'zod';
import type { Api } from '../platform/http/api';
import type { Principal } from '../platform/http/auth';
import { problem, refusalProblem } from '../platform/http/problem';
import type { Actor } from './domain/control';
import type { AcdEntry } from './ports';
import { CallActionRefused } from './service/call-control';
import type { TransferTarget } from './service/transfers';

export interface CallControlApi {
  hold(callId: string, actor: Actor, by: string): Promise<AcdEntry>;
  resume(callId: string, actor: Actor, by: string): Promise<AcdEntry>;
  /** A blind transfer; the entry where the call now waits (none for a destination). */
  transfer(callId: string, target: TransferTarget, actor: Actor, by: string): Promise<AcdEntry | undefined>;
  /** An attended transfer's steps: consult an agent, then complete or cancel. */
  consult(callId: string, agentId: string, actor: Actor, by: string): Promise<AcdEntry>;
  /** An attended transfer to a queue: its free agent the strategy picks is consulted. */
  consultQueue(callId: string, queue: string, actor: Actor, by: string): Promise<AcdEntry>;
  /** An attended transfer to a configured destination: rung while the caller holds. */
  consultDestination(callId: string, destination: string, actor: Actor, by: string): Promise<AcdEntry>;
  completeTransfer(callId: string, actor: Actor, by: string): Promise<AcdEntry>;
  cancelTransfer(callId: string, actor: Actor, by: string): Promise<AcdEntry>;
  /** The caller goes to one of the queue's assist flows and comes back to the agent at its end. */
  assist(callId: string, flow: string, actor: Actor, by: string): Promise<AcdEntry>;
  /** What a transfer may name, from the running configuration. */
  targets(): { queues: ReadonlySet<string>; agents: ReadonlySet<string>; destinations: ReadonlySet<string> };
  /** The flow that takes a caller to a configured destination. */
  destinationFlow(destination: string): string;
  /** The key as the decisions see it: role, agent, and which agents it may act on. */
  actor(p: Principal): Actor;
}

const TransferBody = z
  .strictObject({
    mode: z.enum(['blind', 'attended']).describe('blind: the call goes at once; attended (to an agent, to a queue: the free agent its strategy picks, or to a destination): the caller waits on hold while the agent talks to the target, then /transfer/complete or /transfer/cancel'),
    queue: z.string().min(1).max(64).optional().describe('A queue: the caller waits there with their priority'),
    agent: z.string().min(1).max(64).optional().describe('An agent, who must be available: offered to them first (whatever the queue requires), then to anyone eligible in the queue'),
    destination: z.string().min(1).max(64).optional().describe('A destination from the routing files: the caller leaves the queues and it is rung'),
    keepPlace: z.boolean().optional().describe('With queue: keep the original entry time, so the caller keeps their place among equal priorities (default false: they join behind them)'),
  })
  .refine((b) => [b.queue, b.agent, b.destination].filter((x) => x !== undefined).length === 1, { message: 'name exactly one of queue, agent, destination' })
  .refine((b) => b.keepPlace === undefined || b.queue !== undefined, { message: 'keepPlace goes with queue', path: ['keepPlace'] });

const Params = z.object({ id: z.string().max(128) });
const ControlledCall = z
  .object({
    id: z.string(),
    queue: z.string(),
    agent: z.string(),
    onHold: z.boolean(),
    heldSeconds: z.number().int().nonnegative().describe('Time on hold in this call before the current hold (if any)'),
    assistFlow: z.string().optional().describe('The assist flow the caller is in (they come back to the agent at its end)'),
  })
  .meta({ id: 'ControlledCall' });

/** Who asked, as the journal records it. */
export const actorName = (p: Principal): string => (p.role === 'agent' ? `agent:${p.agentId}` : p.keyId);

/** Runs an action, answering its refusals as problems. */
export async function refusalsAsProblems<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof CallActionRefused) throw refusalProblem(err.status, err.message, err.field);
    throw err;
  }
}

const view = (e: AcdEntry) => ({ id: e.callId, queue: e.queue, agent: e.agentId ?? '', onHold: e.heldAt !== undefined, heldSeconds: Math.floor((e.heldMs ?? 0) / 1000), ...(e.assist ? { assistFlow: e.assist.flow } : {}) });

const AssistBody = z.strictObject({ flow: z.string().min(1).max(64).describe("One of the queue's assistFlows (routing files)") });

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
    api.route(
      {
        method: 'post',
        path: '/calls/{id}/transfer',
        operationId: 'transferCall',
        summary: 'Transfer a connected call to a queue, an agent or a configured destination (its agent goes to wrap-up)',
        tag: 'calls',
        roles: ['admin', 'supervisor', 'agent'],
        params: Params,
        body: TransferBody,
        answers: {
          200: {
            description: 'Blind: transferred, where the call is now. Attended: the colleague is being rung (state consulting)',
            schema: z.object({
              transfer: z.object({
                id: z.string(),
                mode: z.enum(['blind', 'attended']),
                to: z.enum(['queue', 'agent', 'destination']),
                target: z.string(),
                queue: z.string().optional().describe('The queue the caller now waits in (blind transfers to a queue or an agent)'),
                agent: z.string().optional().describe('Attended to a queue: the agent being rung'),
                state: z.enum(['done', 'consulting']),
              }),
            }),
          },
        },
        problems: [404, 409, 422],
      },
      async ({ params, body, principal }) => {
        const target = transferTarget(body, c);
        if (body.mode === 'attended') {
          if (target.kind === 'destination') {
            await refusalsAsProblems(() => c.consultDestination(params.id, target.destination, c.actor(principal), actorName(principal)));
            return { status: 200, body: { transfer: { id: params.id, mode: 'attended' as const, to: 'destination' as const, target: target.destination, state: 'consulting' as const } } };
          }
          if (target.kind === 'queue') {
            if (body.keepPlace !== undefined) throw problem(422, 'keepPlace goes with a blind transfer (an attended one reaches an agent at once)', [{ name: 'keepPlace', reason: 'blind transfers only' }]);
            const e = await refusalsAsProblems(() => c.consultQueue(params.id, target.queue, c.actor(principal), actorName(principal)));
            return { status: 200, body: { transfer: { id: params.id, mode: 'attended' as const, to: 'queue' as const, target: target.queue, agent: e.consult?.agentId, state: 'consulting' as const } } };
          }
          await refusalsAsProblems(() => c.consult(params.id, target.agentId, c.actor(principal), actorName(principal)));
          return { status: 200, body: { transfer: { id: params.id, mode: 'attended' as const, to: 'agent' as const, target: target.agentId, state: 'consulting' as const } } };
        }
        const e = await refusalsAsProblems(() => c.transfer(params.id, target, c.actor(principal), actorName(principal)));
        const name = target.kind === 'queue' ? target.queue : target.kind === 'agent' ? target.agentId : target.destination;
        return { status: 200, body: { transfer: { id: params.id, mode: 'blind' as const, to: target.kind, target: name, state: 'done' as const, ...(e ? { queue: e.queue } : {}) } } };
      },
    );
    finishRoutes(c, api);
    api.route(
      {
        method: 'post',
        path: '/calls/{id}/assist',
        operationId: 'assistCall',
        summary: "Send the connected caller to one of the queue's assist flows (a payment IVR); the agent stays on the line and gets the caller back when the flow ends",
        tag: 'calls',
        roles: ['admin', 'supervisor', 'agent'],
        params: Params,
        body: AssistBody,
        answers: { 200: { description: 'The caller is in the flow', schema: z.object({ call: ControlledCall }) } },
        problems: [404, 409, 422],
      },
      async ({ params, body, principal }) => {
        const e = await refusalsAsProblems(() => c.assist(params.id, body.flow, c.actor(principal), actorName(principal)));
        return { status: 200, body: { call: view(e) } };
      },
    );
  };
}

/** The attended transfer's last step: the caller to the colleague, or back to the agent. */
function finishRoutes(c: CallControlApi, api: Api): void {
  for (const step of ['complete', 'cancel'] as const) {
    api.route(
      {
        method: 'post',
        path: `/calls/{id}/transfer/${step}`,
        operationId: step === 'complete' ? 'completeTransfer' : 'cancelTransfer',
        summary: step === 'complete' ? 'Complete an attended transfer: the caller joins the colleague, the agent goes to wrap-up' : 'Cancel an attended transfer: the colleague is released, the caller back with the agent',
        tag: 'calls',
        roles: ['admin', 'supervisor', 'agent'],
        params: Params,
        answers: { 200: { description: step === 'complete' ? 'Completed: the call is with the colleague' : 'Cancelled: the call is with its agent again', schema: z.object({ call: ControlledCall }) } },
        problems: [404, 409],
      },
      async ({ params, principal }) => {
        const run = step === 'complete' ? c.completeTransfer : c.cancelTransfer;
        const e = await refusalsAsProblems(() => run(params.id, c.actor(principal), actorName(principal)));
        return { status: 200, body: { call: view(e) } };
      },
    );
  }
}

/** The body's target, checked against the routing files (422 naming the field). */
function transferTarget(b: z.infer<typeof TransferBody>, c: CallControlApi): TransferTarget {
  const known = c.targets();
  const unknown = (field: string, what: string, name: string) => problem(422, `no ${what} "${name}"`, [{ name: field, reason: `not a configured ${what}` }]);
  if (b.queue !== undefined) {
    if (!known.queues.has(b.queue)) throw unknown('queue', 'queue', b.queue);
    return { kind: 'queue', queue: b.queue, keepPlace: b.keepPlace ?? false };
  }
  if (b.agent !== undefined) {
    if (!known.agents.has(b.agent)) throw unknown('agent', 'agent', b.agent);
    return { kind: 'agent', agentId: b.agent };
  }
  const destination = b.destination!;
  if (!known.destinations.has(destination)) throw unknown('destination', 'destination', destination);
  return { kind: 'destination', destination, flow: c.destinationFlow(destination) };
}
