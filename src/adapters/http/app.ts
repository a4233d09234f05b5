// The HTTP face of the service. /healthz and /readyz are unauthenticated probes that reveal no
// call data; every /api route requires a bearer token and checks its role.
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
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
}

const AgentCommandBody = z.strictObject({ reason: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/).optional() }).optional();

type Handler = (req: Request, res: Response) => Promise<void>;
const wrap = (h: Handler) => (req: Request, res: Response, next: NextFunction) => {
  h(req, res).catch(next);
};

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
        if (!['login', 'logout', 'pause', 'ready'].includes(command)) throw new HttpError(404, 'not_found', `no agent command "${command}" (login, logout, pause, ready)`);
        if (!agents.exists(id)) throw new HttpError(404, 'not_found', `no agent "${id}"`);
        if (!mayActFor(principalOf(res), id)) throw new HttpError(403, 'forbidden', 'an agent token acts only for its own agent');
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
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    let e: HttpError;
    if (err instanceof HttpError) e = err;
    else if (err instanceof TransitionRefused) e = new HttpError(409, 'conflict', err.message);
    else if (err instanceof Error && /^unknown pause reason/.test(err.message)) e = new HttpError(400, 'bad_request', err.message);
    else if (err instanceof SyntaxError) e = new HttpError(400, 'bad_request', 'body is not valid JSON');
    else e = new HttpError(500, 'internal', 'internal error');
    res.status(e.status).json({ error: { code: e.code, message: e.message } });
  });
  return app;
}
