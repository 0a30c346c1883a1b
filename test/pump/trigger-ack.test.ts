import { describe, expect, it } from 'vitest';
import { createAppBus } from '../../src/bus/index.js';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import { silentLogger } from '../../src/log/logger.js';
import { PumpMqttAdapter } from '../../src/pump/mqtt-adapter.js';
import type { HandleResult } from '../../src/pump/machine-types.js';
import { triggerAckSchema, type TriggerAckPayload, type TriggerMessage } from '../../src/topics/payloads.js';
import { FakeLink } from '../helpers/fake-link.js';

/**
 * Issue 17: the pump reports what it did with each trigger on pump/<node>/trigger_ack (and the
 * bus), answers a re-sent trigger again with the same outcome, and stays silent for triggers that
 * were never meant for it (retained, outside its zones).
 */
function rig(o: { zones?: string[]; machine?: (id: string) => HandleResult } = {}) {
  const clock = new VirtualClock();
  const link = new FakeLink('p1');
  const bus = createAppBus();
  const busAcks: TriggerAckPayload[] = [];
  bus.on('pump.trigger_ack', 'test', (a) => busAcks.push(a));
  const machineCalls: string[] = [];
  const adapter = new PumpMqttAdapter({
    nodeId: 'p1', clock, logger: silentLogger(), link, bus, zones: o.zones ?? [], triggerTtlSeconds: 120, commandExpirySeconds: 60, clockSynced: () => true,
    onTrigger: (id) => {
      machineCalls.push(id);
      return o.machine ? o.machine(id) : { accepted: true, reason: null };
    },
    onCommand: () => ({ accepted: true, reason: null }),
    onRefused: () => undefined,
  });
  adapter.start();
  const acks = () => link.on('pump/p1/trigger_ack').map((p) => triggerAckSchema.parse(p));
  const trigger = (id: string, over: Partial<TriggerMessage> = {}): TriggerMessage => {
    const ts = clock.wallNow() / 1000;
    return { action: 'trigger', id, ts, timestamp: ts, expires_at: ts + 120, ...over };
  };
  return { clock, link, bus, busAcks, machineCalls, acks, trigger };
}

describe('pump trigger acknowledgement', () => {
  it('acks an accepted trigger on MQTT and the bus, with the pump zones', () => {
    const r = rig({ zones: ['north'] });
    r.link.inject('fire/trigger', r.trigger('t1', { zones: ['north'] }));
    expect(r.machineCalls).toEqual(['t1']);
    expect(r.acks()).toMatchObject([{ trigger_id: 't1', accepted: true, reason: null, zones: ['north'], node_id: 'p1' }]);
    expect(r.busAcks.map((a) => a.trigger_id)).toEqual(['t1']);
  });

  it('acks a trigger the machine refuses with its reason', () => {
    const r = rig({ machine: () => ({ accepted: false, reason: 'disarmed' }) });
    r.bus.emit('trigger', r.trigger('t1'));
    expect(r.acks()).toMatchObject([{ trigger_id: 't1', accepted: false, reason: 'disarmed' }]);
  });

  it('a re-sent trigger is answered again with the same outcome but runs the machine once; the immediate MQTT echo of a bus trigger is not', () => {
    const r = rig();
    const t = r.trigger('t1');
    r.bus.emit('trigger', t);
    r.link.inject('fire/trigger', t); // the echo, a moment later
    expect(r.acks()).toHaveLength(1);
    r.clock.advance(10_000);
    r.link.inject('fire/trigger', t); // consensus re-sends: it did not hear the ack
    expect(r.machineCalls).toEqual(['t1']);
    expect(r.acks().map((a) => [a.trigger_id, a.accepted])).toEqual([['t1', true], ['t1', true]]);
  });

  it('acks an expired trigger as refused; says nothing for retained or other-zone triggers', () => {
    const r = rig({ zones: ['south'] });
    r.link.inject('fire/trigger', r.trigger('old', { expires_at: r.clock.wallNow() / 1000 - 60 }));
    r.link.inject('fire/trigger', r.trigger('ret'), { retained: true });
    r.link.inject('fire/trigger', r.trigger('north', { zones: ['north'] }));
    expect(r.machineCalls).toEqual([]);
    expect(r.acks().map((a) => [a.trigger_id, a.accepted, a.reason])).toEqual([['old', false, 'expired']]);
  });
});
