import { describe, expect, it } from 'vitest';
import { HilRig } from '../../hw/hil.js';
import { ackSchema } from '../../src/topics/payloads.js';
import { COMMAND_REFUSALS, OTHER_REFUSAL, refusalCode, TRIGGER_REFUSALS } from '../../src/topics/refusals.js';
import { FakeLink } from '../helpers/fake-link.js';
import { fast } from '../hil/fast-profile.js';

// Issue 15 item 4: every reason the pump gives (events, acks, metric labels) is a code of the
// refusal catalogue, so the owner's notifications and the dashboards key on codes that exist.

const NODE = 'pmp';

describe('refusal reasons come from the catalogue', () => {
  it('triggers refused for every cause carry catalogued codes in events and metric labels', async () => {
    const link = new FakeLink(NODE);
    const rig = await HilRig.create({ pump: fast({}, { zones: ['north'] }), link, nodeId: NODE });
    const wall = () => rig.clock.wallNow() / 1000;
    link.inject('fire/trigger', '{bad'); // malformed
    link.inject('fire/trigger', { action: 'trigger', id: 'r' }, { retained: true }); // retained
    link.inject('fire/trigger', { action: 'trigger', id: 'x', expires_at: wall() - 60 }); // expired
    link.inject('fire/trigger', { action: 'trigger', id: 'z', zones: ['south'] }); // outside_zones
    rig.command('disarm');
    rig.trigger({ id: 'd' }); // disarmed
    rig.command('arm');
    rig.command('stop');
    rig.trigger({ id: 'h' }); // operator_hold
    rig.command('reset');
    rig.trigger({ id: 'run' });
    rig.advanceTo(32.5);
    expect(rig.state()).toBe('STOPPING');
    rig.trigger({ id: 'blocked' }); // trigger_blocked_refilling
    const reasons = rig.eventsNamed('trigger_refused').map((e) => String(e.reason));
    expect(reasons).toEqual(['malformed', 'retained', 'expired', 'outside_zones', 'disarmed', 'operator_hold', 'trigger_blocked_refilling']);
    for (const r of reasons) expect(Object.keys(TRIGGER_REFUSALS), r).toContain(r);
    const labels = Object.keys(rig.controller.metrics().refused_triggers_total as Record<string, number>);
    expect(labels.sort()).toEqual([...reasons].sort());
  });

  it('refused commands: every ack reason and metric label starts with a catalogued code', async () => {
    const link = new FakeLink(NODE);
    const rig = await HilRig.create({ pump: fast(), link, nodeId: NODE });
    const wall = () => rig.clock.wallNow() / 1000;
    const send = (p: object | string, o: { retained?: boolean } = {}) => link.inject('fire/emergency', p, o);
    send({ id: 'm', action: 'dance' }); // unknown_action
    send({ id: 'm2' }); // malformed
    send({ id: 'ret', action: 'stop' }, { retained: true }); // retained
    send({ id: 'old', action: 'start', ts: wall() - 600 }); // expired
    send({ id: 'fut', action: 'start', ts: wall() + 600 }); // future_timestamp
    send({ id: 'go', action: 'start', ts: wall() });
    send({ id: 'go', action: 'start', ts: wall() }); // duplicate
    rig.advanceTo(5);
    send({ id: 'vc', action: 'valve_close', ts: wall() }); // engine_running
    send({ id: 'vo', action: 'valve_open', ts: wall() }); // not_idle
    const acks = link.on(`pump/${NODE}/ack`).map((a) => ackSchema.parse(a));
    const refused = acks.filter((a) => !a.accepted).map((a) => [a.command_id, refusalCode('command', String(a.reason))]);
    expect(refused).toEqual([
      ['m', 'unknown_action'],
      ['m2', 'malformed'],
      ['ret', 'retained'],
      ['old', 'expired'],
      ['fut', 'future_timestamp'],
      ['go', 'duplicate'],
      ['vc', 'engine_running'],
      ['vo', 'not_idle'],
    ]);
    const labels = Object.keys(rig.controller.metrics().refused_commands_total as Record<string, number>);
    for (const l of labels) expect(Object.keys(COMMAND_REFUSALS), l).toContain(l);
    expect(labels).not.toContain(OTHER_REFUSAL);
  });

  it('refusalCode strips the detail and bounds unknown codes to `other`', () => {
    expect(refusalCode('command', 'engine_running: stop first')).toBe('engine_running');
    expect(refusalCode('trigger', 'trigger_blocked_refilling')).toBe('trigger_blocked_refilling');
    expect(refusalCode('trigger', 'engine_running: stop first')).toBe(OTHER_REFUSAL); // a command code, not a trigger one
    expect(refusalCode('trigger', 'Free text!')).toBe(OTHER_REFUSAL);
    expect(refusalCode('trigger', '__proto__')).toBe(OTHER_REFUSAL);
  });
});
