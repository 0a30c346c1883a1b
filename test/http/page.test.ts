import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { PageStatus } from '../../src/http/index.js';
import { renderPage } from '../../src/http/page.js';

/**
 * Runs the page's inline script against a tiny fake DOM (no browser here): proves that the render
 * code runs without errors on a full status, shows what it should, and puts hostile strings only
 * into text nodes and encoded attributes, never into markup.
 */

interface Node {
  tag?: string;
  text?: string;
  attrs: Record<string, string>;
  children: Node[];
}

function fakeDom() {
  const byId: Record<string, Node> = {};
  const el = (tag: string): Node & Record<string, unknown> => {
    const n: Node & Record<string, unknown> = {
      tag,
      attrs: {},
      children: [],
      setAttribute(k: string, v: string) {
        n.attrs[k] = String(v);
      },
      appendChild(c: Node) {
        n.children.push(c);
        return c;
      },
      replaceChildren(...c: Node[]) {
        n.children = c;
      },
    };
    Object.defineProperty(n, 'textContent', {
      set(t: string) {
        n.children = [{ text: String(t), attrs: {}, children: [] }];
      },
    });
    return n;
  };
  const classes = new Set<string>();
  const document = {
    body: { classList: { add: (c: string) => void classes.add(c), remove: (c: string) => void classes.delete(c), contains: (c: string) => classes.has(c) } },
    createElement: el,
    createElementNS: (_ns: string, tag: string) => el(tag),
    createTextNode: (t: string) => ({ text: t, attrs: {}, children: [] }),
    getElementById: (id: string) => (byId[id] ??= el('div')),
  };
  return { document, byId };
}

const text = (n: Node): string => (n.text ?? '') + n.children.map(text).join('');
const all = (n: Node): Node[] => [n, ...n.children.flatMap(all)];

const EVIL = '<img src=x onerror=alert(1)>';

function status(): PageStatus {
  return {
    node: { id: 'pi-north', version: '0.1.0', roles: ['camera', 'pump'] },
    health: { status: 'degraded', problems: [{ code: 'camera_down', subject: EVIL, message: `camera ${EVIL} is offline` }] },
    mqtt: { state: 'RECONNECTING', outboxDepth: 12, outboxMax: 10000 },
    cameras: [
      { id: 'north', status: 'online', fps: 2 },
      { id: EVIL, status: 'offline', fps: null, error: EVIL },
    ],
    consensus: { state: 'watching', cameras_seeing_fire: ['north'], threshold: 2, last_trigger: null },
    pump: {
      state: 'RUNNING',
      armed: true,
      driver: 'mock',
      error: null,
      outputs: { mainValve: true, ignitionStart: false, ignitionOn: true, ignitionOff: false, refillValve: true, primingValve: false, rpmReduce: false },
      inputs: { reservoirFloat: null, linePressure: true, flowSensor: null, emergencyButton: null, engineRunning: null },
    },
    pumpEvents: [{ at: 1764200000000, event: 'transition', from: 'STARTING', to: 'RUNNING', reason: EVIL }],
    pumpStates: [{ at: 1764199990000, state: 'IDLE' }, { at: 1764199995000, state: 'RUNNING' }],
    refreshMs: 2000,
    timeline: {
      atWallMs: 1764200001000,
      windowMs: 30_000,
      cameras: [{ id: EVIL, seesFire: true, tracks: [{ track: EVIL, label: EVIL, source: 'own', status: 'growing', early: 0.01, late: 0.02, box: [0.1, 0.1, 0.3, 0.3], samples: [[1764199998000, 0.9, 0.01], [1764200000000, 0.95, 0.02]] }] }],
    },
    snapshots: { north: 1764200000123 },
    generatedAt: 1764200001000,
  };
}

function runPage(s: PageStatus) {
  const html = renderPage('pi-north');
  const script = /<script>([\s\S]*)<\/script>/.exec(html)![1];
  const { document, byId } = fakeDom();
  const errors: unknown[] = [];
  let rendered: Promise<void> = Promise.resolve();
  const fetch = () => {
    const p = Promise.resolve({ ok: true, json: () => Promise.resolve(s) });
    rendered = p.then(() => new Promise((r) => setTimeout(r, 0)));
    return p;
  };
  runInNewContext(script, { window: {}, document, fetch, setInterval: () => 0, Date, JSON, encodeURIComponent, console: { error: (e: unknown) => errors.push(e) } });
  return { byId, errors, done: () => rendered };
}

