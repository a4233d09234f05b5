// Recordings over HTTP: list and details (by role: admins all, supervisors their teams' agents,
// agents their own), the audio with byte ranges (players seek), delete (admins, supervisors), and
// pause/resume of a call's running recording (the agent around payment details).
import { z } from 'zod';
import type { Api } from '../platform/http/api';
import type { Principal } from '../platform/http/auth';
import { HttpError, problem } from '../platform/http/problem';
import { byteRange, type RecordingMeta, type Viewer } from './domain/decide';
import { RecordingRefused, type RecordingService } from './service';

export interface RecordingApi {
  service: RecordingService;
  /** The stored file's bytes; undefined when Asterisk has no such file. */
  file(id: string): Promise<Buffer | undefined>;
  viewer(p: Principal): Viewer;
}

const RecordingSchema = z
  .object({
    id: z.string(),
    callId: z.string(),
    queue: z.string(),
    agent: z.string(),
    format: z.string(),
    state: z.enum(['recording', 'paused', 'done', 'failed']),
    startedAt: z.number().int(),
    endedAt: z.number().int().optional(),
    durationSeconds: z.number().nonnegative().optional().describe('Audio in the file; paused stretches are left out'),
    pauses: z.number().int().nonnegative(),
    expiresAt: z.number().int().describe("Deleted then (the queue's retention)"),
  })
  .meta({ id: 'Recording' });
const view = (r: RecordingMeta) => ({
  id: r.id,
  callId: r.callId,
  queue: r.queue,
  agent: r.agentId,
  format: r.format,
  state: r.state,
  startedAt: r.startedAt,
  ...(r.endedAt !== undefined ? { endedAt: r.endedAt } : {}),
  ...(r.durationS !== undefined ? { durationSeconds: r.durationS } : {}),
  pauses: r.pauses,
  expiresAt: r.expiresAt,
});
const CONTENT_TYPES: Readonly<Record<string, string>> = { wav: 'audio/wav', gsm: 'audio/x-gsm', ulaw: 'audio/basic', alaw: 'audio/x-alaw-basic' };
const Id = z.object({ id: z.string().regex(/^[A-Za-z0-9_.-]{1,160}$/, 'must be a recording id') });
const ALL = ['admin', 'supervisor', 'agent'] as const;
const byOf = (p: Principal): string => (p.role === 'agent' ? `agent:${p.agentId}` : p.keyId);

async function answering<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof RecordingRefused) throw problem(err.status, err.message);
    throw err;
  }
}

export function recordingRoutes(r: RecordingApi) {
  return (api: Api): void => {
    api.route(
      {
        method: 'get',
        path: '/recordings',
        operationId: 'listRecordings',
        summary: 'Call recordings, newest first',
        tag: 'recordings',
        roles: ALL,
        query: z.strictObject({
          callId: z.string().max(128).optional(),
          agent: z.string().max(64).optional(),
          queue: z.string().max(64).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
          offset: z.coerce.number().int().min(0).max(100_000).default(0),
        }),
        answers: { 200: { description: 'The recordings the key may see', schema: z.object({ recordings: z.array(RecordingSchema) }) } },
      },
      async ({ query, principal }) => {
        const list = await r.service.list(r.viewer(principal), query.limit, query.offset, { callId: query.callId, agentId: query.agent, queue: query.queue });
        return { status: 200, body: { recordings: list.map(view) } };
      },
    );
    api.route(
      { method: 'get', path: '/recordings/{id}', operationId: 'getRecording', summary: "A recording's details", tag: 'recordings', roles: ALL, params: Id, answers: { 200: { description: 'The recording', schema: z.object({ recording: RecordingSchema }) } }, problems: [404] },
      async ({ params, principal }) => ({ status: 200, body: { recording: view(await answering(() => r.service.get(params.id, r.viewer(principal)))) } }),
    );
    api.route(
      {
        method: 'get',
        path: '/recordings/{id}/audio',
        operationId: 'downloadRecording',
        summary: "A recording's audio; one byte range with Range (206), the whole file otherwise",
        tag: 'recordings',
        roles: ALL,
        params: Id,
        answers: { 200: { description: 'The whole file', contentType: 'audio/wav' }, 206: { description: 'The range asked for', contentType: 'audio/wav' } },
        problems: [404, 409, 416],
      },
      async ({ params, principal, req, res }) => {
        const meta = await answering(() => r.service.get(params.id, r.viewer(principal)));
        if (meta.state === 'recording' || meta.state === 'paused') throw problem(409, `recording "${params.id}" is still running`);
        const file = await r.file(params.id);
        if (!file) throw problem(404, `recording "${params.id}" has no audio any more`);
        const range = byteRange(req.headers.range, file.length);
        if (range === 'unsatisfiable') throw new HttpError(416, 'range_not_satisfiable', `no bytes ${req.headers.range} in a file of ${file.length}`, undefined, { 'Content-Range': `bytes */${file.length}` });
        res.type(CONTENT_TYPES[meta.format] ?? 'application/octet-stream').set('Accept-Ranges', 'bytes').set('Content-Disposition', `attachment; filename="${params.id}.${meta.format}"`);
        if (range) res.status(206).set('Content-Range', `bytes ${range.start}-${range.end}/${file.length}`).end(file.subarray(range.start, range.end + 1));
        else res.status(200).end(file);
        return 'sent';
      },
    );
    api.route(
      { method: 'delete', path: '/recordings/{id}', operationId: 'deleteRecording', summary: 'Delete a recording (audio and details)', tag: 'recordings', roles: ['admin', 'supervisor'], params: Id, answers: { 204: { description: 'Deleted' } }, problems: [404, 409] },
      async ({ params, principal, res }) => {
        await answering(() => r.service.remove(params.id, r.viewer(principal), byOf(principal)));
        res.status(204).end();
        return 'sent';
      },
    );
    for (const action of ['pause', 'resume'] as const) {
      api.route(
        {
          method: 'post',
          path: `/calls/{id}/recording/${action}`,
          operationId: action === 'pause' ? 'pauseRecording' : 'resumeRecording',
          summary: action === 'pause' ? "Pause a call's recording (payment details): the paused stretch is left out of the file" : "Resume a call's paused recording",
          tag: 'recordings',
          roles: ALL,
          params: z.object({ id: z.string().max(128) }),
          answers: { 200: { description: 'The recording', schema: z.object({ recording: RecordingSchema }) } },
          problems: [404],
        },
        async ({ params, principal }) => ({ status: 200, body: { recording: view(await answering(() => r.service.pauseByRequest(params.id, action === 'pause', r.viewer(principal), byOf(principal)))) } }),
      );
    }
  };
}
