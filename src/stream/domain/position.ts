// Can a client resume from its position without a gap? Decided from what XINFO STREAM says of the
// journal. Entries leave the journal two ways: trimming (MINID, from the head: every entry older
// than the first kept one) and deletion (XDEL: recorded as max-deleted-entry-id). Redis 7.0's
// XTRIM does not update max-deleted-entry-id (checked on 7.0.15), so trimming is judged from the
// first kept entry: a client whose own event is no longer in the journal may have missed the
// entries between it and the first kept one. That cannot be told apart from "nothing came in
// between", so it is reported (conservative; it only happens past the retention period).
import { compareStreamIds } from './ids';

export interface JournalInfo {
  length: number;
  lastGeneratedId: string;
  /** '0-0' when nothing was ever deleted with XDEL. */
  maxDeletedId: string;
  /** Entries ever added (Redis 7); undefined when Redis does not say. */
  entriesAdded?: number;
  /** The oldest entry still held, undefined when the journal is empty. */
  firstId?: string;
}

export type Resume = { ok: true } | { ok: false; oldest: string | undefined; why: 'trimmed' | 'deleted' | 'unknown' };

/** Whether resuming after `position` (exclusive) misses nothing that was once in the journal. */
export function resumeFrom(position: string, info: JournalInfo | undefined): Resume {
  if (!info) return { ok: true }; // no journal at all: nothing was ever there to miss
  const oldest = info.firstId;
  if (compareStreamIds(position, info.lastGeneratedId) > 0) return { ok: false, oldest, why: 'unknown' };
  if (compareStreamIds(position, info.maxDeletedId) < 0) return { ok: false, oldest, why: 'deleted' };
  const removed = info.entriesAdded === undefined ? true : info.entriesAdded > info.length;
  if (!removed) return { ok: true };
  // Everything older than the first kept entry is gone (all of it, when the journal is empty).
  return compareStreamIds(position, oldest ?? info.lastGeneratedId) < 0 ? { ok: false, oldest, why: 'trimmed' } : { ok: true };
}
