// What a caller of the API may see of the agents: admins and supervisors without teams every
// agent, a supervisor the agents of the teams their key names, an agent only themselves.
import type { Principal } from '../platform/http/auth';
import type { Team } from './config';

export type AgentScope = 'all' | ReadonlySet<string>;

export function agentScope(p: Principal, teams: ReadonlyMap<string, Team>): AgentScope {
  if (p.role === 'agent') return new Set(p.agentId !== undefined ? [p.agentId] : []);
  if (p.role === 'admin' || p.teams === undefined) return 'all';
  return new Set((p.teams ?? []).flatMap((t) => teams.get(t)?.agents ?? []));
}

export const inScope = (scope: AgentScope, agentId: string | undefined): boolean => scope === 'all' || (agentId !== undefined && scope.has(agentId));
