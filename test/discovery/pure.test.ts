import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cameraConfigSchema, normaliseMac } from '../../src/capture/config.js';
import { IdentityTracker } from '../../src/discovery/identity.js';
import { chooseProfile, configuredMatches, identityMatches, mergeFindings, streamUrlFor, type DiscoveredCamera, type QueriedMatch } from '../../src/discovery/merge.js';
import { resolveInterfaces } from '../../src/discovery/round.js';
import { buildProbe, onSubnet, parseProbeMatches, pickXaddr } from '../../src/discovery/ws-discovery.js';

const MID = 'urn:uuid:11111111-2222-3333-4444-555555555555';
const fixture = readFileSync('test/discovery/fixtures/ProbeMatches.xml', 'utf8');
const probeMatch = (vars: Record<string, string>) => fixture.replace(/\{\{(\w+)\}\}/g, (_, k: string) => vars[k] ?? 'x');
const base = { RELATES_TO: MID, ENDPOINT: 'aaaa', HOST: '10.0.0.5', HTTP_PORT: '80', MODEL: 'M', MANUFACTURER: 'Acme', OWN_ID: 'z' };

describe('WS-Discovery parsing', () => {
  it('the probe asks for NetworkVideoTransmitter with our MessageID', () => {
    const p = buildProbe(MID);
    expect(p).toContain(`<a:MessageID>${MID}</a:MessageID>`);
    expect(p).toContain('<d:Types>dn:NetworkVideoTransmitter</d:Types>');
    expect(p).toContain('discovery/Probe</a:Action>');
  });

  it('accepts a ProbeMatch that relates to our probe', () => {
    const r = parseProbeMatches(probeMatch(base), MID);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toHaveLength(1);
    expect(r.value[0].endpoint).toBe('urn:uuid:aaaa');
    expect(r.value[0].xaddrs).toEqual(['http://10.0.0.5:80/onvif/device_service']);
    expect(r.value[0].types).toContain('dn:NetworkVideoTransmitter');
    expect(r.value[0].scopes).toContain('onvif://www.onvif.org/name/Acme');
  });

  it('refuses each kind of bad datagram with its reason', () => {
    const code = (t: string) => {
      const r = parseProbeMatches(t, MID);
      return r.ok ? 'ok' : r.code;
    };
    expect(code('\u0000\u00ff garbage')).toBe('not_soap');
    expect(code('<Envelope><Body><Hello/></Body></Envelope>')).toBe('not_probe_match');
    expect(code(probeMatch({ ...base, RELATES_TO: 'urn:uuid:other' }))).toBe('wrong_relates_to');
    expect(code(probeMatch(base).replace(/<wsa:RelatesTo>[^<]*<\/wsa:RelatesTo>/, ''))).toBe('wrong_relates_to');
    expect(code(probeMatch(base).replace(/http:\/\/10[^<]*/, 'ftp://x/ notaurl'))).toBe('no_xaddrs');
    expect(code(probeMatch(base).replace(/<wsa:Address>[^<]*<\/wsa:Address>/, ''))).toBe('no_endpoint');
  });

  it('several ProbeMatch elements in one datagram are all taken; entities decoded', () => {
    const one = probeMatch(base);
    const block = /<d:ProbeMatch>[\s\S]*<\/d:ProbeMatch>/.exec(one)![0];
    const two = one.replace(block, block + block.replace('urn:uuid:aaaa', 'urn:uuid:b&amp;b'));
    const r = parseProbeMatches(two, MID);
    expect(r.ok && r.value.map((m) => m.endpoint)).toEqual(['urn:uuid:aaaa', 'urn:uuid:b&b']);
  });

  it('picks the XAddr on the answering address, else the first', () => {
    expect(pickXaddr(['http://192.168.1.9/onvif', 'http://10.0.0.5/onvif'], '10.0.0.5')).toBe('http://10.0.0.5/onvif');
    expect(pickXaddr(['http://192.168.1.9/onvif', 'http://10.0.0.7/onvif'], '10.0.0.5')).toBe('http://192.168.1.9/onvif');
  });
});

