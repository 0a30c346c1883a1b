import { describe, expect, it } from 'vitest';
import { HilRig } from '../../hw/hil.js';
import { ackSchema, pumpEventSchema, pumpStateSchema } from '../../src/topics/payloads.js';
import { FakeLink } from '../helpers/fake-link.js';
import { fast } from '../hil/fast-profile.js';

// fire/trigger and fire/emergency through the MqttLink (FakeLink runs the same parse → handler
// path as the real core): acks, expiry, duplicates, retained, malformed, aliases, zones.

const NODE = 'pmp';
const ackTopic = `pump/${NODE}/ack`;

async function rigWithLink(opts: { synced?: boolean; pump?: Record<string, unknown> } = {}) {
  const link = new FakeLink(NODE);
  const rig = await HilRig.create({ pump: opts.pump ?? fast(), link, nodeId: NODE, clockSynced: () => opts.synced ?? true });
  const wall = () => rig.clock.wallNow() / 1000;
  const acks = () => link.on(ackTopic).map((a) => ackSchema.parse(a));
  return { link, rig, wall, acks };
}

describe('fire/emergency commands', () => {
  it('ack accepted, and refused with a reason', async () => {
    const { link, rig, wall, acks } = await rigWithLink();
    link.inject('fire/emergency', { action: 'start', id: 'c1', ts: wall(), source: 'test' });
    expect(rig.state()).toBe('PRIMING');
    link.inject('fire/emergency', { action: 'valve_close', id: 'c2', ts: wall() });
    rig.advanceTo(5);
    link.inject('fire/emergency', { action: 'valve_close', id: 'c3', ts: wall() });
    expect(acks().map((a) => [a.command_id, a.action, a.accepted, a.reason])).toEqual([
      ['c1', 'start', true, null],
      ['c2', 'valve_close', false, 'engine_running: stop first'],
      ['c3', 'valve_close', false, 'engine_running: stop first'],
    ]);
    expect(link.published.filter((p) => p.topic === ackTopic).every((p) => p.opts.qos === 1)).toBe(true);
  });

  it('expired commands are refused (judged with the 5 s skew allowance), unless the clock is not synced', async () => {
    const { link, rig, wall, acks } = await rigWithLink();
    link.inject('fire/emergency', { action: 'start', id: 'old', ts: wall() - 66 }); // 60 + 5 skew exceeded
    expect(rig.state()).toBe('IDLE');
    link.inject('fire/emergency', { action: 'start', id: 'edge', ts: wall() - 64 });
    expect(rig.state()).toBe('PRIMING');
    expect(acks().map((a) => [a.command_id, a.accepted, a.reason])).toEqual([
      ['old', false, 'expired'],
      ['edge', true, null],
    ]);
    const u = await rigWithLink({ synced: false });
    u.link.inject('fire/emergency', { action: 'start', id: 'old', ts: u.wall() - 3600 });
    expect(u.rig.state()).toBe('PRIMING');
  });

  it('a ts from the future (beyond the skew) or in milliseconds is refused: it would never expire', async () => {
    const { link, rig, wall, acks } = await rigWithLink();
    link.inject('fire/emergency', { action: 'start', id: 'ms', ts: wall() * 1000 });
    link.inject('fire/emergency', { action: 'start', id: 'ahead', ts: wall() + 6 });
    expect(rig.state()).toBe('IDLE');
    link.inject('fire/emergency', { action: 'start', id: 'skewed', ts: wall() + 4 }); // within the 5 s skew
    expect(rig.state()).toBe('PRIMING');
    expect(acks().map((a) => [a.command_id, a.accepted, a.reason])).toEqual([
      ['ms', false, 'future_timestamp'],
      ['ahead', false, 'future_timestamp'],
      ['skewed', true, null],
    ]);
  });

  it('duplicate command ids are refused', async () => {
    const { link, acks } = await rigWithLink();
    link.inject('fire/emergency', { action: 'disarm', id: 'd1' });
    link.inject('fire/emergency', { action: 'disarm', id: 'd1' });
    expect(acks().map((a) => [a.accepted, a.reason])).toEqual([
      [true, null],
      [false, 'duplicate'],
    ]);
  });

  it('aliases: bypass_start, emergency_stop, {"command":"stop"} (R10) and plain-text STOP', async () => {
    for (const stop of [{ action: 'emergency_stop' }, { command: 'stop' }, 'STOP', ' emergency_stop\n']) {
      const { link, rig } = await rigWithLink();
      link.inject('fire/emergency', { command: 'bypass_start' });
      rig.advanceTo(10);
      expect(rig.state()).toBe('RUNNING');
      link.inject('fire/emergency', stop);
      expect(rig.state()).toBe('STOPPING');
      expect(rig.outputs().ignitionOn).toBe(false);
    }
  });

  it('malformed and unknown commands change nothing; plain-text start is refused', async () => {
    const { link, rig, acks } = await rigWithLink();
    for (const p of ['start', 'dance', '{bad', '{"id":"u1","action":"dance"}', '[]', '{"id":"u2"}']) link.inject('fire/emergency', p);
    expect(rig.state()).toBe('IDLE');
    expect(rig.edges()).toEqual([]);
    expect(acks().map((a) => [a.command_id, a.accepted, a.reason?.split(':')[0]])).toEqual([
      ['u1', false, 'unknown_action'],
      ['u2', false, 'malformed'],
    ]);
    expect(rig.eventsNamed('command_refused')).toHaveLength(6);
  });

  it('a retained command is never acted on', async () => {
    const { link, rig, acks } = await rigWithLink();
    link.inject('fire/emergency', { action: 'start', id: 'r1' }, { retained: true });
    expect(rig.state()).toBe('IDLE');
    expect(acks()[0]).toMatchObject({ accepted: false, reason: 'retained' });
  });
});

