// The HTTP face of the service. /healthz and /readyz are unauthenticated probes that reveal no
// call data; every /api route requires a bearer token and checks its role.
import { STATUS_CODES } from 'node:http';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { authenticate, HttpError, principalOf, type ApiTokens } from './auth';

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

/** A feature's routes, mounted on the authenticated /api router (each checks its roles). */
export type RouteModule = (api: Router) => void;

export interface HttpDeps {
  readiness: () => Readiness;
  tokens?: ApiTokens;
  routes?: RouteModule[];
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

/** RFC 9457 problem details: the standard members, our code, and the fields refused. */
export function problemDetails(e: HttpError): { type: string; title: string; status: number; detail: string; code: string; invalid?: ReadonlyArray<{ name: string; reason: string }> } {
  return {
    type: `urn:switchboard:problem:${e.code}`, // listed in docs/api.md
    title: STATUS_CODES[e.status] ?? 'Error',
    status: e.status,
    detail: e.message,
    code: e.code,
    ...(e.invalid && e.invalid.length > 0 ? { invalid: e.invalid } : {}),
  };
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

type Handler = (req: Request, res: Response) => Promise<void>;
/** An async route handler whose failures reach the error envelope; `translate` maps a feature's own errors to HTTP ones. */
export const handler =
  (h: Handler, translate?: (err: unknown) => HttpError | undefined) =>
  (req: Request, res: Response, next: NextFunction): void => {
    h(req, res).catch((err: unknown) => next(translate?.(err) ?? err));
  };

function toHttpError(err: unknown, unavailable: HttpDeps['unavailable']): HttpError {
  if (err instanceof HttpError) return err;
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

  if (deps.tokens) {
    const api = express.Router();
    api.use(authenticate(deps.tokens));
    api.use(express.json({ limit: '16kb' }));
    for (const mount of deps.routes ?? []) mount(api);
    if (deps.reloadConfig) {
      const reload = deps.reloadConfig;
      api.post(
        '/config/reload',
        handler(async (_req, res) => {
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
    // The /api/v1 routes answer RFC 9457 problem details; the older /api routes keep their envelope.
    if (req.originalUrl.startsWith('/api/v1/')) res.status(e.status).type('application/problem+json').send(JSON.stringify(problemDetails(e)));
    else res.status(e.status).json(errorEnvelope(e.code, e.message));
  });
  return app;
}
