// Rate limits shared by every instance through Redis (rate-limiter-flexible): requests per API
// key, and failed authentications per client address (a guessing client is stopped before it
// can try many keys). Over the limit: 429 with Retry-After. When Redis is away the limits fall
// back to each instance's memory (insurance limiter) rather than refusing the whole API.
import type { NextFunction, Request, Response } from 'express';
import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { principalOf } from './auth';
import { HttpError } from './problem';

export interface RateLimitSettings {
  /** Requests a key may make per minute (0: no limit). */
  perKeyPerMinute: number;
  /** Failed authentications a client address may make per minute before it is refused outright. */
  authFailuresPerMinute: number;
  /** Redis key prefix. */
  prefix: string;
}

export class RateLimits {
  private readonly perKey: RateLimiterRedis | undefined;
  private readonly failures: RateLimiterRedis;

  constructor(redis: Redis, private readonly s: RateLimitSettings) {
    const limiter = (keyPrefix: string, points: number) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix,
        points,
        duration: 60,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration: 60 }),
      });
    this.perKey = s.perKeyPerMinute > 0 ? limiter(`${s.prefix}:rl:key`, s.perKeyPerMinute) : undefined;
    this.failures = limiter(`${s.prefix}:rl:authfail`, s.authFailuresPerMinute);
  }

  /** Before authentication: a client address that failed too often is refused without looking at its token. */
  readonly blockGuessers = (req: Request, _res: Response, next: NextFunction): void => {
    this.failures.get(clientOf(req)).then(
      (r) => next(r && r.consumedPoints > this.s.authFailuresPerMinute ? tooMany(r.msBeforeNext, 'too many failed authentications from this address') : undefined),
      () => next(), // the limiter's own store failing must not close the API
    );
  };

  /** Counts a failed authentication of this address (authenticate() calls it). */
  readonly failed = async (req: Request): Promise<void> => {
    try {
      await this.failures.consume(clientOf(req));
    } catch (err) {
      if (err instanceof RateLimiterRes) throw tooMany(err.msBeforeNext, 'too many failed authentications from this address');
    }
  };

  /** After authentication: the key's own budget. */
  readonly perKeyLimit = (_req: Request, res: Response, next: NextFunction): void => {
    if (!this.perKey) return next();
    this.perKey.consume(principalOf(res).keyId).then(
      () => next(),
      (err: unknown) => next(err instanceof RateLimiterRes ? tooMany(err.msBeforeNext, `this key made more than ${this.s.perKeyPerMinute} requests in a minute`) : undefined),
    );
  };
}

const clientOf = (req: Request): string => req.socket.remoteAddress ?? 'unknown';

function tooMany(msBeforeNext: number, why: string): HttpError {
  const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new HttpError(429, 'too_many_requests', `${why}; retry in ${seconds} s`, undefined, { 'Retry-After': String(seconds) });
}
