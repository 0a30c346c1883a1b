import type { AppBus } from '../bus/index.js';

/** What the narrator measured (also printed), for the README figure and tests. */
export interface DemoTimings {
  /** ms from demo start to the first fire/smoke detection. */
  firstDetectionMs: number | null;
  /** ms from demo start to the consensus trigger. */
  triggerMs: number | null;
  /** ms from demo start to the main valve opening. */
  mainValveMs: number | null;
}

/** Options for {@link narrate}. */
export interface NarratorOptions {
  bus: AppBus;
  /** Where the plain-language lines go. */
  say: (line: string) => void;
  /** Milliseconds since the demo started. */
  elapsedMs: () => number;
  /** Seconds between detection summaries per camera; default 5. */
  detectionEverySeconds?: number;
}

const OWNER = 'demo.narrator';

/**
 * Plain-language lines for the demo: the first detection of each camera (then a summary every few
 * seconds), the consensus trigger, each pump transition and main valve change, with the time since
 * the demo started. Returns the measured timings and a disposer.
 */
export function narrate(o: NarratorOptions): { timings: DemoTimings; stop: () => void } {
  const timings: DemoTimings = { firstDetectionMs: null, triggerMs: null, mainValveMs: null };
  const lastSaid = new Map<string, number>();
  const every = (o.detectionEverySeconds ?? 5) * 1000;
  const at = (): string => `[demo +${(o.elapsedMs() / 1000).toFixed(1)} s]`;
  let valveOpen = false;

  o.bus.on('detections', OWNER, ({ camera, message }) => {
    const fire = message.detections.filter((d) => d.label === 'fire' || d.label === 'smoke');
    if (fire.length === 0) return;
    const now = o.elapsedMs();
    timings.firstDetectionMs ??= now;
    const last = lastSaid.get(camera);
    if (last !== undefined && now - last < every) return;
    lastSaid.set(camera, now);
    const best = fire.reduce((a, b) => (b.score > a.score ? b : a));
    const [x1, y1, x2, y2] = best.box;
    const area = Math.max(0, (x2 - x1) * (y2 - y1)) * 100;
    o.say(`${at()} DETECTION camera ${camera}: ${best.label} score ${best.score.toFixed(2)}, box ${area.toFixed(1)} % of the frame (track ${best.track})`);
  });
  // The trigger event is what the local pump receives (before consensus publishes its new state).
  o.bus.on('trigger', OWNER, (t) => {
    timings.triggerMs ??= o.elapsedMs();
    o.say(`${at()} CONSENSUS TRIGGER: fire confirmed by ${t.consensus_cameras?.join(', ') ?? '?'}; trigger ${t.id} sent to the pump`);
  });
  o.bus.on('consensus.state', OWNER, (s) => {
    if (!s.decided) o.say(`${at()} consensus ${s.state}${s.cameras_seeing_fire.length ? ` (seeing fire: ${s.cameras_seeing_fire.join(', ')})` : ''}`);
  });
  o.bus.on('pump.event', OWNER, (e) => {
    if (e.from !== e.to && e.to) o.say(`${at()} PUMP ${e.from ?? '-'} → ${e.to}${e.reason ? ` (${e.reason})` : ''}`);
  });
  o.bus.on('pump.state', OWNER, (p) => {
    const open = p.outputs?.mainValve === true;
    if (open !== valveOpen) {
      valveOpen = open;
      if (open) timings.mainValveMs ??= o.elapsedMs();
      const on = Object.entries(p.outputs ?? {}).filter(([, v]) => v).map(([k]) => k);
      o.say(`${at()} MAIN VALVE ${open ? 'OPEN' : 'CLOSED'} (mock pins on: ${on.length ? on.join(', ') : 'none'})`);
    }
  });
  return { timings, stop: () => o.bus.removeOwner(OWNER) };
}
