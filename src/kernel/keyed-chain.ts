/**
 * Work run one piece after another per key (a call, an endpoint), different keys side by side.
 * A piece that fails is reported to `onError` and does not stop the ones after it.
 */
export class KeyedChain {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `work` after everything already queued under `key`. Never rejects. */
  run(key: string, work: () => Promise<void>, onError: (err: unknown) => void): Promise<void> {
    const next = (this.tails.get(key) ?? Promise.resolve()).then(work).catch(onError);
    this.tails.set(key, next);
    void next.then(() => {
      if (this.tails.get(key) === next) this.tails.delete(key);
    });
    return next;
  }

  /** Resolves when nothing is queued under any key. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }
}