describe('status page script', () => {
  it('shows a camera whose node died as offline, although its retained status still says online (issue 17)', async () => {
    const s = status();
    s.consensus = {
      ...s.consensus!,
      cameras: [
        { id: 'north', node: 'pi-north', status: 'online', effectiveStatus: 'online', nodeOnline: true, voting: true, silentMs: 1200 },
        { id: 'east', node: 'cam-east', status: 'online', effectiveStatus: 'offline', nodeOnline: false, voting: false, silentMs: 95_000 },
      ],
    } as PageStatus['consensus'];
    const { byId, done } = runPage(s);
    await done();
    const rows = all(byId.consensus).filter((n) => n.tag === 'tr').map(text);
    expect(rows).toContain('northpi-northonlineyes1 s ago');
    expect(rows).toContain('eastcam-eastoffline (node offline)no95 s ago');
  });

  it('shows discovery: identity cameras followed and found cameras with what they are configured as (issue 16)', async () => {
    const off = runPage(status());
    await off.done();
    expect(text(off.byId.discovery)).toBe('discovery is off on this node');
    const report = {
      identities: [{ camera: 'yard', status: 'found', address: '10.0.0.51', moves: 1, reason: null }, { camera: 'ghost', status: 'missing', address: null, moves: 0, reason: 'onvif serial X not found by discovery' }],
      cameras: [
        { address: '10.0.0.51', source: 'onvif', manufacturer: 'EmuCam', model: 'EC-200', serial: 'SN1', configured_as: 'yard', error: null },
        { address: '10.0.0.12', source: 'onvif', manufacturer: EVIL, model: null, serial: null, configured_as: null, error: 'too_large: a response was larger than 262144 bytes' },
      ],
    };
    const { byId, done } = runPage({ ...status(), discovery: { rounds: 3, report } });
    await done();
    const t = text(byId.discovery);
    expect(t).toContain('camera yardfound at 10.0.0.51 · moved 1×');
    expect(t).toContain('camera ghostmissing · onvif serial X not found by discovery');
    expect(t).toContain('10.0.0.51EmuCam EC-200 · SN1 · camera yard');
    expect(t).toContain(`10.0.0.12${EVIL} · onvif · not configured (reported only) · too_large`);
    expect(all(byId.discovery).some((n) => n.tag === 'img')).toBe(false);
  });

  it('renders every section from a status snapshot', async () => {
    const { byId, done } = runPage(status());
    await done();
    expect(text(byId.health)).toBe('degraded');
    expect(byId.health.attrs.class).toBe('badge degraded');
    expect(text(byId.mqtt)).toContain('RECONNECTING');
    expect(text(byId.mqtt)).toContain('12 / 10000');
    expect(text(byId.consensus)).toContain('watching');
    const pump = text(byId.pump);
    expect(pump).toContain('RUNNING');
    expect(pump).toContain('mainValveon');
    expect(pump).toContain('rpmReduceoff');
    expect(pump).toContain('flowSensornot wired');
    expect(text(byId.events)).toContain('STARTING → RUNNING');
    const lamps = all(byId.pump).filter((n) => n.attrs.class?.startsWith('lamp'));
    expect(lamps.filter((l) => l.attrs.class === 'lamp on')).toHaveLength(4); // 3 outputs on + linePressure
    const imgs = all(byId.cams).filter((n) => n.tag === 'img');
    // The second camera has no snapshot yet: an empty frame, not an image without a source.
    expect(imgs).toHaveLength(1);
    expect(imgs[0].attrs.src).toBe('/snapshot/north.jpg?t=1764200000123');
    expect(text(byId.banner)).toContain('PUMP RUNNING');
    expect(all(byId.timeline).filter((n) => n.attrs.class === 'pump-state')).toHaveLength(2);
  });

  it('keeps hostile strings as text: no element is ever built from data', async () => {
    const { byId, done } = runPage(status());
    await done();
    const tags = new Set(Object.values(byId).flatMap(all).map((n) => n.tag).filter(Boolean));
    expect([...tags].every((t) => ['div', 'ul', 'li', 'table', 'tr', 'th', 'td', 'span', 'h2', 'img', 'b', 'p', 'small', 'svg', 'rect', 'line', 'polyline', 'circle', 'text', 'title'].includes(t!))).toBe(true);
    expect(text(byId.timeline)).toContain(EVIL);
    expect(text(byId.cams)).toContain(EVIL);
    expect(text(byId.problems)).toContain(EVIL);
    expect(text(byId.events)).toContain(EVIL);
    const imgs = all(byId.cams).filter((n) => n.tag === 'img');
    expect(imgs.every((i) => !('onerror' in i.attrs))).toBe(true);
  });
});
