// The HTTP face of the service. /healthz and /readyz are unauthenticated probes that reveal no
// call data, and /openapi.json describes the API; everything else needs an API key: the routes
// under /api/v1 (declared with their schemas, api.ts) and /metrics. The paths of the first
// release (/api/agents…, /api/config/reload) answer 308 to their /api/v1 place for one release.
// Every error is answered with RFC 9457 problem details (problem.ts).
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { RouteTable, type RouteModule } from './api';
import { authenticate, principalOf, type ApiKeys, type Role } from './auth';
import { openApiDocument } from './openapi';
import { HttpError, problem, problemDetails, PROBLEM_CONTENT_TYPE } from './problem';
import type { RateLimits } from './rate-limit';
import { requestLog } from './request-log';

export { HttpError };

export interface ReadinessCheck {
  ok: boolean;
  detail: string;
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, ReadinessCheck>;
  /** Load figures of the last measured window (platform/load.ts), when there are any. */
  load?: object;
}

export interface HttpDeps {
  readiness: () => Readiness;
  keys?: ApiKeys;
  routes?: RouteModule[];
  /** Shared limits (Redis); without them nothing is limited (unit tests of other concerns). */
  limits?: RateLimits;
  /** Prometheus text for GET /metrics (supervisor and admin keys). */
  metrics?: { contentType: string; render(): Promise<string> };
  /** Every request is logged here once; every 5xx with its error. Never headers, bodies or tokens. */
  logger?: Logger;
  /** Returns a reason when the error means a dependency is away (e.g. Redis unreachable): answered 503 with Retry-After. */
  unavailable?: (err: unknown) => string | undefined;
  /** Check every JSON answer against its declared schema (tests). */
  checkResponses?: boolean;
  /** The version in the OpenAPI document. */
  version?: string;
}

/** Seconds a client should wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = 2;
/** Largest request body accepted. */
export const BODY_LIMIT = '16kb';

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
  else message = 'request refused';
  return problem(status, message);
}

function toHttpError(err: unknown, unavailable: HttpDeps['unavailable']): HttpError {
  if (err instanceof HttpError) return err;
  const client = clientErrorOf(err); // before the predicate, so a broad one cannot turn a client's mistake into a 503
  if (client) return client;
  const reason = unavailable?.(err);
  return reason !== undefined ? new HttpError(503, 'unavailable', reason, undefined, { 'Retry-After': String(RETRY_AFTER_SECONDS) }) : new HttpError(500, 'internal', 'internal error');
}

/** A request that carries a body must say it is JSON. */
function jsonBodiesOnly(req: Request, _res: Response, next: NextFunction): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody && !req.is('application/json')) return next(problem(415, 'a request body must be JSON (Content-Type: application/json)'));
  next();
}

const onlyRoles =
  (roles: readonly Role[]) =>
  (_req: Request, res: Response, next: NextFunction): void =>
    next(roles.includes(principalOf(res).role) ? undefined : problem(403, `this route is for ${roles.join(' and ')} keys`));

export function createHttpApp(deps: HttpDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple'); // no nested objects from a[b]=c: every query value is a string or a list of strings
  if (deps.logger) app.use(requestLog(deps.logger));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const r = deps.readiness();
    res.status(r.ready ? 200 : 503).json(r);
  });

  const table = new RouteTable();
  for (const declare of deps.routes ?? []) declare(table);
  const document = openApiDocument(table, { version: deps.version ?? '1' });
  app.get('/openapi.json', (_req, res) => {
    res.json(document);
  });

  if (deps.keys) {
    const keys = deps.keys;
    const guard = [...(deps.limits ? [deps.limits.blockGuessers] : []), authenticate(keys, deps.limits?.failed), ...(deps.limits ? [deps.limits.perKeyLimit] : [])];
    // The first release's paths: 308 keeps the method and body, so a client that follows redirects keeps working.
    app.use('/api', (req, res, next) => {
      if (req.path === '/v1' || req.path.startsWith('/v1/')) return next();
      res.status(308).set({ Location: `/api/v1${req.url}`, Deprecation: 'true' }).end();
    });
    const v1 = express.Router();
    v1.use(...guard, jsonBodiesOnly, express.json({ limit: BODY_LIMIT, strict: false }));
    table.mount(v1, { checkResponses: deps.checkResponses, logger: deps.logger });
    v1.use((req, _res, next) => {
      const allowed = table.methodsOf(req.path);
      if (allowed.length === 0) return next(problem(404, 'no such route'));
      const allow = allowed.map((m) => m.toUpperCase()).join(', ');
      next(new HttpError(405, 'method_not_allowed', `${req.method} is not allowed here (${allow})`, undefined, { Allow: allow }));
    });
    app.use('/api/v1', v1);

    if (deps.metrics) {
      const metrics = deps.metrics;
      app.get('/metrics', ...guard, onlyRoles(['admin', 'supervisor']), (_req, res, next) => {
        metrics.render().then((text) => void res.type(metrics.contentType).send(text), next);
      });
    }
  }

  app.use((_req, _res, next) => next(problem(404, 'no such route')));
  // One error shape for every failure.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = toHttpError(err, deps.unavailable);
    if (e.status >= 500) {
      // originalUrl without the query: the path is enough to find the route, and queries may carry data.
      const log = { err, method: req.method, path: req.originalUrl.split('?')[0], status: e.status };
      if (e.status === 503) deps.logger?.warn(log, 'HTTP request failed: dependency unavailable');
      else deps.logger?.error(log, 'HTTP request failed');
    }
    if (res.headersSent) {
      // Too late for a problem body; cut the response short so the client sees it failed.
      req.socket.destroy();
      return;
    }
    if (e.headers) res.set(e.headers);
    res.status(e.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problemDetails(e)));
  });
  return app;
}
