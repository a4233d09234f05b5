// The HTTP face of the service. /healthz and /readyz are unauthenticated probes that reveal no
// call data; every /api route requires a bearer token and checks its role.
import { STATUS_CODES } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { PauseReasonRefused } from '../../app/acd/acd-service';
import { TransitionRefused } from '../../domain/acd/agent';
import type { AgentState } from '../../domain/acd/model';
import { authenticate, HttpError, mayActFor, principalOf, type ApiTokens } from './auth';

export { HttpError };

export interface ReadinessCheck {
  ok: boolean;
  detail: string;
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, ReadinessCheck>;
}

export interface AgentApi {
  command(agentId: string, command: 'login' | 'logout' | 'pause' | 'ready', reason?: string): Promise<AgentState>;
  list(): Promise<Array<{ id: string; name: string; state: AgentState | undefined }>>;
  exists(agentId: string): boolean;
}

export interface HttpDeps {
  readiness: () => Readiness;
  tokens?: ApiTokens;
  agents?: AgentApi;
  reloadConfig?: () => Promise<{ ok: boolean; detail: string }>;
  /** Every 5xx is logged here once (error, method, path; never headers, bodies or tokens). */
  logger?: Logger;
  /** Returns a reason when the error means a dependency is away (e.g. Redis unreachable): answered 503 with Retry-After. */
  unavailable?: (err: unknown) => string | undefined;
}

/** Seconds a client should wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = 2;

// Codes for the statuses this API answers; any other status gets its standard reason phrase in snake_case.
const CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  408: 'request_timeout',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  431: 'headers_too_large',
  500: 'internal',
  503: 'unavailable',
};

export function errorCode(status: number): string {
  return CODES[status] ?? (STATUS_CODES[status] ?? 'error').toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

/** The one error envelope, shared with the server's own answers (server.ts). */
export function errorEnvelope(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

// body-parser and express/router errors carry a 4xx status; anything else without one is ours to answer as 500.
function clientErrorOf(err: unknown): HttpError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { status?: unknown; statusCode?: unknown; expose?: unknown; type?: unknown; limit?: unknown; message?: unknown };
  const status = typeof e.status === 'number' ? e.status : e.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 499) return undefined;
  let message: string;
  if (e.type === 'entity.parse.failed') message = 'body is not valid JSON';
  else if (e.type === 'entity.too.large') message = `body is larger than the ${String(e.limit)}-byte limit`;
  else if (err instanceof URIError) message = 'the path has malformed percent-encoding';
  else if (e.expose === true && typeof e.message === 'string') message = e.message; // written for clients by http-errors
  else message = STATUS_CODES[status] ?? 'request refused';
  return new HttpError(status, errorCode(status), message);
}

const AgentCommandBody = z.strictObject({ reason: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/).optional() }).optional();

type Handler = (req: Request, res: Response) => Promise<void>;
const wrap = (h: Handler) => (req: Request, res: Response, next: NextFunction) => {
  h(req, res).catch(next);
};

function toHttpError(err: unknown, unavailable: HttpDeps['unavailable']): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof TransitionRefused) return new HttpError(409, 'conflict', err.message);
  if (err instanceof PauseReasonRefused) return new HttpError(400, 'bad_request', err.message);
  const client = clientErrorOf(err); // before the predicate, so a broad one cannot turn a client's mistake into a 503
  if (client) return client;
  const reason = unavailable?.(err);
  return reason !== undefined ? new HttpError(503, 'unavailable', reason) : new HttpError(500, 'internal', 'internal error');
}

export function createHttpApp(deps: HttpDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const r = deps.readiness();
    res.status(r.ready ? 200 : 503).json(r);
  });

  if (deps.tokens && deps.agents) {
    const agents = deps.agents;
    const api = express.Router();
    api.use(authenticate(deps.tokens));
    api.use(express.json({ limit: '16kb' }));
    api.get(
      '/agents',
      wrap(async (_req, res) => {
        const p = principalOf(res);
        const all = await agents.list();
        res.json({ agents: all.filter((a) => p.role !== 'agent' || a.id === p.agentId) });
      }),
    );
    api.post(
      '/agents/:id/:command',
      wrap(async (req, res) => {
        const id = String(req.params.id);
        const command = String(req.params.command);
        // Role first: an agent token must not learn which other agent ids exist.
        if (!mayActFor(principalOf(res), id)) throw new HttpError(403, 'forbidden', 'an agent token acts only for its own agent');
        if (!['login', 'logout', 'pause', 'ready'].includes(command)) throw new HttpError(404, 'not_found', `no agent command "${command}" (login, logout, pause, ready)`);
        if (!agents.exists(id)) throw new HttpError(404, 'not_found', `no agent "${id}"`);
        const body = AgentCommandBody.safeParse(req.body && Object.keys(req.body as object).length > 0 ? req.body : undefined);
        if (!body.success) throw new HttpError(400, 'bad_request', `body: ${body.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
        const state = await agents.command(id, command as 'login', body.data?.reason);
        res.json({ agent: state });
      }),
    );
    if (deps.reloadConfig) {
      const reload = deps.reloadConfig;
      api.post(
        '/config/reload',
        wrap(async (_req, res) => {
          if (principalOf(res).role !== 'admin') throw new HttpError(403, 'forbidden', 'only admin tokens reload the configuration');
          const r = await reload();
          res.status(r.ok ? 200 : 422).json(r);
        }),
      );
    }
    app.use('/api', api);
  }

  app.use((_req, _res, next) => next(new HttpError(404, 'not_found', 'no such route')));
  // One error envelope for every failure.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = toHttpError(err, deps.unavailable);
    if (e.status >= 500) {
      // originalUrl without the query: the path is enough to find the route, and queries may carry data.
      const log = { err, method: req.method, path: req.originalUrl.split('?')[0], status: e.status };
      if (e.status === 503) deps.logger?.warn(log, 'HTTP request failed: dependency unavailable');
      else deps.logger?.error(log, 'HTTP request failed');
    }
    if (res.headersSent) {
      // Too late for an envelope; cut the response short so the client sees it failed.
      req.socket.destroy();
      return;
    }
    if (e.status === 503) res.set('Retry-After', String(RETRY_AFTER_SECONDS));
    res.status(e.status).json(errorEnvelope(e.code, e.message));
  });
  return app;
}
