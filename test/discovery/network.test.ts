/**
 * Discovery over real sockets (issue 16): ONVIF emulators and an mDNS advertiser, each in its own
 * network namespace on a bridge in the test's namespace (test/discovery/netlab.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoveryConfigSchema } from '../../src/discovery/config.js';
import { discoveryRound } from '../../src/discovery/round.js';
import { NetLab, netnsPermitted, startAdvertiser, startEmulator } from './netlab.js';

const permitted = netnsPermitted();
if (!permitted.ok) console.warn(`SKIPPING test/discovery/network.test.ts: ${permitted.reason}`);

describe.skipIf(!permitted.ok)('discovery against emulated cameras in network namespaces', () => {
  let lab: NetLab;
  const creds = { username: 'admin', password: 's3cr&t' };
  beforeAll(async () => {
    lab = new NetLab();
    const good = lab.addHost(11);
    const adv = lab.addHost(12);
    // Answers no probe, only advertises _onvif._tcp (and _rtsp._tcp) over mDNS.
    const quiet = lab.addHost(13);
    const legacy = lab.addHost(14);
    await Promise.all([
      startEmulator(legacy, { serial: 'SN-LEGACY', mac: '00:11:22:33:44:04', legacy: true, ...creds }),
      startEmulator(quiet, { serial: 'SN-MDNS-ONLY', mac: '00:11:22:33:44:03', fault: 'silent', ...creds }).then(() => startAdvertiser(quiet, { name: 'quiet-cam', rtspPort: 8554, onvifPort: 8080 })),
      startEmulator(good, { serial: 'SN-GOOD', mac: '00:11:22:33:44:01', manufacturer: 'EmuCam', model: 'EC-200', ...creds }),
      startAdvertiser(adv, { name: 'garden-cam', rtspPort: 8554, path: 'live' }),
    ]);
    // Every fault mode at once, one device each: one round has to refuse each for its reason.
    const faults = ['garbage', 'duplicate', 'wrong_relates', 'oversized', 'soap_fault', 'slow', 'reset', 'huge', 'bad_xml'];
    await Promise.all(faults.map((fault, i) => startEmulator(lab.addHost(21 + i), { serial: `SN-${fault}`, mac: `00:11:22:33:55:${(16 + i).toString(16)}`, fault, ...creds })));
  }, 60_000);
  afterAll(() => lab?.destroy());

  it('finds each camera once, queries it with the site credentials, and counts every fault by reason', async () => {
    const cfg = discoveryConfigSchema.parse({ interfaces: [lab.bridge], probeSeconds: 2, deviceTimeoutSeconds: 3, credentials: creds });
    // The main loop keeps turning while the round deals with every fault (as the detector's
    // main-thread side needs): a 20 ms ticker never waits long.
    let last = performance.now();
    let maxGap = 0;
    const iv = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 20);
    const r = await discoveryRound(cfg);
    clearInterval(iv);
    expect(maxGap).toBeLessThan(500);
    expect(r.errors).toEqual([]);
    const by = new Map(r.cameras.map((c) => [c.address, c]));
    const good = by.get(`${lab.subnet}.11`)!;
    expect(good).toMatchObject({ source: 'onvif', manufacturer: 'EmuCam', model: 'EC-200', serial: 'SN-GOOD', mac: '00:11:22:33:44:01', queryError: null });
    expect(good.profiles.map((p) => [p.token, p.width, p.height, p.streamUri])).toEqual([
      ['main_1', 1920, 1080, `rtsp://${lab.subnet}.11:8554/cam1?profile=main_1`],
      ['sub_1', 640, 360, `rtsp://${lab.subnet}.11:8554/cam1?profile=sub_1`],
    ]);
    expect(good.profiles[0].snapshotUri).toBe(`http://${lab.subnet}.11:8080/snapshot/main_1.jpg`);
    expect(by.get(`${lab.subnet}.12`)).toMatchObject({ source: 'mdns', mdnsNames: ['garden-cam'], mdnsRtsp: `rtsp://${lab.subnet}.12:8554/live` });
    // Datagram faults: refused with their reason; the valid answer beside each still counts once.
    expect(r.rejected).toEqual({ not_soap: 1, duplicate: 1, wrong_relates_to: 1, oversized: 1 });
    for (const i of [0, 1, 2, 3]) expect(by.get(`${lab.subnet}.${21 + i}`)?.serial).toMatch(/^SN-/);
    // HTTP faults: the device is listed with the reason, and counted.
    expect(r.queryFailures).toEqual({ soap_fault: 1, timeout: 1, connection: 1, too_large: 1, bad_response: 1 });
    expect(by.get(`${lab.subnet}.26`)?.queryError?.code).toBe('timeout');
    expect(by.get(`${lab.subnet}.28`)?.queryError?.code).toBe('too_large');
    // Found only through mDNS _onvif._tcp, then queried like any ONVIF device.
    expect(by.get(`${lab.subnet}.13`)).toMatchObject({ source: 'onvif+mdns', endpoint: 'mdns:quiet-cam', serial: 'SN-MDNS-ONLY', mdnsNames: ['quiet-cam'], mdnsRtsp: `rtsp://${lab.subnet}.13:8554/cam1` });
    // No GetServices: the client falls back to GetCapabilities and still gets profiles and URIs.
    expect(by.get(`${lab.subnet}.14`)).toMatchObject({ serial: 'SN-LEGACY', queryError: null });
    expect(by.get(`${lab.subnet}.14`)?.profiles.map((p) => p.streamUri)).toEqual([`rtsp://${lab.subnet}.14:8554/cam1?profile=main_1`, `rtsp://${lab.subnet}.14:8554/cam1?profile=sub_1`]);
    expect(r.cameras).toHaveLength(13);
    // The slow device is cut off at its deadline, not when it finishes dripping (minutes).
    expect(r.completeAfterMs).not.toBeNull();
  }, 30_000);

  it('wrong credentials are a counted SOAP fault, not a crash', async () => {
    const cfg = discoveryConfigSchema.parse({ interfaces: [lab.bridge], probeSeconds: 1, deviceTimeoutSeconds: 3, mdns: false, credentials: { username: 'admin', password: 'Wr0ngPa55' } });
    const r = await discoveryRound(cfg);
    const good = r.cameras.find((c) => c.address === `${lab.subnet}.11`)!;
    expect(good.serial).toBeNull();
    expect(good.queryError).toMatchObject({ code: 'soap_fault' });
    expect(good.queryError?.reason).toMatch(/not Authorized/i);
    expect(JSON.stringify(r)).not.toContain('Wr0ngPa55');
  }, 30_000);

  it('a flood of ProbeMatches from one host is capped (too_many) and the round still ends', async () => {
    const flood = lab.addHost(40);
    await startEmulator(flood, { serial: 'SN-FLOOD', mac: '00:11:22:33:44:40', fault: 'flood', ...creds });
    const cfg = discoveryConfigSchema.parse({ interfaces: [lab.bridge], probeSeconds: 1, deviceTimeoutSeconds: 2, mdns: false, credentials: creds });
    const r = await discoveryRound(cfg);
    // 12 real answers (11 answering devices + the flooding one) + 300 fakes: 256 kept, the rest
    // refused (a few may also be dropped by the kernel's socket buffer under the burst).
    expect(r.devices).toBe(256);
    expect(r.rejected.too_many).toBeGreaterThan(0);
    expect(r.rejected.too_many).toBeLessThanOrEqual(12 + 300 - 256);
    // Only kept devices are queried; the fakes point at a closed port (quick refusals, no hang).
    expect(r.queryFailures.connection).toBeLessThanOrEqual(256);
    expect(r.queryFailures.connection).toBeGreaterThan(200);
    // Cameras are merged by address, so the flood is one line of the list, not 300.
    expect(r.cameras.filter((c) => c.address === `${lab.subnet}.40`)).toHaveLength(1);
  }, 30_000);
});
