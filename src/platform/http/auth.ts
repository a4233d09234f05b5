// Bearer-token authentication with roles. Tokens come from SWITCHBOARD_API_TOKENS, e.g.
// "admin:<token>,supervisor:<token>,agent:<token>:agent1". An agent token acts only for its agent.
import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';

export type Role = 'admin' | 'supervisor' | 'agent';
export interface Principal {
  role: Role;
  agentId?: string;
}

interface TokenEntry extends Principal {
  token: Buffer;
}

const EntrySchema = z.tuple([z.enum(['admin', 'supervisor', 'agent']), z.string().min(16, 'tokens must be at least 16 characters')]).rest(z.string());

export class ApiTokens {
  private constructor(private readonly entries: TokenEntry[]) {}

  /** Parses "role:token[:agentId]" items separated by commas; throws with the position of a bad item. */
  static parse(spec: string | undefined): ApiTokens {
    const entries: TokenEntry[] = [];
    (spec ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .forEach((item, i) => {
        const parts = EntrySchema.safeParse(item.split(':'));
        if (!parts.success) throw new Error(`SWITCHBOARD_API_TOKENS item ${i + 1}: expected role:token[:agentId] with role admin, supervisor or agent (${parts.error.issues[0]?.message})`);
        const [role, token, agentId] = parts.data;
        if (role === 'agent' && !agentId) throw new Error(`SWITCHBOARD_API_TOKENS item ${i + 1}: an agent token names its agent (agent:<token>:<agentId>)`);
        entries.push({ role, token: Buffer.from(token), agentId: role === 'agent' ? agentId : undefined });
      });
    return new ApiTokens(entries);
  }

  get size(): number {
    return this.entries.length;
  }

  find(token: string): Principal | undefined {
    const given = Buffer.from(token);
    for (const e of this.entries) if (e.token.length === given.length && timingSafeEqual(e.token, given)) return { role: e.role, agentId: e.agentId };
    return undefined;
  }
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The request's fields that were refused, and why (problem details' `invalid`). */
    readonly invalid?: ReadonlyArray<{ name: string; reason: string }>,
  ) {
    super(message);
  }
}

export function authenticate(tokens: ApiTokens) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const m = /^Bearer (.+)$/.exec(req.get('authorization') ?? '');
    const principal = m?.[1] ? tokens.find(m[1]) : undefined;
    if (!principal) return next(new HttpError(401, 'unauthenticated', 'a valid bearer token is required'));
    res.locals.principal = principal;
    next();
  };
}

export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}

/** Admins and supervisors act for anyone; an agent only for itself. */
export function mayActFor(p: Principal, agentId: string): boolean {
  return p.role !== 'agent' || p.agentId === agentId;
}
