// Voicemails over HTTP (/api/v1/voicemails): list, one message's details, its audio (a WAV file,
// fetched from Asterisk's stored recordings), and delete (metadata and audio). Supervisors and
// admins only: messages are customers' words.
import { z } from 'zod';
import type { Api } from '../platform/http/api';
import { problem } from '../platform/http/problem';
import type { StoredVoicemail } from './voicemail-store';

export interface VoicemailApi {
  list(limit: number, offset: number): Promise<StoredVoicemail[]>;
  get(id: string): Promise<StoredVoicemail | undefined>;
  /** The audio as a stream with its length, or undefined when Asterisk no longer has it. */
  audio(id: string): Promise<{ body: ReadableStream<Uint8Array>; length?: number } | undefined>;
  /** Deletes the audio and the metadata; false when there was no such message. */
  remove(id: string): Promise<boolean>;
}

export const VoicemailSchema = z
  .object({
    id: z.string(),
    callId: z.string(),
    number: z.string().describe('Number dialled'),
    callerId: z.string(),
    mailbox: z.string(),
    durationS: z.number().nonnegative(),
    at: z.number().int().describe('When it was left (epoch ms)'),
    vars: z.record(z.string(), z.string()).describe("The flow's variables when it was left (never sensitive inputs)"),
    file: z.string(),
  })
  .meta({ id: 'Voicemail' });

const Id = z.object({ id: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'must be a voicemail id') });
const Page = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
const ROLES = ['admin', 'supervisor'] as const;

export function voicemailRoutes(vm: VoicemailApi) {
  return (api: Api): void => {
    api.route(
      { method: 'get', path: '/voicemails', operationId: 'listVoicemails', summary: 'Voicemails, newest first', tag: 'voicemails', roles: ROLES, query: Page, answers: { 200: { description: 'Voicemails', schema: z.object({ voicemails: z.array(VoicemailSchema) }) } } },
      async ({ query }) => ({ status: 200, body: { voicemails: await vm.list(query.limit, query.offset) } }),
    );
    api.route(
      { method: 'get', path: '/voicemails/{id}', operationId: 'getVoicemail', summary: "One voicemail's details", tag: 'voicemails', roles: ROLES, params: Id, answers: { 200: { description: 'The voicemail', schema: z.object({ voicemail: VoicemailSchema }) } }, problems: [404] },
      async ({ params }) => {
        const v = await vm.get(params.id);
        if (!v) throw problem(404, `no voicemail "${params.id}"`);
        return { status: 200, body: { voicemail: v } };
      },
    );
    api.route(
      { method: 'get', path: '/voicemails/{id}/audio', operationId: 'downloadVoicemail', summary: "A voicemail's audio (WAV)", tag: 'voicemails', roles: ROLES, params: Id, answers: { 200: { description: 'The recording', contentType: 'audio/wav' } }, problems: [404] },
      async ({ params, res }) => {
        if (!(await vm.get(params.id))) throw problem(404, `no voicemail "${params.id}"`);
        const audio = await vm.audio(params.id);
        if (!audio) throw problem(404, `voicemail "${params.id}" has no audio any more`);
        res.status(200).type('audio/wav').set('Content-Disposition', `attachment; filename="${params.id}.wav"`);
        if (audio.length !== undefined) res.set('Content-Length', String(audio.length));
        for await (const chunk of audio.body) if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
        res.end();
        return 'sent';
      },
    );
    api.route(
      { method: 'delete', path: '/voicemails/{id}', operationId: 'deleteVoicemail', summary: 'Delete a voicemail (audio and details)', tag: 'voicemails', roles: ROLES, params: Id, answers: { 204: { description: 'Deleted' } }, problems: [404] },
      async ({ params, res }) => {
        if (!(await vm.remove(params.id))) throw problem(404, `no voicemail "${params.id}"`);
        res.status(204).end();
        return 'sent';
      },
    );
  };
}
