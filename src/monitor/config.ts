// The supervisors' phones in the routing files (`supervisors:`): the phones a listen, whisper or
// barge session rings. Which calls a supervisor may monitor is their API key's business (its
// teams); the phone only says where the audio goes.
import { z } from 'zod';
import { asteriskEndpoint, identifier } from '../platform/config/fields';
import { entriesKey, type Section } from '../platform/config/loader';

export interface SupervisorPhone {
  id: string;
  name: string;
  /** From configuration only (e.g. "PJSIP/supervisor1"). */
  endpoint: string;
}

const SupervisorSchema = z.strictObject({
  name: z.string().min(1).optional().describe('Display name (default: the id)'),
  endpoint: asteriskEndpoint.describe('Asterisk endpoint of the supervisor\'s phone, rung for monitoring sessions'),
});

const SUPERVISOR_KEYS = {
  supervisors: entriesKey(identifier, SupervisorSchema, { noun: 'supervisor', description: "Supervisor id → their phone, rung to listen to, whisper to or barge into agents' calls (docs/monitoring.md)" }),
};

export const supervisorsSection: Section<typeof SUPERVISOR_KEYS, undefined, { supervisors: ReadonlyMap<string, SupervisorPhone> }> = {
  keys: SUPERVISOR_KEYS,
  build(files) {
    const supervisors = new Map<string, SupervisorPhone>();
    for (const { src, data } of files) {
      // Duplicates across files are reported by the loader.
      for (const [id, s] of Object.entries(data.supervisors ?? {})) supervisors.set(id, { id, name: s.name ?? id, endpoint: s.endpoint });
    }
    return { supervisors };
  },
};
