/**
 * The last `max` keys added, oldest forgotten first: what this process has seen finish (a call
 * ended, an agent leg done with), so the events still to come about it need no look-up in Redis.
 * Only for facts that never become false again.
 */
export class RecentSet {
  private readonly keys = new Set<string>();

  constructor(private readonly max = 10_000) {}

  add(key: string): void {
    if (this.keys.has(key)) return;
    this.keys.add(key);
    if (this.keys.size > this.max) this.keys.delete(this.keys.values().next().value!);
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }
}
