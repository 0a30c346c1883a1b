import { describe, expect, it } from 'vitest';
import { mqttConfigSchema } from '../../src/mqtt/index.js';

const parse = (v: unknown) => mqttConfigSchema.safeParse(v);
const issues = (v: unknown) => {
  const r = parse(v);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('mqtt config schema', () => {
  it('has the documented defaults (no url = embedded broker on 127.0.0.1:1883)', () => {
    const c = mqttConfigSchema.parse(undefined);
    expect(c.url).toBeUndefined();
    expect(c.embedded).toEqual({ host: '127.0.0.1', port: 1883 });
    expect(c.backoff).toEqual({ baseMs: 1000, capMs: 60_000 });
    expect(c.outbox).toMatchObject({ maxMessages: 10_000, maxBytes: 16 * 1024 * 1024, fsync: 'always' });
    expect(c).toMatchObject({ verifyHostname: true, maxInboundBytes: 65536, stopWhenFailed: false, topicPrefix: '' });
  });

  it('normalises a trailing slash of the prefix and refuses wildcards, NUL and control characters', () => {
    expect(mqttConfigSchema.parse({ topicPrefix: 'site-a' }).topicPrefix).toBe('site-a/');
    expect(mqttConfigSchema.parse({ topicPrefix: 'site-a///' }).topicPrefix).toBe('site-a/');
    // frigate/ and homeassistant/ topics are never prefixed: under such a prefix nothing inbound would match.
    for (const bad of ['a/+/b', 'a/#', 'a\u0000b', 'a\nb', 'a\u007f', '/', '/lead', 'frigate', 'homeassistant/site']) {
      expect(issues({ topicPrefix: bad }).some((i) => i.startsWith('topicPrefix'))).toBe(true);
    }
  });

  it('refuses out-of-range values instead of clamping them, naming the key', () => {
    expect(issues({ backoff: { baseMs: 5000, capMs: 1000 } })).toContain('backoff.capMs: capMs must be >= baseMs');
    expect(issues({ outbox: { maxMessages: 0 } })[0]).toMatch(/^outbox\.maxMessages/);
    expect(issues({ keepaliveSeconds: 0 })[0]).toMatch(/^keepaliveSeconds/);
    expect(issues({ embedded: { port: 70000 } })[0]).toMatch(/^embedded\.port/);
    expect(issues({ outbox: { fsync: 'sometimes' } })[0]).toMatch(/^outbox\.fsync/);
    expect(issues({ url: 'broker:1883' })[0]).toMatch(/^url/);
    expect(issues({ protocolVersion: 3 })[0]).toMatch(/^protocolVersion/);
  });

  it('needs cert and key together, and a username with a password', () => {
    expect(issues({ cert: '/c.pem' })).toEqual(['key: cert and key must be given together (mutual TLS)']);
    expect(issues({ password: 'x' })).toEqual(['username: a password needs a username']);
    expect(parse({ url: 'mqtts://b:8883', cert: '/c', key: '/k', username: 'u', password: 'p' }).success).toBe(true);
  });
});
