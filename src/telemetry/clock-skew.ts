/**
 * How far this node's wall clock is from its peers' (issue 12 item 7e): a node whose clock was far
 * off refused every remote trigger as expired while health said ok. Peers stamp every envelope
 * with their wall time (`ts`); the receive time minus that stamp is the clock offset plus the
 * transit delay, and delay is never negative, so per peer the SMALLEST such difference over a
 * window is the best estimate (the NTP idea, one-way). Across peers the median is taken, so one
 * peer with a wrong clock does not make every other node report skew. Pure: times passed in.
 *
 * Positive offset = the local clock is AHEAD of the peers (their fresh messages look old here:
 * remote triggers are refused as expired); negative = behind (their messages look like the future).
 */

/** Options of {@link ClockSkewTracker}. */
export interface ClockSkewOptions {
  /** Samples older than this (monotonic ms) are forgotten. */
  windowMs: number;
  /** Peers tracked at once (the oldest-seen is dropped beyond it). */
  maxPeers?: number;
}

/** The current estimate. */
export interface ClockSkewEstimate {
  /** local wall − peers' wall, ms (median over peers of each peer's minimum). */
  offsetMs: number;
  /** Peers with a sample in the window. */
  peers: number;
}

interface Sample {
  at: number;
  offsetMs: number;
}

/** Tracks offsets per peer. */
export class ClockSkewTracker {
  private readonly peers = new Map<string, Sample[]>();

  constructor(private readonly o: ClockSkewOptions) {}

  /**
   * One message from `peer` stamped `remoteWallMs`, received at local wall `localWallMs`, at
   * monotonic `monoNow`. Never call it for retained messages (they are old by nature) or our own.
   */
  observe(peer: string, remoteWallMs: number, localWallMs: number, monoNow: number): void {
    if (!Number.isFinite(remoteWallMs) || !Number.isFinite(localWallMs)) return;
    let list = this.peers.get(peer);
    if (!list) {
      if (this.peers.size >= (this.o.maxPeers ?? 64)) this.peers.delete(this.peers.keys().next().value as string);
      list = [];
    } else this.peers.delete(peer); // re-insert: Map order = least recently seen first
    this.peers.set(peer, list);
    const offsetMs = localWallMs - remoteWallMs;
    // Keep only samples that can still be the window minimum: drop older ones that are not smaller.
    while (list.length && list[list.length - 1].offsetMs >= offsetMs) list.pop();
    list.push({ at: monoNow, offsetMs });
    this.prune(list, monoNow);
  }

  /** The estimate at monotonic `monoNow`, or null with no peer heard within the window. */
  estimate(monoNow: number): ClockSkewEstimate | null {
    const mins: number[] = [];
    for (const [peer, list] of this.peers) {
      this.prune(list, monoNow);
      if (list.length) mins.push(list[0].offsetMs);
      else this.peers.delete(peer);
    }
    if (!mins.length) return null;
    mins.sort((a, b) => a - b);
    const mid = mins.length >> 1;
    const offsetMs = mins.length % 2 ? mins[mid] : (mins[mid - 1] + mins[mid]) / 2;
    return { offsetMs, peers: mins.length };
  }

  private prune(list: Sample[], monoNow: number): void {
    // The list is increasing in offset and in time: the front is the window minimum.
    while (list.length && monoNow - list[0].at > this.o.windowMs) list.shift();
  }
}
