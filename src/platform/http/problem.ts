// The one error shape of the HTTP API: RFC 9457 problem details. Every refusal, whether a route's,
// express's (malformed JSON, a body over the limit), or Node's parser's (server.ts), is answered
// with it. `type` is a URN per code, listed in docs/api.md.
import { STATUS_CODES } from 'node:http';
import { z } from 'zod';

export interface InvalidField {
  /** The field's path in the body or query ("at", "items.0.number"), or the path parameter's name. */
  name: string;
  reason: string;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The request's fields that were refused, and why (problem details' `invalid`). */
    readonly invalid?: ReadonlyArray<InvalidField>,
    /** Headers to send with the answer (Retry-After, Allow). */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
  }
}

// Codes for the statuses this API answers; any other status gets its standard reason phrase in snake_case.
const CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'too_many_requests',
  431: 'headers_too_large',
  500: 'internal',
  503: 'unavailable',
};

export function errorCode(status: number): string {
  return CODES[status] ?? (STATUS_CODES[status] ?? 'error').toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const ProblemSchema = z
  .object({
    type: z.string().describe('urn:switchboard:problem:<code> (docs/api.md lists them)'),
    title: z.string().describe("The status's reason phrase"),
    status: z.number().int().min(400).max(599),
    detail: z.string().describe('What was wrong, for a person'),
    code: z.string().describe('The same code as in type, for programs'),
    invalid: z.array(z.object({ name: z.string(), reason: z.string() })).optional().describe('The request fields refused, and why'),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });
export type Problem = z.infer<typeof ProblemSchema>;

export function problemDetails(e: HttpError): Problem {
  return {
    type: `urn:switchboard:problem:${e.code}`,
    title: STATUS_CODES[e.status] ?? 'Error',
    status: e.status,
    detail: e.message,
    code: e.code,
    ...(e.invalid && e.invalid.length > 0 ? { invalid: [...e.invalid] } : {}),
  };
}

/**
 * A feature's refusal as an answer: a problem naming the field, or for 503 (Asterisk could not do
 * it; nothing changed) `unavailable` with Retry-After.
 */
export function refusalProblem(status: number, detail: string, field?: string): HttpError {
  if (status === 503) return new HttpError(503, 'unavailable', detail, undefined, { 'Retry-After': '1' });
  return problem(status, detail, field ? [{ name: field, reason: detail }] : undefined);
}

/** A problem for `status` with its standard code. */
export const problem = (status: number, detail: string, invalid?: ReadonlyArray<InvalidField>): HttpError => new HttpError(status, errorCode(status), detail, invalid);

/** zod issues as problem details' `invalid`, and one line for `detail`. */
export function invalidFrom(where: 'body' | 'query' | 'path', error: z.ZodError): HttpError {
  const invalid = error.issues.map((i) => ({ name: i.path.map(String).join('.') || where, reason: i.message }));
  return new HttpError(400, 'bad_request', `${where}: ${invalid.map((i) => `${i.name}: ${i.reason}`).join('; ')}`, invalid);
}
