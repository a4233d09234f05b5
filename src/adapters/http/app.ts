// The HTTP face of the service. /healthz and /readyz are unauthenticated probes that reveal no
// call data; every other route (from the ACD and API issues on) requires authentication.
import express, { type NextFunction, type Request, type Response } from 'express';

export interface ReadinessCheck {
  ok: boolean;
  detail: string;
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, ReadinessCheck>;
}

export interface HttpDeps {
  readiness: () => Readiness;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
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
  app.use((_req, _res, next) => next(new HttpError(404, 'not_found', 'no such route')));
  // One error envelope for every failure.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err instanceof HttpError ? err : new HttpError(500, 'internal', 'internal error');
    res.status(e.status).json({ error: { code: e.code, message: e.message } });
  });
  return app;
}