describe('fire/trigger admission', () => {
  it('a valid MQTT trigger starts the sequence', async () => {
    const { link, rig, wall } = await rigWithLink();
    link.inject('fire/trigger', { action: 'trigger', id: 't1', timestamp: wall(), confidence: 0.9 });
    expect(rig.state()).toBe('PRIMING');
    expect(rig.controller.snapshot().state.lastTriggerId).toBe('t1');
  });

  it('50 triggers at once start exactly one sequence (scenario 18)', async () => {
    const { link, rig } = await rigWithLink();
    for (let i = 0; i < 50; i++) link.inject('fire/trigger', { action: 'trigger', id: `burst-${i}` });
    rig.advanceTo(10);
    expect(rig.transitions().filter((t) => t.startsWith('IDLE>PRIMING'))).toHaveLength(1);
    expect(rig.transitions().filter((t) => t.startsWith('PRIMING>STARTING'))).toHaveLength(1);
    expect(rig.state()).toBe('RUNNING');
  });

  it('retained triggers are never acted on', async () => {
    const { link, rig } = await rigWithLink();
    link.inject('fire/trigger', { action: 'trigger', id: 't1' }, { retained: true });
    expect(rig.state()).toBe('IDLE');
    expect(rig.eventsNamed('trigger_refused').at(-1)).toMatchObject({ reason: 'retained', trigger_id: 't1' });
  });

  it('a trigger seen on the bus and via MQTT runs once (id de-duplication), and an id-less payload is hashed', async () => {
    const { link, rig } = await rigWithLink();
    rig.trigger({ id: 'same' });
    link.inject('fire/trigger', { action: 'trigger', id: 'same' });
    // The echo is de-duplication at work, not a refusal: no event, no refused count (issue 14).
    expect(rig.eventsNamed('trigger_refused')).toEqual([]);
    expect(rig.transitions().filter((t) => t.startsWith('IDLE>PRIMING'))).toHaveLength(1);
    link.inject('fire/trigger', '{"action":"trigger","confidence":1}');
    link.inject('fire/trigger', '{"action":"trigger","confidence":1}');
    expect(rig.controller.metrics().triggers_deduplicated_total).toBe(2);
    expect(rig.controller.metrics().refused_triggers_total).not.toHaveProperty('duplicate');
    expect(rig.eventsNamed('trigger_refused')).toEqual([]);
  });

  it('expired triggers: expires_at, else timestamp + ttl (120 s), 5 s skew; skipped when the clock is not synced', async () => {
    const { link, rig, wall } = await rigWithLink();
    link.inject('fire/trigger', { action: 'trigger', id: 'a', expires_at: wall() - 6 });
    link.inject('fire/trigger', { action: 'trigger', id: 'b', timestamp: wall() - 126 });
    expect(rig.state()).toBe('IDLE');
    expect(rig.eventsNamed('trigger_refused').map((e) => e.reason)).toEqual(['expired', 'expired']);
    link.inject('fire/trigger', { action: 'trigger', id: 'c', expires_at: wall() - 4 });
    expect(rig.state()).toBe('PRIMING');
    const u = await rigWithLink({ synced: false });
    u.link.inject('fire/trigger', { action: 'trigger', id: 'a', expires_at: u.wall() - 3600 });
    expect(u.rig.state()).toBe('PRIMING');
  });

  it('malformed triggers are refused with an event each and no output change', async () => {
    const { link, rig } = await rigWithLink();
    for (const p of ['{bad', '"stop"', '{"action":"fire"}', '{"action":"trigger","zones":"north"}', '']) link.inject('fire/trigger', p);
    expect(rig.state()).toBe('IDLE');
    expect(rig.edges()).toEqual([]);
    expect(rig.eventsNamed('trigger_refused').map((e) => e.reason)).toEqual(Array(5).fill('malformed'));
  });

  it('pump.zones: a trigger whose zones do not intersect is ignored; one without zones is site-wide', async () => {
    const { link, rig } = await rigWithLink({ pump: fast({}, { zones: ['north', 'east'] }) });
    link.inject('fire/trigger', { action: 'trigger', id: 'z1', zones: ['south'] });
    expect(rig.state()).toBe('IDLE');
    expect(rig.eventsNamed('trigger_refused').at(-1)?.reason).toBe('outside_zones');
    link.inject('fire/trigger', { action: 'trigger', id: 'z2', zones: ['south', 'east'] });
    expect(rig.state()).toBe('PRIMING');
    const r2 = await rigWithLink({ pump: fast({}, { zones: ['north'] }) });
    r2.link.inject('fire/trigger', { action: 'trigger', id: 'z3' });
    expect(r2.rig.state()).toBe('PRIMING');
  });
});

