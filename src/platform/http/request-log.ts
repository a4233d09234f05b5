// One log line per HTTP request, written when the answer is finished (or the client went away):
// method, path without the query, status, duration and the API key's id. Never headers, bodies,
// queries or tokens. Probes (/healthz, /readyz) and scrapes (/metrics) log at debug, so a
// health checker polling every second does not bury the rest.
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Principal } from './auth';

const QUIET = new Set(['/healthz', '/readyz', '/metrics']);

export function requestLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    let logged = false;
    const done = (): void => {
      if (logged) return;
      logged = true;
      const path = req.originalUrl.split('?')[0] ?? '';
      const principal = res.locals.principal as Principal | undefined;
      const line = {
        method: req.method,
        path,
        status: res.writableFinished ? res.statusCode : undefined,
        ms: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
        ...(principal ? { key: principal.keyId, role: principal.role } : {}),
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      if (QUIET.has(path)) logger.debug(line, 'HTTP request');
      else logger.info(line, 'HTTP request');
    };
    res.once('finish', done);
    res.once('close', done);
    next();
  };
}
