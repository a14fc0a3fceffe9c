/**
 * What a process knows for a short, bounded time (docs/delivery.md, "What the worker keeps in
 * memory"): a value loaded at `t` is handed out until `t + ttlMs` (the load's start, so the
 * bound holds however long the load took), then loaded again. Parallel callers of one key share
 * one load; a failed load is forgotten. At most `maxEntries` keys are kept (the oldest load goes
 * first), so a worker that sees many portals or handlers stays small. `ttlMs = 0` keeps nothing.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: Promise<V>; loadedAt: number }>();

  constructor(
    readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  /** The value loaded less than `ttlMs` before `now`, else a fresh load. */
  get(key: string, now: number, load: () => Promise<V>): Promise<V> {
    const known = this.entries.get(key);
    if (known && now >= known.loadedAt && now - known.loadedAt < this.ttlMs) return known.value;
    return this.refresh(key, now, load);
  }

  /** Loads the value now, whatever is known, and keeps it from `now` on. */
  refresh(key: string, now: number, load: () => Promise<V>): Promise<V> {
    const value = load();
    this.keep(key, value, now);
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }

  /**
   * Replaces a known value with what this process just learnt itself, keeping the time of the
   * load: the value is still loaded again `ttlMs` after it was, so what other processes wrote
   * meanwhile is seen within the bound.
   */
  update(key: string, value: V): void {
    const known = this.entries.get(key);
    if (known) known.value = Promise.resolve(value);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  private keep(key: string, value: Promise<V>, now: number): void {
    if (this.ttlMs <= 0) return;
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, loadedAt: now });
  }
}
