// The OpenAPI 3.1 document, assembled from the declared routes by @asteasolutions/zod-to-openapi
// (docs/decisions/0007-openapi-from-zod.md says why that library). The same document is served
// at GET /openapi.json and committed as docs/openapi.json (a test fails when that copy is stale).
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { STATUS_CODES } from 'node:http';
import { z } from 'zod';
import type { AnyRoute, RouteTable } from './api';
import { PROBLEM_CONTENT_TYPE, ProblemSchema } from './problem';

/** Statuses any authenticated route may answer. */
const COMMON_PROBLEMS = [400, 401, 403, 429, 503] as const;

export interface OpenApiInfo {
  version: string;
}

export function openApiDocument(table: RouteTable, info: OpenApiInfo): object {
  const registry = new OpenAPIRegistry();
  const problemRef = ProblemSchema; // its meta id makes it a shared component
  const bearer = registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key (docs/api.md): admin, supervisor or agent',
  });
  for (const { def } of table.routes) registry.registerPath(operation(def, problemRef, bearer.name));
  const doc = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Switchboard API',
      version: info.version,
      description: 'The HTTP API of Switchboard, an inbound contact-center server. Every error is an RFC 9457 problem details body (application/problem+json).',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    security: [{ [bearer.name]: [] }],
  });
  return doc;
}

function operation(def: AnyRoute, problemRef: z.ZodType, bearer: string): Parameters<OpenAPIRegistry['registerPath']>[0] {
  const responses: Record<string, { description: string; content?: Record<string, { schema: z.ZodType }>; headers?: Record<string, { description: string; schema: { type: 'string' } }> }> = {};
  for (const [status, a] of Object.entries(def.answers)) {
    const content: Record<string, { schema: z.ZodType }> = {};
    if (a.schema) content[a.contentType ?? 'application/json'] = { schema: a.schema };
    else if (a.contentType) content[a.contentType] = { schema: z.string() };
    for (const [type, schema] of Object.entries(a.alternatives ?? {})) content[type] = { schema: schema ?? z.string() };
    responses[status] = { description: a.description, ...(Object.keys(content).length > 0 ? { content } : {}) };
  }
  for (const status of [...COMMON_PROBLEMS, ...(def.problems ?? [])]) {
    responses[String(status)] = {
      description: STATUS_CODES[status] ?? 'Error',
      content: { [PROBLEM_CONTENT_TYPE]: { schema: problemRef } },
      ...(status === 429 || status === 503 ? { headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'string' } } } } : {}),
    };
  }
  return {
    method: def.method,
    path: `/api/v1${def.path}`,
    operationId: def.operationId,
    summary: def.summary,
    description: [def.description, `Roles: ${def.roles.join(', ')}.`].filter(Boolean).join('\n\n'),
    tags: [def.tag],
    security: [{ [bearer]: [] }],
    request: {
      ...(def.params ? { params: def.params } : {}),
      ...(def.query ? { query: def.query } : {}),
      ...(def.body ? { body: { required: !def.body.safeParse(undefined).success, content: { 'application/json': { schema: def.body } } } } : {}),
    },
    responses,
  };
}
