// The routing configuration over HTTP: which version runs and since when, validating the folder
// as it is on disk without applying it, and reloading it (applied only when every file is valid;
// otherwise the running configuration stays and the answer names every problem).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Api } from '../platform/http/api';
import { HttpError } from '../platform/http/problem';

export interface ConfigApi {
  /** The running configuration. */
  status(): { version: string; loadedAt: number; files: string[]; lastReloadAt?: number; lastError?: string };
  /** Checks the folder as it is now; nothing is applied. */
  validate(): Promise<{ ok: true; version: string; files: string[] } | { ok: false; problems: string[] }>;
  /** Validates and applies. */
  reload(): Promise<{ ok: true } | { ok: false; problems: string[] }>;
}

/** A configuration's version: the SHA-256 of its files' names and contents, in order (first 16 hex digits). */
export async function configVersion(files: readonly string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of files) {
    h.update(f).update('\0');
    h.update(await readFile(f)).update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

const Status = z
  .object({
    version: z.string().describe('SHA-256 of the files (first 16 hex digits)'),
    loadedAt: z.number().int().describe('When this configuration was applied (epoch ms)'),
    files: z.array(z.string()),
    lastReloadAt: z.number().int().optional().describe('When the last reload, applied or refused, finished'),
    lastError: z.string().optional().describe('Why the last reload was refused (one problem a line)'),
  })
  .meta({ id: 'ConfigStatus' });
const Validation = z.object({ valid: z.boolean(), version: z.string().optional(), files: z.array(z.string()).optional(), problems: z.array(z.string()).describe('file:line:column: field: problem') });

const refused = (problems: string[]): HttpError =>
  new HttpError(
    422,
    'unprocessable',
    `the routing files were refused; the running configuration stays:\n${problems.join('\n')}`,
    problems.map((p) => ({ name: /^([^:]+:\d+:\d+)/.exec(p)?.[1] ?? 'config', reason: p })),
  );

export function configRoutes(cfg: ConfigApi) {
  return (api: Api): void => {
    api.route(
      { method: 'get', path: '/config', operationId: 'getConfig', summary: "The running configuration's version and when it was loaded", tag: 'config', roles: ['admin', 'supervisor'], answers: { 200: { description: 'The running configuration', schema: Status } } },
      async () => ({ status: 200, body: cfg.status() }),
    );
    api.route(
      { method: 'post', path: '/config/validate', operationId: 'validateConfig', summary: 'Check the routing folder as it is on disk, without applying it', tag: 'config', roles: ['admin'], answers: { 200: { description: 'Whether it is valid, and every problem', schema: Validation } } },
      async () => {
        const r = await cfg.validate();
        return { status: 200, body: r.ok ? { valid: true, version: r.version, files: r.files, problems: [] } : { valid: false, problems: r.problems } };
      },
    );
    api.route(
      { method: 'post', path: '/config/reload', operationId: 'reloadConfig', summary: 'Validate and apply the routing folder (refused as a whole when any file has a problem)', tag: 'config', roles: ['admin'], answers: { 200: { description: 'Applied', schema: Status } }, problems: [422] },
      async () => {
        const r = await cfg.reload();
        if (!r.ok) throw refused(r.problems);
        return { status: 200, body: cfg.status() };
      },
    );
  };
}
