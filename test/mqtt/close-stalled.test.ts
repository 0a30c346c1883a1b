import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../../src/core/clock.js';
import { makeCore, waitFor } from './helpers.js';

/**
 * A broker that accepts the connection and answers PINGREQ but never acknowledges a publish (stalled
 * on its own persistence, say). mqtt.js's graceful end waits for those PUBACKs and then ignores any
 * further end(): close() must still drop the socket (docs/mqtt-core.md: disconnect, cancel timers).
 */
function stalledBroker() {
  const socks: Socket[] = [];
  const seen = { pings: 0, closed: 0 };
  const srv = createServer((s) => {
    socks.push(s);
    s.on('close', () => seen.closed++);
    s.on('error', () => undefined);
    s.on('data', (d) => {
      // Fixed header: type in the high nibble, then the variable-length remaining length.
      for (let i = 0; i < d.length; ) {
        const type = d[i] >> 4;
        let len = 0;
        let mul = 1;
        let j = i + 1;
        for (;;) {
          const b = d[j++];
          len += (b & 127) * mul;
          mul *= 128;
          if (!(b & 128)) break;
        }
        if (type === 1) s.write(Buffer.from([0x20, 2, 0, 0])); // CONNACK, accepted
        if (type === 12) {
          seen.pings++;
          s.write(Buffer.from([0xd0, 0])); // PINGRESP
        }
        i = j + len;
      }
    });
  });
  return {
    seen,
    listen: () => new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as { port: number }).port))),
    stop: () => {
      for (const s of socks) s.destroy();
      srv.close();
    },
  };
}

/**
 * Node's timers can fire a fraction of a millisecond before performance.now() reaches the time they
 * were set for; this clock makes that certain (5 ms early) so a wait that re-checks the time when
 * its deadline timer fires, and re-arms nothing, is caught.
 */
const earlyTimers: Clock = { ...systemClock, setTimer: (ms, fn) => systemClock.setTimer(Math.max(0, ms - 5), fn) };

describe('close() against a broker that never acknowledges', () => {
  it.each([
    ['the system clock', systemClock],
    ['timers that fire early', earlyTimers],
  ] as const)('drops the socket within the grace period, no keepalive pings after close (%s)', async (_name, clock) => {
    const broker = stalledBroker();
    const port = await broker.listen();
    const core = makeCore({ url: `mqtt://127.0.0.1:${port}`, nodeId: 'stalled', clock, config: { protocolVersion: 4, closeGraceMs: 300, keepaliveSeconds: 1 } });
    await core.start();
    await waitFor(() => core.connectionState() === 'CONNECTED', 5000, 'connected');
    core.publish('fire/trigger', { action: 'trigger' }, { qos: 1, priority: 1 });
    // The `connected` event and this publish go out at QoS 1 and are never acknowledged.
    await waitFor(() => (core.metrics().outbox_inflight as number) >= 1, 5000, 'unacknowledged publishes in flight');
    await core.close();
    expect(core.connectionState()).toBe('DISCONNECTED');
    await waitFor(() => broker.seen.closed === 1, 3000, 'the socket closed');
    const pings = broker.seen.pings;
    await new Promise((r) => setTimeout(r, 1500)); // longer than the 1 s keepalive: a live client would ping
    expect(broker.seen.pings).toBe(pings);
    broker.stop();
  });
});
