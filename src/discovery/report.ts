/**
 * What discovery shows people (pure): the `discover` table, the ready `cameras:` snippet, and the
 * retained `system/<node>/discovery` payload. Credentials never appear: stream URIs are redacted and
 * the snippet names cameras by identity (the node adds discovery.credentials itself).
 */
import { redactUrl } from '../log/redact.js';
import type { IdentityState } from './identity.js';
import type { DiscoveredCamera } from './merge.js';
import { chooseProfile } from './merge.js';
import type { DiscoveryRound } from './round.js';

const dash = (v: string | null | undefined): string => (v === null || v === undefined || v === '' ? '-' : v);

/** The stream URI a camera would be opened with, credentials redacted. */
export function shownStreamUri(c: DiscoveredCamera): string | null {
  const u = chooseProfile(c)?.streamUri ?? c.mdnsRtsp;
  return u ? redactUrl(u) : null;
}

/** Aligned text table, one camera per line. */
export function discoveryTable(cameras: readonly DiscoveredCamera[], configured: ReadonlyMap<number, string>): string {
  const head = ['ADDRESS', 'FOUND BY', 'MAKER / MODEL', 'SERIAL', 'MAC', 'PROFILES', 'STREAM URI', 'CONFIGURED AS'];
  const rows = cameras.map((c, i) => [
    c.address,
    c.source,
    c.manufacturer || c.model ? `${dash(c.manufacturer)} ${dash(c.model)}` : c.mdnsNames.length ? `mDNS: ${c.mdnsNames.join(', ')}` : '-',
    dash(c.serial),
    dash(c.mac),
    c.profiles.length ? c.profiles.map((p) => `${p.name} ${p.width ?? '?'}x${p.height ?? '?'}`).join(', ') : c.queryError ? `(query failed: ${c.queryError.code})` : '-',
    dash(shownStreamUri(c)),
    dash(configured.get(i)),
  ]);
  const widths = head.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const line = (r: string[]) => r.map((v, k) => (k === r.length - 1 ? v : v.padEnd(widths[k]))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

function camId(c: DiscoveredCamera, taken: Set<string>): string {
  const base = `${c.model ?? c.mdnsNames[0] ?? 'cam'}-${c.serial ?? c.address}`.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48) || 'cam';
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  taken.add(id);
  return id;
}

const q = (s: string) => JSON.stringify(s);

/**
 * A `cameras:` block for the cameras not configured yet: by ONVIF serial (else MAC) so they keep
 * working across address changes, by URL (without credentials) for mDNS-only finds. Null when
 * there is nothing to add.
 */
export function camerasSnippet(cameras: readonly DiscoveredCamera[], configured: ReadonlyMap<number, string>, takenIds: readonly string[] = []): string | null {
  const taken = new Set(takenIds);
  const out: string[] = [];
  cameras.forEach((c, i) => {
    if (configured.has(i)) return;
    const what = [c.manufacturer, c.model].filter(Boolean).join(' ') || c.mdnsNames.join(', ') || 'camera';
    if (c.serial || c.mac) {
      out.push(`  - id: ${camId(c, taken)}  # ${what} at ${c.address}`);
      out.push('    onvif:');
      if (c.serial) out.push(`      serial: ${q(c.serial)}`);
      else out.push(`      mac: ${q(c.mac!)}`);
    } else {
      const uri = shownStreamUri(c);
      if (!uri) return;
      out.push(`  - id: ${camId(c, taken)}  # ${what} at ${c.address} (no ONVIF identity: fixed URL; add user:password@ if the camera needs them)`);
      out.push(`    url: ${q(uri.replace('***@', ''))}`);
    }
  });
  return out.length ? `cameras:\n${out.join('\n')}` : null;
}

/** The retained `system/<node>/discovery` payload (docs/topics.md style: v, node_id, ts). */
export interface DiscoveryReport {
  v: 1;
  node_id: string;
  ts: number;
  round: number;
  duration_ms: number;
  interfaces: string[];
  /** ProbeMatches accepted this round (distinct endpoints). */
  devices: number;
  cameras: Array<{
    address: string;
    source: string;
    manufacturer: string | null;
    model: string | null;
    serial: string | null;
    mac: string | null;
    profiles: Array<{ token: string; name: string; width: number | null; height: number | null; snapshot_uri: string | null }>;
    stream_uri: string | null;
    /** The configured camera it is, or null: discovered cameras never feed consensus until configured. */
    configured_as: string | null;
    error: string | null;
  }>;
  identities: Array<{ camera: string; serial: string | null; mac: string | null; status: string; address: string | null; url: string | null; last_seen_at: number | null; moved_at: number | null; moves: number; reason: string | null }>;
  rejected: Record<string, number>;
  query_failures: Record<string, number>;
  errors: string[];
}

/** Builds the report payload (URLs redacted). */
export function buildReport(o: { nodeId: string; ts: number; round: number; result: DiscoveryRound; configured: ReadonlyMap<number, string>; identities: readonly IdentityState[] }): DiscoveryReport {
  return {
    v: 1,
    node_id: o.nodeId,
    ts: o.ts / 1000,
    round: o.round,
    duration_ms: o.result.durationMs,
    interfaces: o.result.interfaces.map((i) => `${i.name} ${i.address}`),
    devices: o.result.devices,
    cameras: o.result.cameras.map((c, i) => ({
      address: c.address,
      source: c.source,
      manufacturer: c.manufacturer,
      model: c.model,
      serial: c.serial,
      mac: c.mac,
      profiles: c.profiles.map((p) => ({ token: p.token, name: p.name, width: p.width, height: p.height, snapshot_uri: p.snapshotUri ? redactUrl(p.snapshotUri) : null })),
      stream_uri: shownStreamUri(c),
      configured_as: o.configured.get(i) ?? null,
      error: c.queryError ? `${c.queryError.code}: ${redactUrl(c.queryError.reason)}` : null,
    })),
    identities: o.identities.map((s) => ({
      camera: s.camera,
      serial: s.serial,
      mac: s.mac,
      status: s.status,
      address: s.address,
      url: s.url ? redactUrl(s.url) : null,
      last_seen_at: s.lastSeenAt === null ? null : s.lastSeenAt / 1000,
      moved_at: s.movedAt === null ? null : s.movedAt / 1000,
      moves: s.moves,
      reason: s.reason,
    })),
    rejected: { ...o.result.rejected } as Record<string, number>,
    query_failures: { ...o.result.queryFailures } as Record<string, number>,
    errors: o.result.errors,
  };
}
