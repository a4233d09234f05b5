// Routes declared once: method, path, roles, and zod schemas for the path, query, body and every
// answer. The declaration registers the express handler and the OpenAPI operation (openapi.ts)
// together, so a route cannot exist without its documentation. Requests are checked in a fixed
// order: role (403, before anything about the target is revealed), then path, query and body
// (400 naming each field). With `checkResponses` (tests), every JSON answer is also checked
// against its declared schema and an answer outside it fails loudly as a 500.
import type { Request, Response, Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { principalOf, type Principal, type Role } from './auth';
import { HttpError, invalidFrom, problem } from './problem';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface AnswerDef {
  description: string;
  /** JSON answers: the body's schema. Others (CSV, audio, event streams): `contentType` says what comes. */
  schema?: z.ZodType;
  contentType?: string;
  /** More content types the same status may answer with (CSV beside JSON). */
  alternatives?: Record<string, z.ZodType | undefined>;
}

type AnyObject = z.ZodObject<z.ZodRawShape>;

export interface RouteDef<P extends AnyObject | undefined, Q extends AnyObject | undefined, B extends z.ZodType | undefined> {
  method: Method;
  /** Under /api/v1, OpenAPI style: "/agents/{id}". */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  roles: readonly Role[];
  params?: P;
  query?: Q;
  body?: B;
  answers: Record<number, AnswerDef>;
  /** Problem statuses this route answers besides the ones every route may (400, 401, 403, 429, 503). */
  problems?: readonly number[];
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface Ctx<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: Principal;
  req: Request;
  res: Response;
}

/** A JSON answer, or 'sent' when the handler wrote the answer itself (a stream, a file, CSV). */
export type Answer = { status: number; body: unknown; headers?: Record<string, string> } | 'sent';

export type AnyRoute = RouteDef<AnyObject | undefined, AnyObject | undefined, z.ZodType | undefined>;

export interface ApiOptions {
  /** Check every JSON answer against its schema (tests). */
  checkResponses?: boolean;
  logger?: Logger;
}

/** What a feature declares its routes on. */
export interface Api {
  route<P extends AnyObject | undefined = undefined, Q extends AnyObject | undefined = undefined, B extends z.ZodType | undefined = undefined>(
    def: RouteDef<P, Q, B>,
    handle: (ctx: Ctx<Out<P>, Out<Q>, Out<B>>) => Promise<Answer>,
  ): void;
}

/** A feature's routes: a function that declares them. */
export type RouteModule = (api: Api) => void;

/** "/agents/{id}" → "/agents/:id" */
export const expressPath = (path: string): string => path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');

/** A regular expression matching concrete paths of a declared one (for 405 answers). */
export const pathPattern = (path: string): RegExp => new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[A-Za-z0-9_]+\\?\}/g, '[^/]+')}/?$`);

/** Collects route declarations; `mount` puts them on an express router. */
export class RouteTable implements Api {
  readonly routes: Array<{ def: AnyRoute; handle: (ctx: Ctx<unknown, unknown, unknown>) => Promise<Answer> }> = [];

  route<P extends AnyObject | undefined, Q extends AnyObject | undefined, B extends z.ZodType | undefined>(
    def: RouteDef<P, Q, B>,
    handle: (ctx: Ctx<Out<P>, Out<Q>, Out<B>>) => Promise<Answer>,
  ): void {
    if (this.routes.some((r) => r.def.method === def.method && r.def.path === def.path)) throw new Error(`route ${def.method} ${def.path} declared twice`);
    this.routes.push({ def: def as AnyRoute, handle: handle as (ctx: Ctx<unknown, unknown, unknown>) => Promise<Answer> });
  }

  /** Methods declared for a concrete path (empty when no route has it). */
  methodsOf(path: string): Method[] {
    return this.routes.filter((r) => pathPattern(r.def.path).test(path)).map((r) => r.def.method);
  }

  mount(router: Router, opts: ApiOptions = {}): void {
    for (const { def, handle } of this.routes) {
      router[def.method](expressPath(def.path), (req: Request, res: Response, next: (err?: unknown) => void) => {
        run(def, handle, req, res, opts).catch(next);
      });
    }
  }
}

async function run(def: AnyRoute, handle: (ctx: Ctx<unknown, unknown, unknown>) => Promise<Answer>, req: Request, res: Response, opts: ApiOptions): Promise<void> {
  const principal = principalOf(res);
  if (!def.roles.includes(principal.role)) throw problem(403, `this route is for ${def.roles.join(' and ')} keys`);
  const params = parse(def.params, req.params, 'path');
  const query = parse(def.query, { ...(req.query as object) }, 'query');
  // undefined: no body was sent (a JSON null is a body, and is checked like any other).
  const body = def.body ? parse(def.body, req.body === undefined && !def.body.safeParse(undefined).success ? {} : req.body, 'body') : noBody(req.body);
  const answer = await handle({ params, query, body, principal, req, res });
  if (answer === 'sent') return;
  const declared = def.answers[answer.status];
  if (opts.checkResponses) {
    if (!declared) throw new Error(`${def.operationId} answered ${answer.status}, which it does not declare`);
    const checked = declared.schema?.safeParse(answer.body);
    if (checked && !checked.success) {
      opts.logger?.error({ operation: def.operationId, issues: checked.error.issues.slice(0, 5) }, 'answer outside its declared schema');
      throw new Error(`${def.operationId}: answer outside its schema: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
  }
  if (answer.headers) res.set(answer.headers);
  res.status(answer.status).json(answer.body);
}

function noBody(body: unknown): undefined {
  if (body !== undefined && !(typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 0)) {
    throw new HttpError(400, 'bad_request', 'body: this route takes no body');
  }
  return undefined;
}

function parse(schema: z.ZodType | undefined, value: unknown, where: 'body' | 'query' | 'path'): unknown {
  if (!schema) {
    if (where === 'query' && value && typeof value === 'object' && Object.keys(value).length > 0) {
      throw new HttpError(400, 'bad_request', `query: this route takes no query parameters (${Object.keys(value).join(', ')})`);
    }
    return undefined;
  }
  const r = schema.safeParse(value);
  if (!r.success) throw invalidFrom(where, r.error);
  return r.data;
}
