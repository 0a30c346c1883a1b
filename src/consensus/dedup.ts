/**
 * Bounded recently-seen set of message ids (docs/consensus.md: "The same message id seen twice (local
 * bus and MQTT, or two topics) counts once"). Least recently seen ids are forgotten first, so memory
 * stays bounded whatever a client sends. A ring of ids plus a count map: O(1) per id without the
 * Set-iterator eviction that dominated the benchmark.
 */
export class RecentIds {
  /** Ring of ids, oldest at `head`; an id re-seen is appended again (LRU refresh). */
  private readonly ring: Array<string | undefined>;
  /** How many ring slots hold each id. */
  private readonly counts = new Map<string, number>();
  private head = 0;
  private len = 0;

  constructor(private readonly capacity = 4096) {
    this.ring = new Array<string | undefined>(capacity).fill(undefined);
  }

  /** True when `id` was seen recently; either way it becomes the most recently seen. */
  seen(id: string): boolean {
    const hit = this.counts.has(id);
    if (this.len === this.capacity) {
      // Forget the oldest slot; the id itself goes only when no newer slot holds it.
      const old = this.ring[this.head] as string;
      const n = this.counts.get(old)! - 1;
      if (n === 0) this.counts.delete(old);
      else this.counts.set(old, n);
      this.head = (this.head + 1) % this.capacity;
      this.len--;
    }
    this.ring[(this.head + this.len) % this.capacity] = id;
    this.len++;
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
    return hit;
  }

  /** Number of distinct remembered ids. */
  get size(): number {
    return this.counts.size;
  }
}