const profile = (token: string, uri: string | null, w = 1920, h = 1080) => ({ token, name: `${token}-name`, width: w, height: h, encoding: 'H264', streamUri: uri, snapshotUri: null });
const device = (over: Partial<DiscoveredCamera> = {}): DiscoveredCamera => ({
  address: '10.0.0.5',
  source: 'onvif',
  endpoint: 'urn:uuid:a',
  xaddr: 'http://10.0.0.5/onvif/device_service',
  manufacturer: 'Acme',
  model: 'M1',
  serial: 'SN1',
  mac: '00:11:22:33:44:55',
  profiles: [profile('main', 'rtsp://10.0.0.5:554/main'), profile('sub', 'rtsp://10.0.0.5:554/sub', 640, 360)],
  mdnsNames: [],
  mdnsRtsp: null,
  queryError: null,
  ...over,
});

describe('merge and identity', () => {
  it('merges ONVIF devices and mDNS services by address, sorted numerically', () => {
    const q = (addr: string, serial: string): QueriedMatch => ({
      match: { endpoint: `urn:uuid:${serial}`, xaddrs: [`http://${addr}/onvif/device_service`], scopes: [], types: [], from: addr, iface: 'eth0' },
      result: { ok: true, device: { xaddr: `http://${addr}/onvif/device_service`, manufacturer: 'A', model: 'B', firmware: null, serial, hardwareId: null, mac: null, profiles: [] } },
    });
    const out = mergeFindings(
      [q('10.0.0.20', 'S20'), q('10.0.0.3', 'S3')],
      [
        { name: 'cam3', type: 'rtsp', host: 'cam3.local', port: 8554, addresses: ['10.0.0.3'], txt: { path: 'live' }, iface: 'eth0' },
        { name: 'other', type: 'rtsp', host: 'o.local', port: 554, addresses: ['10.0.0.100'], txt: {}, iface: 'eth0' },
      ],
    );
    expect(out.map((c) => [c.address, c.source, c.serial])).toEqual([
      ['10.0.0.3', 'onvif+mdns', 'S3'],
      ['10.0.0.20', 'onvif', 'S20'],
      ['10.0.0.100', 'mdns', null],
    ]);
    expect(out[0].mdnsRtsp).toBe('rtsp://10.0.0.3:8554/live');
    expect(out[2].mdnsRtsp).toBe('rtsp://10.0.0.100:554/');
  });

  it('an identity matches by serial, by MAC in any spelling, and with both only when both match', () => {
    expect(identityMatches({ serial: 'SN1' }, device())).toBe(true);
    expect(identityMatches({ serial: 'SN2' }, device())).toBe(false);
    expect(identityMatches({ mac: '00-11-22-33-44-55' }, device())).toBe(true);
    expect(identityMatches({ mac: '001122334455' }, device({ mac: null }))).toBe(false);
    expect(identityMatches({ serial: 'SN1', mac: '00:11:22:33:44:66' }, device())).toBe(false);
    expect(identityMatches({ serial: 'SN1', mac: '00:11:22:33:44:55' }, device())).toBe(true);
    expect(normaliseMac('AA:BB:CC:DD:EE:FF')).toBe('aa:bb:cc:dd:ee:ff');
    expect(normaliseMac('aa:bb:cc')).toBeNull();
  });

  it('the stream URL is the chosen profile with the site credentials put in (encoded), unless it has its own', () => {
    const creds = { username: 'ad min', password: 'p@ss:1' };
    expect(streamUrlFor(device(), creds)).toBe('rtsp://ad%20min:p%40ss%3A1@10.0.0.5:554/main');
    expect(streamUrlFor(device(), creds, 'sub')).toBe('rtsp://ad%20min:p%40ss%3A1@10.0.0.5:554/sub');
    expect(streamUrlFor(device(), creds, 'sub-name')).toContain('/sub');
    expect(streamUrlFor(device(), creds, 'nope')).toBeNull();
    expect(streamUrlFor(device({ profiles: [profile('p', 'rtsp://u:v@10.0.0.5/x')] }), creds)).toBe('rtsp://u:v@10.0.0.5/x');
    expect(streamUrlFor(device(), { username: '', password: '' })).toBe('rtsp://10.0.0.5:554/main');
    expect(streamUrlFor(device({ profiles: [profile('p', 'http://10.0.0.5/mjpeg')] }), creds)).toBeNull();
    expect(streamUrlFor(device({ profiles: [], mdnsRtsp: 'rtsp://10.0.0.5:8554/live' }), creds)).toBe('rtsp://ad%20min:p%40ss%3A1@10.0.0.5:8554/live');
    expect(chooseProfile(device({ profiles: [profile('a', null), profile('b', 'rtsp://h/b')] }))?.token).toBe('b');
  });

  it('configured cameras are recognised by identity or by the host of their url', () => {
    const found = [device(), device({ address: '10.0.0.6', serial: 'SN9', mac: null })];
    const m = configuredMatches(
      [
        { id: 'yard', url: '', onvif: { serial: 'SN1' } },
        { id: 'gate', url: 'rtsp://u:p@10.0.0.6/stream' },
        { id: 'none', url: 'rtsp://10.0.0.99/x' },
      ],
      found,
    );
    expect([...m.entries()]).toEqual([
      [0, 'yard'],
      [1, 'gate'],
    ]);
  });
});

