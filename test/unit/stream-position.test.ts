// Whether a client can resume from its position without a gap (from XINFO STREAM).
import { resumeFrom, type JournalInfo } from '../../src/stream/domain';
import { parseXinfo } from '../../src/stream/sse';

// Entries 4-0..6-0 kept; 1-0..3-0 were trimmed (entries-added 6, length 3).
const trimmed: JournalInfo = { length: 3, lastGeneratedId: '6-0', maxDeletedId: '0-0', entriesAdded: 6, firstId: '4-0' };

test('a position still in the journal, or at its end, resumes', () => {
  expect(resumeFrom('4-0', trimmed)).toEqual({ ok: true });
  expect(resumeFrom('5-0', trimmed)).toEqual({ ok: true });
  expect(resumeFrom('6-0', trimmed)).toEqual({ ok: true });
});

test('a position older than the first kept event has expired (its own event was trimmed)', () => {
  expect(resumeFrom('2-0', trimmed)).toEqual({ ok: false, oldest: '4-0', why: 'trimmed' });
  expect(resumeFrom('3-9', trimmed)).toEqual({ ok: false, oldest: '4-0', why: 'trimmed' });
});

test('before the first event of a journal that never lost one, nothing is missed (since=0-0 reads all)', () => {
  expect(resumeFrom('0-0', { ...trimmed, entriesAdded: 3, firstId: '4-0' })).toEqual({ ok: true });
});

test('an event deleted after the position (max-deleted-entry-id) is a gap', () => {
  expect(resumeFrom('5-0', { ...trimmed, maxDeletedId: '5-5' })).toEqual({ ok: false, oldest: '4-0', why: 'deleted' });
  expect(resumeFrom('5-5', { ...trimmed, maxDeletedId: '5-5' })).toEqual({ ok: true });
});

test('a position beyond the end of the journal is unknown (a reset Redis)', () => {
  expect(resumeFrom('7-0', trimmed)).toEqual({ ok: false, oldest: '4-0', why: 'unknown' });
});

test('an emptied journal: behind its last id is a gap; no journal at all is not', () => {
  const empty: JournalInfo = { length: 0, lastGeneratedId: '6-0', maxDeletedId: '0-0', entriesAdded: 6 };
  expect(resumeFrom('5-0', empty)).toEqual({ ok: false, oldest: undefined, why: 'trimmed' });
  expect(resumeFrom('6-0', empty)).toEqual({ ok: true });
  expect(resumeFrom('5-0', undefined)).toEqual({ ok: true });
});

test('without entries-added (before Redis 7) trimming is assumed', () => {
  expect(resumeFrom('0-0', { length: 3, lastGeneratedId: '6-0', maxDeletedId: '0-0', firstId: '4-0' })).toEqual({ ok: false, oldest: '4-0', why: 'trimmed' });
});

test('XINFO STREAM replies are read in both shapes', () => {
  const flat = ['length', 3, 'radix-tree-keys', 1, 'last-generated-id', '6-0', 'max-deleted-entry-id', '0-0', 'entries-added', 6, 'recorded-first-entry-id', '4-0', 'groups', 0, 'first-entry', ['4-0', ['a', 'b']], 'last-entry', ['6-0', ['a', 'b']]];
  expect(parseXinfo(flat)).toEqual(trimmed);
  expect(parseXinfo({ length: 3, 'last-generated-id': '6-0', 'max-deleted-entry-id': '0-0', 'entries-added': 6, 'first-entry': ['4-0', []] })).toEqual(trimmed);
  expect(parseXinfo(['length', 0, 'last-generated-id', '0-0', 'first-entry', null])).toEqual({ length: 0, lastGeneratedId: '0-0', maxDeletedId: '0-0' });
});
