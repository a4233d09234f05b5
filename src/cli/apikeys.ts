// switchboard apikey new <role> [agent|teams…] | apikey hash <token>: make an API key and the
// routing-file entry that holds only its SHA-256. The token is printed once; Switchboard keeps
// nothing that could give it back.
import { randomBytes } from 'node:crypto';
import { sha256 } from '../platform/http/auth';

export const APIKEY_USAGE = `  apikey new <id> admin|supervisor [team…] | apikey new <id> agent <agentId>
                             print a new token and the apiKeys entry (hashed) for the routing files
  apikey hash <token>        print the SHA-256 of a token (for apiKeys entries)
`;

export function cmdApiKey(args: string[], usage: string): number {
  const [sub, ...rest] = args;
  if (sub === 'hash' && rest.length === 1 && rest[0]) {
    process.stdout.write(`${sha256(rest[0]).toString('hex')}\n`);
    return 0;
  }
  const [id, role, ...more] = rest;
  if (sub !== 'new' || !id || !/^[A-Za-z0-9_.-]{1,64}$/.test(id) || !(role === 'admin' || role === 'supervisor' || role === 'agent') || (role === 'agent' && more.length !== 1) || (role === 'admin' && more.length > 0)) {
    process.stderr.write(`switchboard: ${usage}`);
    return 2;
  }
  const token = `sb_${randomBytes(24).toString('base64url')}`;
  const lines = [`apiKeys:`, `  ${id}:`, `    role: ${role}`, `    sha256: ${sha256(token).toString('hex')}`];
  if (role === 'agent') lines.push(`    agent: ${more[0]}`);
  if (role === 'supervisor' && more.length > 0) lines.push(`    teams: [${more.join(', ')}]`);
  process.stdout.write(`token (shown once; give it to its user): ${token}\n\n# add to a routing file:\n${lines.join('\n')}\n`);
  return 0;
}
