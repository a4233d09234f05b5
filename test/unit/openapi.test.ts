// docs/openapi.json is the document the routes declare (regenerate: npm run openapi), and every
// operation in it is complete: an id, a summary, roles, answers, and the shared problem answers.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { openApiText } from '../../src/api';

const committed = readFileSync(path.join(__dirname, '..', '..', 'docs', 'openapi.json'), 'utf8');

test('docs/openapi.json is current (regenerate: npm run openapi)', () => {
  expect(committed).toBe(openApiText());
});

test('every operation has an id, a summary, its roles, a success answer and the problem answers', () => {
  const doc = JSON.parse(committed) as { openapi: string; paths: Record<string, Record<string, { operationId?: string; summary?: string; description?: string; responses: Record<string, { content?: Record<string, unknown> }> }>> };
  expect(doc.openapi).toBe('3.1.0');
  const ops = Object.entries(doc.paths).flatMap(([p, methods]) => Object.entries(methods).map(([m, op]) => ({ where: `${m.toUpperCase()} ${p}`, op })));
  expect(ops.length).toBeGreaterThan(10);
  const ids = new Set<string>();
  for (const { where, op } of ops) {
    expect({ where, ok: op.operationId !== undefined && op.summary !== undefined && /Roles: /.test(op.description ?? '') }).toEqual({ where, ok: true });
    ids.add(op.operationId!);
    expect({ where, success: Object.keys(op.responses).some((s) => s.startsWith('2')) }).toEqual({ where, success: true });
    for (const s of ['400', '401', '403', '429', '503']) expect({ where, s, type: Object.keys(op.responses[s]?.content ?? {}) }).toEqual({ where, s, type: ['application/problem+json'] });
    expect(where.startsWith('GET /api/v1') || where.startsWith('POST /api/v1') || where.startsWith('PATCH /api/v1') || where.startsWith('DELETE /api/v1') || where.startsWith('PUT /api/v1')).toBe(true);
  }
  expect(ids.size).toBe(ops.length);
});
