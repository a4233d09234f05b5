// API keys with roles. Keys are kept only as SHA-256 digests: in the routing files (`apiKeys:`,
// keys-section.ts) they are written hashed, and the older SWITCHBOARD_API_TOKENS form
// ("role:token[:agentId]", still accepted for tests and quick starts) is hashed when it is read.
// A presented token is hashed and compared with every digest in constant time, so neither the
// comparison nor the order of keys tells anything; the key's id (never the token) names the
// caller in logs and rate limits.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { HttpError } from './problem';

export { HttpError };

export type Role = 'admin' | 'supervisor' | 'agent';
export const ROLES: readonly Role[] = ['admin', 'supervisor', 'agent'];

export interface Principal {
  /** The key's id: `apiKeys` entry name, or env-<n> for SWITCHBOARD_API_TOKENS items. */
  keyId: string;
  role: Role;
  /** agent: the one agent this key acts for. */
  agentId?: string;
  /** supervisor: the teams supervised; absent = every team. */
  teams?: readonly string[];
}

export interface ApiKeyEntry extends Principal {
  /** SHA-256 of the token. */
  sha256: Buffer;
}

export const sha256 = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

const EntrySchema = z.tuple([z.enum(['admin', 'supervisor', 'agent']), z.string().min(16, 'tokens must be at least 16 characters')]).rest(z.string());

/** Parses SWITCHBOARD_API_TOKENS: "role:token[:agentId]" items separated by commas; throws with the position of a bad item. */
export function keysFromEnv(spec: string | undefined): ApiKeyEntry[] {
  return (spec ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item, i) => {
      const parts = EntrySchema.safeParse(item.split(':'));
      if (!parts.success) throw new Error(`SWITCHBOARD_API_TOKENS item ${i + 1}: expected role:token[:agentId] with role admin, supervisor or agent (${parts.error.issues[0]?.message})`);
      const [role, token, agentId] = parts.data;
      if (role === 'agent' && !agentId) throw new Error(`SWITCHBOARD_API_TOKENS item ${i + 1}: an agent token names its agent (agent:<token>:<agentId>)`);
      return { keyId: `env-${i + 1}`, role, sha256: sha256(token), ...(role === 'agent' ? { agentId } : {}) };
    });
}

/** The keys in force: the environment's and the running routing configuration's (read on every request, so a reload applies at once). */
export class ApiKeys {
  constructor(
    private readonly fixed: readonly ApiKeyEntry[],
    private readonly configured: () => readonly ApiKeyEntry[] = () => [],
  ) {}

  /** Parses SWITCHBOARD_API_TOKENS alone (tests, tools). */
  static parse(spec: string | undefined): ApiKeys {
    return new ApiKeys(keysFromEnv(spec));
  }

  get size(): number {
    return this.fixed.length + this.configured().length;
  }

  find(token: string): Principal | undefined {
    const given = sha256(token);
    let found: ApiKeyEntry | undefined;
    // No early exit: every digest is compared.
    for (const e of [...this.fixed, ...this.configured()]) if (timingSafeEqual(e.sha256, given) && !found) found = e;
    if (!found) return undefined;
    const { sha256: _digest, ...principal } = found;
    return principal;
  }
}

/** The bearer token of a request, if it has one. */
export function bearerOf(req: Request): string | undefined {
  const m = /^Bearer ([\x21-\x7e]+)$/.exec(req.get('authorization') ?? '');
  return m?.[1];
}

/** Authenticates every request of the router it is mounted on; refusals go through `refused` first (rate limits of failures). */
export function authenticate(keys: ApiKeys, refused?: (req: Request) => Promise<void>) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const token = bearerOf(req);
    const principal = token ? keys.find(token) : undefined;
    if (principal) {
      res.locals.principal = principal;
      return next();
    }
    const fail = new HttpError(401, 'unauthenticated', 'a valid bearer token is required', undefined, { 'WWW-Authenticate': 'Bearer realm="switchboard"' });
    if (!refused) return next(fail);
    refused(req).then(
      () => next(fail),
      (err: unknown) => next(err),
    );
  };
}

export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}

/** Admins and supervisors act for anyone they see; an agent only for itself. */
export function mayActFor(p: Principal, agentId: string): boolean {
  return p.role !== 'agent' || p.agentId === agentId;
}
