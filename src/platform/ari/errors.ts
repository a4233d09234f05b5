// ARI errors keep the HTTP status: 404 (gone), 409 (conflict, e.g. id in use or wrong state) and
// 422 (e.g. channel not in Stasis yet) call for different handling by the caller.

export class AriHttpError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    readonly detail: string,
  ) {
    super(`ARI ${method} ${path} answered ${status}${detail ? `: ${detail}` : ''}`);
    this.name = 'AriHttpError';
  }
  get notFound(): boolean {
    return this.status === 404;
  }
  get conflict(): boolean {
    return this.status === 409;
  }
  get unprocessable(): boolean {
    return this.status === 422;
  }
  get unauthorized(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

/** Asterisk did not answer at all (refused, reset, timed out). */
export class AriUnreachableError extends Error {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(`ARI at ${url} unreachable: ${cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause)}`);
    this.name = 'AriUnreachableError';
  }
}
