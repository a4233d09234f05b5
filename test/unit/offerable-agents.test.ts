// OfferableAgents keeps the selection's agent list up to date from a snapshot's changes; whatever
// the sequence of changes, the result must equal a list built from scratch.
import { OfferableAgents } from '../../src/acd/service/offerable-agents';
import type { Snapshot, Versioned } from '../../src/acd/ports';
import type { AgentProfile, AgentState } from '../../src/acd/domain/model';

const profile = (id: string): AgentProfile => ({ id, name: id, endpoint: `PJSIP/${id}`, skills: { sales: 5 }, languages: ['en'], autoLogin: false });
const state = (id: string, status: AgentState['status'], reachable = true): AgentState => ({ id, status, since: 0, idleSince: 0, missed: 0, callsTaken: 0, talkTimeMs: 0, reachable });

/** A snapshot whose change log can be cut (as the Redis copy's is after a full reload). */
class FakeSnapshot implements Snapshot<AgentState> {
  rev = 0;
  docs = new Map<string, Versioned<AgentState>>();
  log: Array<{ rev: number; id: string }> = [];
  knownFrom = 0;
  changedSince(rev: number): ReadonlySet<string> | undefined {
    if (rev < this.knownFrom) return undefined;
    return new Set(this.log.filter((e) => e.rev > rev).map((e) => e.id));
  }
  write(id: string, status: AgentState['status'] | undefined, reachable = true): void {
    const v = (this.docs.get(id)?.v ?? 0) + 1;
    if (status) this.docs.set(id, { v, d: state(id, status, reachable) });
    else this.docs.delete(id);
    this.log.push({ rev: ++this.rev, id });
  }
}

const picture = (r: { views: readonly { profile: AgentProfile; state: AgentState }[]; version: (id: string) => number }) =>
  Object.fromEntries([...r.views].map((v) => [v.profile.id, [v.state.status, r.version(v.profile.id)]]));

function fromScratch(snap: FakeSnapshot, profiles: ReadonlyMap<string, AgentProfile>) {
  const out: Record<string, [string, number]> = {};
  for (const [id, doc] of snap.docs) if (profiles.has(id) && doc.d.status === 'available' && doc.d.reachable) out[id] = [doc.d.status, doc.v];
  return out;
}

test('updates by what changed equal a rebuild, through writes, state changes, removals, config changes and lost history', () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const ids = Array.from({ length: 40 }, (_, i) => `a${i}`);
  let profiles = new Map(ids.slice(0, 30).map((id) => [id, profile(id)]));
  const snap = new FakeSnapshot();
  const views = new OfferableAgents();
  let sizes = 0;
  const statuses: AgentState['status'][] = ['available', 'paused', 'on-call', 'wrap-up'];
  for (let round = 0; round < 2000; round++) {
    for (let k = Math.floor(rand() * 4); k > 0; k--) {
      const id = ids[Math.floor(rand() * ids.length)]!;
      snap.write(id, rand() < 0.1 ? undefined : statuses[Math.floor(rand() * statuses.length)], rand() < 0.9);
    }
    if (rand() < 0.02) profiles = new Map(ids.filter(() => rand() < 0.7).map((id) => [id, profile(id)])); // a reload
    if (rand() < 0.02) snap.knownFrom = snap.rev; // the copy reloaded in full: earlier changes unknown
    const r = views.update(snap, profiles);
    expect(picture(r)).toEqual(fromScratch(snap, profiles));
    expect(new Set(r.views.map((v) => v.profile.id)).size).toBe(r.views.length);
    sizes += r.views.length;
  }
  expect(sizes / 2000).toBeGreaterThan(3); // the case is not trivially empty
});

test('only available agents with a reachable phone are listed, with their versions', () => {
  const snap = new FakeSnapshot();
  snap.write('a1', 'available');
  snap.write('a2', 'available', false);
  snap.write('a3', 'paused');
  const r = new OfferableAgents().update(snap, new Map(['a1', 'a2', 'a3'].map((id) => [id, profile(id)])));
  expect(r.views.map((v) => v.profile.id)).toEqual(['a1']);
  expect([r.version('a1'), r.version('a3')]).toEqual([1, 0]);
});
