/**
 * Identity follow (issue 16), pure: the configured cameras that name an ONVIF identity, where each
 * was last found, and what changed in a round (found, moved to a new address, URL changed, not
 * found). The caller applies the URLs to the camera role; times are passed in (wall ms).
 */
import type { CameraOnvifIdentity } from '../capture/config.js';
import { identityMatches, streamUrlFor, type DiscoveredCamera } from './merge.js';

/** One identity camera's state, as reported. */
export interface IdentityState {
  camera: string;
  serial: string | null;
  mac: string | null;
  status: 'waiting' | 'found' | 'missing';
  address: string | null;
  /** The URL the camera uses now (with credentials: the caller redacts before reporting). */
  url: string | null;
  /** Wall ms it was last found, else null. */
  lastSeenAt: number | null;
  /** Wall ms of the last move, else null. */
  movedAt: number | null;
  moves: number;
  /** Why the camera has no URL or was not found this round, else null. */
  reason: string | null;
}

/** What a round changed. */
export type IdentityEvent =
  | { type: 'found'; camera: string; address: string; url: string }
  | { type: 'moved'; camera: string; from: string; to: string; url: string }
  | { type: 'url_changed'; camera: string; address: string; url: string }
  | { type: 'missing'; camera: string; reason: string }
  | { type: 'no_stream'; camera: string; address: string; reason: string }
  | { type: 'conflict'; camera: string; addresses: string[]; reason: string };

/** Tracks the configured identity cameras across rounds. */
export class IdentityTracker {
  private readonly states = new Map<string, IdentityState>();
  private readonly ids = new Map<string, CameraOnvifIdentity>();

  constructor(
    cameras: ReadonlyArray<{ id: string; url: string; onvif?: CameraOnvifIdentity | undefined }>,
    private readonly credentials: { username: string; password: string },
  ) {
    for (const c of cameras) {
      if (!c.onvif) continue;
      this.ids.set(c.id, c.onvif);
      // A fixed url beside the identity is where the camera starts; discovery corrects it.
      this.states.set(c.id, {
        camera: c.id,
        serial: c.onvif.serial ?? null,
        mac: c.onvif.mac ?? null,
        status: 'waiting',
        address: c.url ? hostOf(c.url) : null,
        url: c.url || null,
        lastSeenAt: null,
        movedAt: null,
        moves: 0,
        reason: c.url ? null : 'waiting for the first discovery round',
      });
    }
  }

  /** Whether any configured camera names an identity. */
  get size(): number {
    return this.ids.size;
  }

  /** Applies one round's findings (a round whose probe failed altogether should not be applied). */
  update(found: readonly DiscoveredCamera[], nowWall: number): IdentityEvent[] {
    const events: IdentityEvent[] = [];
    for (const [camera, id] of this.ids) {
      const st = this.states.get(camera)!;
      const all = found.filter((d) => identityMatches(id, d));
      const who = id.serial !== undefined ? `onvif serial ${id.serial}` : `onvif mac ${id.mac}`;
      // Two devices claiming one identity is a misconfiguration or a device impersonating the
      // camera: following either could point the detector at the wrong picture. Stay put, say so.
      if (all.length > 1) {
        const addresses = all.map((d) => d.address);
        const reason = `${all.length} devices claim ${who} (${addresses.join(', ')}): not following either; give the camera both serial and mac`;
        if (st.reason !== reason) events.push({ type: 'conflict', camera, addresses, reason });
        st.reason = reason;
        continue;
      }
      const c = all[0];
      if (!c) {
        const reason = `${who} not found by discovery${st.lastSeenAt !== null ? ` since it was last seen at ${st.address}` : ''}`;
        if (st.status !== 'missing') events.push({ type: 'missing', camera, reason });
        st.status = 'missing';
        st.reason = reason;
        continue;
      }
      const url = streamUrlFor(c, this.credentials, id.profile);
      st.lastSeenAt = nowWall;
      if (!url) {
        const reason = `${who} found at ${c.address} but it gave no RTSP stream URI${id.profile ? ` for profile ${id.profile}` : ''}${c.queryError ? ` (${c.queryError.reason})` : ''}`;
        if (st.reason !== reason) events.push({ type: 'no_stream', camera, address: c.address, reason });
        st.status = 'found';
        st.reason = reason;
        continue;
      }
      const prevAddr = st.address;
      const prevUrl = st.url;
      // Back after being missing (or without a stream, or contested) at the same place: still news,
      // the camera's reason must be cleared.
      const hadProblem = st.reason !== null;
      st.status = 'found';
      st.reason = null;
      st.address = c.address;
      st.url = url;
      if (prevUrl === null) events.push({ type: 'found', camera, address: c.address, url });
      else if (prevAddr !== null && prevAddr !== c.address) {
        st.moves++;
        st.movedAt = nowWall;
        events.push({ type: 'moved', camera, from: prevAddr, to: c.address, url });
      } else if (prevUrl !== url) events.push({ type: 'url_changed', camera, address: c.address, url });
      else if (hadProblem) events.push({ type: 'found', camera, address: c.address, url });
    }
    return events;
  }

  /** Every identity camera's state (copies). */
  snapshot(): IdentityState[] {
    return [...this.states.values()].map((s) => ({ ...s }));
  }

  /** The state of one camera. */
  get(camera: string): IdentityState | undefined {
    const s = this.states.get(camera);
    return s ? { ...s } : undefined;
  }
}

function hostOf(u: string): string | null {
  try {
    return new URL(u).hostname || null;
  } catch {
    return null;
  }
}
