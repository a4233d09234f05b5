// An AgentApi over an in-memory agent list, for tests of the HTTP layer without the ACD.
import { applyAgentEvent, newAgentState } from '../../src/acd/domain/agent';
import type { AgentApi, AgentCommand } from '../../src/acd/http';
import { agentScope } from '../../src/acd/scope';
import type { Team } from '../../src/acd/config';
import type { AgentProfile, AgentState, QueueConfig } from '../../src/acd/domain/model';
import { compileRequirement } from '../../src/acd/domain/expression';
import { agentProfile, queueConfig as baseQueue } from './acd-fixtures';

export const profile = (id: string, name: string, skills: Record<string, number>): AgentProfile => agentProfile(id, skills, { name });

/** A queue whose requirement is `requires` (over the skills sales, billing, internet). */
export const queueConfig = (id: string, requires: string): QueueConfig =>
  baseQueue(id, { steps: [{ afterS: 0, requirement: compileRequirement(requires, { skills: new Set(['sales', 'billing', 'internet']) }) }] });

export interface FakeAcd extends AgentApi {
  states: Map<string, AgentState>;
  commands: string[];
  /** Thrown by the next command (to exercise the error handler). */
  failNext?: unknown;
}

export function fakeAcd(o: { agents: AgentProfile[]; queues: QueueConfig[]; teams?: Team[]; now?: () => number }): FakeAcd {
  const teams = new Map((o.teams ?? []).map((t) => [t.id, t]));
  const now = o.now ?? (() => 1_000_000);
  const fake: FakeAcd = {
    states: new Map(),
    commands: [],
    exists: (id) => o.agents.some((a) => a.id === id),
    scope: (p) => agentScope(p, teams),
    now,
    serviceLevel: async () => ({ today: null, interval: null }),
    snapshot: async () => ({ agents: o.agents, states: fake.states, queues: o.queues, waiting: [] }),
    command: async (id: string, command: AgentCommand, reason?: string) => {
      if (fake.failNext !== undefined) {
        const err = fake.failNext;
        fake.failNext = undefined;
        throw err;
      }
      fake.commands.push(`${id} ${command}${reason ? ` ${reason}` : ''}`);
      const before = fake.states.get(id) ?? applyAgentEvent(newAgentState(id, 0), { type: 'reachability', reachable: true, at: 0 });
      const after = applyAgentEvent(before, command === 'pause' ? { type: 'pause', reason: reason ?? 'break', at: now() } : { type: command, at: now() });
      fake.states.set(id, after);
      return after;
    },
  };
  return fake;
}
