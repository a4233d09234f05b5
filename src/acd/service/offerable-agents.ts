// The agents a call can be offered to right now (available, phone reachable, in the
// configuration), as the selection sees them (profile + state), kept up to date from the store's
// snapshot: only the agents whose document changed since the last decision are looked at. At
// 10,000 agents rebuilding every view per decision cost several milliseconds, and the selection
// then scans only the offerable ones (a third of the agents in a busy center, often far fewer).
import { isOfferable } from '../domain/eligibility';
import type { AgentProfile, AgentState } from '../domain/model';
import type { AgentView } from '../domain/select';
import type { Snapshot } from '../ports';

interface Slot {
  view: AgentView;
  v: number;
  index: number;
}

export class OfferableAgents {
  private list: AgentView[] = [];
  private readonly slots = new Map<string, Slot>();
  private rev = -1;
  private profiles: ReadonlyMap<string, AgentProfile> | undefined;

  /** Every offerable agent that is in the configuration, with its document's version. */
  update(snapshot: Snapshot<AgentState>, profiles: ReadonlyMap<string, AgentProfile>): { views: readonly AgentView[]; version: (agentId: string) => number } {
    const changed = profiles === this.profiles ? snapshot.changedSince(this.rev) : undefined;
    if (changed === undefined) this.rebuild(snapshot, profiles);
    else for (const id of changed) this.set(id, snapshot.docs.get(id), profiles.get(id));
    this.rev = snapshot.rev;
    this.profiles = profiles;
    return { views: this.list, version: (id) => this.slots.get(id)?.v ?? 0 };
  }

  private rebuild(snapshot: Snapshot<AgentState>, profiles: ReadonlyMap<string, AgentProfile>): void {
    this.list = [];
    this.slots.clear();
    for (const [id, doc] of snapshot.docs) this.set(id, doc, profiles.get(id));
  }

  private set(id: string, doc: { v: number; d: AgentState } | undefined, profile: AgentProfile | undefined): void {
    const slot = this.slots.get(id);
    if (doc && profile && isOfferable(doc.d)) {
      const view = { profile, state: doc.d };
      if (slot) {
        slot.view = view;
        slot.v = doc.v;
        this.list[slot.index] = view;
      } else {
        this.slots.set(id, { view, v: doc.v, index: this.list.length });
        this.list.push(view);
      }
      return;
    }
    if (!slot) return;
    // Swap-remove: selection does not depend on the order (ties break by id).
    const last = this.list.pop()!;
    if (last !== slot.view) {
      this.list[slot.index] = last;
      this.slots.get(last.profile.id)!.index = slot.index;
    }
    this.slots.delete(id);
  }
}
