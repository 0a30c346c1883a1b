/**
 * Bounded recently-seen set of message ids (CONSENSUS.md: "The same message id seen twice (local
 * bus and MQTT, or two topics) counts once"). A hit refreshes the id; the least recently seen id
 * is forgotten when full, so memory stays bounded whatever a client sends.
 */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 4096) {}

  /** True when `id` was seen recently; otherwise remembers it and returns false. */
  seen(id: string): boolean {
    if (this.ids.has(id)) {
      // Refresh: a re-delivery keeps the id alive (LRU rather than FIFO).
      this.ids.delete(id);
      this.ids.add(id);
      return true;
    }
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value as string;
      this.ids.delete(oldest);
    }
    return false;
  }

  /** Number of remembered ids. */
  get size(): number {
    return this.ids.size;
  }
}