describe('local first', () => {
  it('a local trigger on the bus starts the pump with the broker down; state is still set as the last value', async () => {
    const { link, rig } = await rigWithLink();
    link.setState('RECONNECTING', 'broker down');
    rig.trigger({ id: 'local-1' });
    expect(rig.state()).toBe('PRIMING');
    rig.advanceTo(5);
    expect(rig.state()).toBe('RUNNING');
    expect(pumpStateSchema.parse(link.lastValues.get(`pump/${NODE}/state`)).state).toBe('RUNNING');
  });
});

describe('snapshot and metrics', () => {
  it('snapshot carries the state payload, electrical pin levels and the last events', async () => {
    const { rig } = await rigWithLink({ pump: fast({}, { pins: { mainValve: { pin: 18, activeLow: true }, flowSensor: 12 } }) });
    rig.trigger();
    rig.advanceTo(5);
    const snap = rig.controller.snapshot();
    expect(snap.state.state).toBe('RUNNING');
    expect(snap.pins.mainValve).toEqual({ pin: 18, level: 0 }); // on, active-low
    expect(snap.pins.ignitionStart).toEqual({ pin: 23, level: 0 });
    expect(snap.pins.ignitionOn).toEqual({ pin: 24, level: 1 });
    expect(snap.pins.flowSensor).toEqual({ pin: 12, level: 0 });
    expect(snap.lastEvents.at(-1)).toMatchObject({ event: 'transition', to: 'RUNNING' });
  });
});

describe('published state and events', () => {
  it('state is a retained last value on every transition and output change, valid against the schema, and all-off at shutdown', async () => {
    const { link, rig } = await rigWithLink();
    const seen: string[] = [];
    const orig = link.setLastValue.bind(link);
    link.setLastValue = (topic, payload) => {
      if (topic === `pump/${NODE}/state`) {
        const s = pumpStateSchema.parse(payload);
        seen.push(`${s.state}:${Object.entries(s.outputs).filter(([, v]) => v).map(([k]) => k).join('+')}`);
      }
      orig(topic, payload);
    };
    rig.trigger();
    rig.advanceTo(10);
    expect(seen).toContain('STARTING:mainValve+ignitionOn+refillValve+primingValve');
    expect(seen).toContain('STARTING:mainValve+ignitionStart+ignitionOn+refillValve+primingValve'); // the crank is visible
    expect(seen).toContain('RUNNING:mainValve+ignitionOn+refillValve');
    const run = pumpStateSchema.parse(link.lastValues.get(`pump/${NODE}/state`)).run;
    expect(run?.attempt).toBe(1);
    await rig.stop();
    // The exit stop is a real transition (issue 12 item 3): the pulse as it happens, then a final
    // state named for what it is, never "RUNNING" with every output off.
    expect(seen.slice(-2)).toEqual(['STOPPING:mainValve+ignitionOff', 'STOPPED_FOR_EXIT:']);
    expect(rig.outputs()).toEqual({ mainValve: false, ignitionStart: false, ignitionOn: false, ignitionOff: false, refillValve: false, primingValve: false, rpmReduce: false });
  });

  it('every transition and refusal is an event on pump/<node>/event (qos 1)', async () => {
    const { link, rig } = await rigWithLink();
    rig.command('disarm');
    rig.trigger();
    rig.command('arm');
    rig.trigger();
    const evs = link.published.filter((p) => p.topic === `pump/${NODE}/event`);
    expect(evs.every((e) => e.opts.qos === 1)).toBe(true);
    const parsed = evs.map((e) => pumpEventSchema.parse(e.payload));
    expect(parsed.map((e) => `${e.event}:${e.reason}`)).toEqual(['command_accepted:null', 'trigger_refused:disarmed', 'command_accepted:null', 'transition:trigger:bus']);
  });
});
