// switchboard callback …: the callbacks API from the command line (docs/callbacks.md).
import { parseArgs } from 'node:util';
import { callApi } from './api-client';

export const CALLBACK_USAGE = `  callback add <number> <queue> <at> [--agent id] [--note text]
                             schedule a callback (at: ISO 8601, e.g. 2026-12-01T10:00:00Z)
  callback list [--queue q] [--agent id] [--state s]
  callback show <id> | callback cancel <id>
  callback move <id> <at>    change its time (also --agent id, --note text)
`;

export async function cmdCallback(args: string[], usage: string): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { agent: { type: 'string' }, note: { type: 'string' }, queue: { type: 'string' }, state: { type: 'string' } } });
  } catch (err) {
    process.stderr.write(`switchboard: ${(err as Error).message}\n${usage}`);
    return 2;
  }
  const [verb, ...pos] = parsed.positionals;
  const o = parsed.values;
  const one = (id: string | undefined) => `/api/v1/callbacks/${encodeURIComponent(id ?? '')}`;
  switch (verb) {
    case 'add':
      if (pos.length !== 3) break;
      return callApi('POST', '/api/v1/callbacks', { number: pos[0], queue: pos[1], at: pos[2], agent: o.agent, note: o.note });
    case 'list': {
      const q = new URLSearchParams(Object.entries({ queue: o.queue, agent: o.agent, state: o.state }).filter((e): e is [string, string] => e[1] !== undefined));
      return callApi('GET', `/api/v1/callbacks${q.size ? `?${q}` : ''}`);
    }
    case 'show':
      if (pos.length !== 1) break;
      return callApi('GET', one(pos[0]));
    case 'cancel':
      if (pos.length !== 1) break;
      return callApi('DELETE', one(pos[0]));
    case 'move':
      if (pos.length !== 2) break;
      return callApi('PATCH', one(pos[0]), { at: pos[1], agent: o.agent, note: o.note });
  }
  process.stderr.write(usage);
  return 2;
}
