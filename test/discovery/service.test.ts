/**
 * The discovery part's schedule and reporting in virtual time (issue 16): rounds are injected, so
 * the interval, the no-overlap rule, the URL hand-over on a move and the retained report are
 * checked without sockets (network.test.ts and follow.test.ts cover the real I/O).
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import { discoveryConfigSchema } from '../../src/discovery/config.js';
import type { DiscoveredCamera } from '../../src/discovery/merge.js';
import type { DiscoveryReport } from '../../src/discovery/report.js';
import type { DiscoveryRound } from '../../src/discovery/round.js';
import { createDiscoveryService } from '../../src/discovery/service.js';
import { memoryLogger } from '../../src/log/logger.js';
import { FakeLink } from '../helpers/fake-link.js';

const cam = (address: string, serial: string): DiscoveredCamera => ({
  address,
  source: 'onvif',
  endpoint: `urn:uuid:${serial}`,
  xaddr: `http://${address}/onvif/device_service`,
  manufacturer: 'Acme',
  model: 'M1',
  serial,
  mac: null,
  profiles: [{ token: 'main', name: 'main', width: 1920, height: 1080, encoding: 'H264', streamUri: `rtsp://${address}:554/main`, snapshotUri: null }],
  mdnsNames: [],
  mdnsRtsp: null,
  queryError: null,
});
const roundOf = (cameras: DiscoveredCamera[], extra: Partial<DiscoveryRound> = {}): DiscoveryRound => ({
  cameras,
  devices: cameras.length,
  interfaces: [{ name: 'eth0', address: '10.0.0.1' }],
  rejected: {},
  queryFailures: {},
  errors: [],
  durationMs: 1000,
  completeAfterMs: 40,
  ...extra,
});
const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('discovery service (virtual time)', () => {
  it('a round at start and one per interval; a move hands the camera role the new URL; the report is retained', async () => {
    const clock = new VirtualClock();
    const link = new FakeLink('n1');
    const logger = memoryLogger('info');
    const world: DiscoveredCamera[][] = [[cam('10.0.0.5', 'SN1'), cam('10.0.0.9', 'STRANGER')], [cam('10.0.0.5', 'SN1')], [cam('10.0.0.77', 'SN1')], []];
    let calls = 0;
    const urls: Array<[string, string]> = [];
    const notes: Array<[string, string | null]> = [];
    const reports: DiscoveryReport[] = [];
    const svc = createDiscoveryService({
      config: discoveryConfigSchema.parse({ intervalSeconds: 30, credentials: { username: 'u', password: 'secretpw' } }),
      cameras: [{ id: 'yard', url: '', onvif: { serial: 'SN1' } }, { id: 'off', url: '', enabled: false, onvif: { serial: 'STRANGER' } }],
      nodeId: 'n1',
      logger,
      clock,
      link,
      applyUrl: (c, u) => void urls.push([c, u]),
      setNote: (c, n) => void notes.push([c, n]),
      round: async () => roundOf(world[Math.min(calls++, world.length - 1)]),
      onRound: (r) => void reports.push(r),
    });
    svc.start();
    await flush();
    expect(calls).toBe(1);
    expect(urls).toEqual([['yard', 'rtsp://u:secretpw@10.0.0.5:554/main']]);
    // A disabled camera's identity is not followed: the stranger is unconfigured.
    expect(reports[0].cameras.map((c) => c.configured_as)).toEqual(['yard', null]);
    expect(svc.snapshot()).toMatchObject({ rounds: 1, cameras: 2, unconfigured: 1, missing: [] });
    clock.advance(29_999);
    await flush();
    expect(calls).toBe(1);
    clock.advance(1);
    await flush();
    expect(calls).toBe(2);
    expect(urls).toHaveLength(1);
    clock.advance(30_000);
    await flush();
    expect(urls.at(-1)).toEqual(['yard', 'rtsp://u:secretpw@10.0.0.77:554/main']);
    expect(logger.lines.find((l) => l.msg === 'camera moved to a new address; following it')).toMatchObject({ camera: 'yard', from: '10.0.0.5', to: '10.0.0.77', url: 'rtsp://***@10.0.0.77:554/main' });
    clock.advance(30_000);
    await flush();
    expect(notes.at(-1)).toEqual(['yard', 'onvif serial SN1 not found by discovery since it was last seen at 10.0.0.77']);
    expect(svc.snapshot().missing).toEqual(['yard']);
    const retained = link.lastValues.get('system/n1/discovery') as DiscoveryReport;
    expect(retained.round).toBe(4);
    expect(retained.identities[0]).toMatchObject({ camera: 'yard', status: 'missing', moves: 1, url: 'rtsp://***@10.0.0.77:554/main' });
    expect(JSON.stringify([...link.lastValues.values(), logger.lines])).not.toContain('secretpw');
    expect(svc.metrics()).toMatchObject({ discovery_rounds: 4, discovery_moves: 1, discovery_found: 1, discovery_missing: 1 });
    await svc.stop();
    clock.advance(120_000);
    await flush();
    expect(calls).toBe(4);
  });

  it('rounds never overlap: the next interval starts after a slow round ends; a round without interfaces moves nothing', async () => {
    const clock = new VirtualClock();
    let release: (() => void) | null = null;
    let calls = 0;
    const notes: Array<[string, string | null]> = [];
    const svc = createDiscoveryService({
      config: discoveryConfigSchema.parse({ intervalSeconds: 10 }),
      cameras: [{ id: 'yard', url: 'rtsp://10.0.0.5:554/main', onvif: { serial: 'SN1' } }],
      nodeId: 'n1',
      logger: memoryLogger('info'),
      clock,
      setNote: (c, n) => void notes.push([c, n]),
      round: () => {
        calls++;
        return new Promise<DiscoveryRound>((resolve) => (release = () => resolve(roundOf([], { interfaces: [], errors: ['no non-loopback IPv4 interface to probe on'] }))));
      },
    });
    svc.start();
    await flush();
    clock.advance(60_000);
    await flush();
    expect(calls).toBe(1);
    // A manual run while one is going joins it.
    void svc.runNow();
    expect(calls).toBe(1);
    release!();
    await flush();
    clock.advance(10_000);
    await flush();
    expect(calls).toBe(2);
    // No interface to probe on says nothing about where the camera is.
    expect(notes).toEqual([]);
    release!();
    await svc.stop();
  });

  it('a round that throws (a bug) is logged and counted, and the schedule goes on', async () => {
    const clock = new VirtualClock();
    const logger = memoryLogger('info');
    let calls = 0;
    const svc = createDiscoveryService({
      config: discoveryConfigSchema.parse({ intervalSeconds: 10 }),
      cameras: [],
      nodeId: 'n1',
      logger,
      clock,
      round: async () => {
        calls++;
        if (calls === 1) throw new Error('boom');
        return roundOf([]);
      },
    });
    svc.start();
    await flush();
    expect(logger.lines.find((l) => l.msg === 'discovery round failed')).toMatchObject({ error: 'boom' });
    expect(svc.metrics().discovery_round_errors).toBe(1);
    clock.advance(10_000);
    await flush();
    expect(calls).toBe(2);
    expect(svc.snapshot().rounds).toBe(1);
    await svc.stop();
  });
});
