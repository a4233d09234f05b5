// Recordings, decided purely: who may see, download, delete, pause a call's recording; which
// recordings are past their retention; and the byte range a download asks for (RFC 9110).

export interface RecordingMeta {
  /** Asterisk's name for the file (stored recording), also its id in the API. */
  id: string;
  callId: string;
  queue: string;
  agentId: string;
  format: string;
  startedAt: number;
  /** Set when the recording finished (the call's bridge ended). */
  endedAt?: number;
  /** Seconds of audio in the file, paused stretches left out (Asterisk's count). */
  durationS?: number;
  state: 'recording' | 'paused' | 'done' | 'failed';
  /** Times it was paused (hold, an API request). */
  pauses: number;
  /** When it is deleted. */
  expiresAt: number;
}

export interface Viewer {
  role: 'admin' | 'supervisor' | 'agent';
  agentId?: string;
  seesAgent: (agentId: string) => boolean;
}

/** Admins every recording; supervisors their teams' agents'; agents their own. */
export const maySee = (r: Pick<RecordingMeta, 'agentId'>, v: Viewer): boolean => (v.role === 'agent' ? v.agentId === r.agentId : v.seesAgent(r.agentId));

/** Deleting is for admins and supervisors (of the agent's team). */
export const mayDelete = (r: Pick<RecordingMeta, 'agentId'>, v: Viewer): boolean => v.role !== 'agent' && v.seesAgent(r.agentId);

export const expiresAt = (startedAt: number, retentionDays: number): number => startedAt + retentionDays * 86_400_000;

export type ByteRange = { start: number; end: number } | 'unsatisfiable';

/**
 * The one range a `Range` header asks of a `size`-byte file (inclusive ends), or undefined to send
 * the whole file (no header, or one this server does not honour: several ranges, other units).
 */
export function byteRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}
