// GET /api/v1/stats/queues and /stats/agents: a day's figures, or per 15-minute interval, as JSON
// or CSV (`Accept: text/csv` or `format=csv`). Supervisors with teams see their teams' agents
// and the queues those agents serve; an agent key only its own agent's figures.
import { z } from 'zod';
import type { Api } from '../platform/http/api';
import type { Principal } from '../platform/http/auth';
import { problem } from '../platform/http/problem';
import type { StatsQueries } from './queries';
import { AGENT_CSV_COLUMNS, AgentStatsRowSchema, QUEUE_CSV_COLUMNS, QueueStatsRowSchema, toCsv } from './rows';

export interface StatsScope {
  queues: 'all' | ReadonlySet<string>;
  agents: 'all' | ReadonlySet<string>;
}

const Query = z.strictObject({
  date: z.iso.date({ error: 'must be a date, YYYY-MM-DD' }).describe('Local date (SWITCHBOARD_STATS_TIMEZONE)'),
  interval: z.literal('15m', { error: 'must be 15m (omit it for whole days)' }).optional().describe('15m: one row per 15-minute interval with data; absent: one row per id for the day'),
  format: z.enum(['json', 'csv']).optional().describe('csv: the same rows as CSV (as Accept: text/csv)'),
});
const QueueQuery = Query.extend({ queue: z.string().max(64).optional().describe('Only this queue') });
const AgentQuery = Query.extend({ agent: z.string().max(64).optional().describe('Only this agent') });

const wantsCsv = (format: string | undefined, accept: string | undefined): boolean => format === 'csv' || (format === undefined && /\btext\/csv\b/.test(accept ?? ''));
const ids = (scope: 'all' | ReadonlySet<string>, one: string | undefined): ReadonlySet<string> | undefined => {
  if (one !== undefined) return scope === 'all' || scope.has(one) ? new Set([one]) : new Set();
  return scope === 'all' ? undefined : scope;
};

export function statsRoutes(queries: StatsQueries, scopeOf: (p: Principal) => StatsScope) {
  return (api: Api): void => {
    api.route(
      {
        method: 'get',
        path: '/stats/queues',
        operationId: 'queueStats',
        summary: "Queues' figures for a day, or per 15-minute interval (docs/statistics.md)",
        tag: 'statistics',
        roles: ['admin', 'supervisor'],
        query: QueueQuery,
        answers: { 200: { description: 'Rows, oldest interval first', schema: z.object({ rows: z.array(QueueStatsRowSchema) }), alternatives: { 'text/csv': undefined } } },
      },
      async ({ query, principal, req, res }) => {
        const rows = await queries.queues({ date: query.date, interval: query.interval === '15m', ids: ids(scopeOf(principal).queues, query.queue) });
        if (!wantsCsv(query.format, req.get('accept'))) return { status: 200, body: { rows } };
        res.status(200).type('text/csv; charset=utf-8').set('Content-Disposition', `attachment; filename="queues-${query.date}.csv"`).send(toCsv(rows, QUEUE_CSV_COLUMNS));
        return 'sent';
      },
    );
    api.route(
      {
        method: 'get',
        path: '/stats/agents',
        operationId: 'agentStats',
        summary: "Agents' figures for a day, or per 15-minute interval (an agent key: its own)",
        tag: 'statistics',
        roles: ['admin', 'supervisor', 'agent'],
        query: AgentQuery,
        answers: { 200: { description: 'Rows, oldest interval first', schema: z.object({ rows: z.array(AgentStatsRowSchema) }), alternatives: { 'text/csv': undefined } } },
      },
      async ({ query, principal, req, res }) => {
        const scope = scopeOf(principal).agents;
        if (principal.role === 'agent' && query.agent !== undefined && query.agent !== principal.agentId) throw problem(403, 'an agent key sees its own figures only');
        const rows = await queries.agents({ date: query.date, interval: query.interval === '15m', ids: ids(scope, query.agent) });
        if (!wantsCsv(query.format, req.get('accept'))) return { status: 200, body: { rows } };
        res.status(200).type('text/csv; charset=utf-8').set('Content-Disposition', `attachment; filename="agents-${query.date}.csv"`).send(toCsv(rows, AGENT_CSV_COLUMNS));
        return 'sent';
      },
    );
  };
}