describe('identity follow (virtual time)', () => {
  const creds = { username: 'u', password: 'p' };
  it('found, then moved to a new address (same camera id, new URL), then missing with a reason', () => {
    const t = new IdentityTracker([{ id: 'yard', url: '', onvif: { serial: 'SN1' } }, { id: 'fixed', url: 'rtsp://10.0.0.9/x' }], creds);
    expect(t.size).toBe(1);
    expect(t.get('yard')).toMatchObject({ status: 'waiting', url: null, reason: 'waiting for the first discovery round' });
    expect(t.update([device()], 1000)).toEqual([{ type: 'found', camera: 'yard', address: '10.0.0.5', url: 'rtsp://u:p@10.0.0.5:554/main' }]);
    // The same finding again changes nothing.
    expect(t.update([device()], 2000)).toEqual([]);
    const moved = device({ address: '10.0.0.77', profiles: [profile('main', 'rtsp://10.0.0.77:554/main')] });
    expect(t.update([device({ serial: 'OTHER', address: '10.0.0.5' }), moved], 3000)).toEqual([{ type: 'moved', camera: 'yard', from: '10.0.0.5', to: '10.0.0.77', url: 'rtsp://u:p@10.0.0.77:554/main' }]);
    expect(t.get('yard')).toMatchObject({ status: 'found', address: '10.0.0.77', moves: 1, movedAt: 3000, lastSeenAt: 3000 });
    const gone = t.update([], 4000);
    expect(gone).toEqual([{ type: 'missing', camera: 'yard', reason: 'onvif serial SN1 not found by discovery since it was last seen at 10.0.0.77' }]);
    // Missing is reported once, and the URL stays the last known one.
    expect(t.update([], 5000)).toEqual([]);
    expect(t.get('yard')).toMatchObject({ status: 'missing', url: 'rtsp://u:p@10.0.0.77:554/main', lastSeenAt: 3000 });
    // Back at the same address: found again (so its reason is cleared), no move.
    const back = device({ address: '10.0.0.77', profiles: [profile('main', 'rtsp://10.0.0.77:554/main')] });
    expect(t.update([back], 6000)).toEqual([{ type: 'found', camera: 'yard', address: '10.0.0.77', url: 'rtsp://u:p@10.0.0.77:554/main' }]);
    expect(t.get('yard')).toMatchObject({ status: 'found', reason: null, moves: 1 });
    expect(t.update([back], 7000)).toEqual([]);
  });

  it('a camera with a url beside its identity starts there; a new URI at the same address is a url change', () => {
    const t = new IdentityTracker([{ id: 'yard', url: 'rtsp://10.0.0.5:554/main', onvif: { mac: '00:11:22:33:44:55' } }], { username: '', password: '' });
    expect(t.update([device()], 1)).toEqual([]);
    expect(t.update([device({ profiles: [profile('main', 'rtsp://10.0.0.5:8554/other')] })], 2)).toEqual([{ type: 'url_changed', camera: 'yard', address: '10.0.0.5', url: 'rtsp://10.0.0.5:8554/other' }]);
  });

  it('two devices claiming the same serial: the camera is not moved to either, and says why', () => {
    const t = new IdentityTracker([{ id: 'yard', url: '', onvif: { serial: 'SN1' } }], creds);
    t.update([device()], 1);
    const ev = t.update([device(), device({ address: '10.0.0.66', profiles: [profile('main', 'rtsp://10.0.0.66/evil')] })], 2);
    expect(ev).toEqual([{ type: 'conflict', camera: 'yard', addresses: ['10.0.0.5', '10.0.0.66'], reason: '2 devices claim onvif serial SN1 (10.0.0.5, 10.0.0.66): not following either; give the camera both serial and mac' }]);
    expect(t.get('yard')).toMatchObject({ address: '10.0.0.5', url: 'rtsp://u:p@10.0.0.5:554/main', moves: 0 });
    // Serial and MAC together tell them apart.
    const both = new IdentityTracker([{ id: 'yard', url: '', onvif: { serial: 'SN1', mac: '00:11:22:33:44:55' } }], creds);
    expect(both.update([device(), device({ address: '10.0.0.66', mac: '66:66:66:66:66:66' })], 1)).toEqual([{ type: 'found', camera: 'yard', address: '10.0.0.5', url: 'rtsp://u:p@10.0.0.5:554/main' }]);
  });

  it('a camera never found says so; one found without a stream URI says that', () => {
    const t = new IdentityTracker([{ id: 'a', url: '', onvif: { serial: 'NOPE' } }, { id: 'b', url: '', onvif: { serial: 'SN1', profile: 'missing' } }], creds);
    const ev = t.update([device()], 1);
    expect(ev).toEqual([
      { type: 'missing', camera: 'a', reason: 'onvif serial NOPE not found by discovery' },
      { type: 'no_stream', camera: 'b', address: '10.0.0.5', reason: 'onvif serial SN1 found at 10.0.0.5 but it gave no RTSP stream URI for profile missing' },
    ]);
    expect(t.get('a')?.url).toBeNull();
  });
});

