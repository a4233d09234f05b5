// API keys in the routing files, kept hashed: `apiKeys: { <id>: { role, sha256, agent?, teams? } }`.
// The token itself is never written anywhere Switchboard reads; `switchboard apikey new` makes a
// token and the line to paste. An agent key names an agent that exists; a supervisor key may
// name the teams it supervises (none: every team).
import { z } from 'zod';
import { entriesKey, type Section } from '../config/loader';
import type { ApiKeyEntry } from './auth';

const ApiKeySchema = z.strictObject({
  role: z.enum(['admin', 'supervisor', 'agent']).describe('admin: configuration and everything; supervisor: their teams (or all); agent: their own state and calls'),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'must be the SHA-256 of the token, 64 lowercase hex digits (switchboard apikey hash <token>)')
    .describe('SHA-256 of the token, hex'),
  agent: z.string().optional().describe('agent keys: the agent the key acts for'),
  teams: z.array(z.string()).min(1, 'name at least one team, or leave teams out for every team').optional().describe('supervisor keys: the teams supervised (default: every team)'),
});

export const API_KEY_KEYS = {
  apiKeys: entriesKey(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'key ids are letters, digits, ".", "_" and "-"'), ApiKeySchema, {
    noun: 'API key',
    description: 'API keys by id, stored hashed (docs/api.md)',
  }),
};

export interface KeysNeeds {
  agents: ReadonlySet<string>;
  teams: ReadonlySet<string>;
}

export const apiKeysSection: Section<typeof API_KEY_KEYS, KeysNeeds, ApiKeyEntry[]> = {
  keys: API_KEY_KEYS,
  build(files, check, { agents, teams }) {
    const out: ApiKeyEntry[] = [];
    for (const { src, data } of files) {
      for (const [id, k] of Object.entries(data.apiKeys ?? {})) {
        const at = ['apiKeys', id];
        const before = check.count;
        if (k.role === 'agent' && k.agent === undefined) check.at(src, at, 'an agent key names its agent (agent: <id>)');
        if (k.role !== 'agent' && k.agent !== undefined) check.at(src, [...at, 'agent'], 'only agent keys name an agent');
        if (k.agent !== undefined && !agents.has(k.agent)) check.at(src, [...at, 'agent'], `no agent "${k.agent}"`);
        if (k.teams !== undefined && k.role !== 'supervisor') check.at(src, [...at, 'teams'], 'only supervisor keys name teams');
        k.teams?.forEach((t, i) => {
          if (!teams.has(t)) check.at(src, [...at, 'teams', i], `no team "${t}"`);
        });
        if (check.count > before) continue;
        out.push({
          keyId: id,
          role: k.role,
          sha256: Buffer.from(k.sha256, 'hex'),
          ...(k.agent !== undefined ? { agentId: k.agent } : {}),
          ...(k.teams !== undefined ? { teams: [...k.teams] } : {}),
        });
      }
    }
    return out;
  },
};