describe('interfaces and config', () => {
  const table = {
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true, netmask: '', mac: '', cidr: null }],
    eth0: [{ address: '192.168.1.4', family: 'IPv4', internal: false, netmask: '255.255.255.0', mac: '', cidr: null }],
    wlan0: [{ address: 'fe80::1', family: 'IPv6', internal: false, netmask: '', mac: '', cidr: null, scopeid: 0 }],
  } as unknown as Parameters<typeof resolveInterfaces>[1];
  it('default: every non-loopback IPv4 interface; named ones are checked', () => {
    expect(resolveInterfaces([], table)).toEqual({ interfaces: [{ name: 'eth0', address: '192.168.1.4', netmask: '255.255.255.0' }], errors: [] });
    expect(resolveInterfaces(['eth0', 'wlan0', 'eth9'], table)).toEqual({
      interfaces: [{ name: 'eth0', address: '192.168.1.4', netmask: '255.255.255.0' }],
      errors: ['interface wlan0 has no non-loopback IPv4 address', 'no interface named eth9'],
    });
  });

  it('an address is on an interface when its subnet matches (mDNS answers from elsewhere are ignored)', () => {
    const eth0 = { name: 'eth0', address: '192.168.1.4', netmask: '255.255.255.0' };
    expect(onSubnet(eth0, '192.168.1.200')).toBe(true);
    expect(onSubnet(eth0, '192.168.2.1')).toBe(false);
    expect(onSubnet(eth0, 'fe80::1')).toBe(false);
    expect(onSubnet({ ...eth0, netmask: '255.255.0.0' }, '192.168.2.1')).toBe(true);
    expect(onSubnet({ name: 'x', address: '10.0.0.1' }, '172.16.0.1')).toBe(true);
  });

  it('a camera may name an onvif identity instead of a url; it needs one of the two', () => {
    expect(cameraConfigSchema.parse({ id: 'yard', onvif: { serial: 'SN1' } })).toMatchObject({ id: 'yard', url: '', onvif: { serial: 'SN1' } });
    expect(cameraConfigSchema.safeParse({ id: 'yard' }).success).toBe(false);
    expect(cameraConfigSchema.safeParse({ id: 'yard', onvif: {} }).success).toBe(false);
    expect(cameraConfigSchema.safeParse({ id: 'yard', onvif: { mac: 'zz' } }).success).toBe(false);
    expect(cameraConfigSchema.safeParse({ id: 'yard', onvif: { serial: 'S' }, url: 'ftp://x/y' }).success).toBe(false);
  });
});
