import { describe, expect, it } from 'vitest';
import { HilRig } from '../../hw/hil.js';
import { fast } from '../hil/fast-profile.js';
import { FakeLink } from '../helpers/fake-link.js';

// Issue 15 item 7: `pump/<node>/state` is published once per transition (the machine's
// onOutputs and onTransition hooks each published it, so every transition that changed an output
// went out twice), and once per output change that is not a transition (the crank pulse, the
// priming valve closing, the main valve closing during the refill), so each change stays visible.

const on = (o: Record<string, boolean>) => Object.entries(o).filter(([, v]) => v).map(([k]) => k).sort().join('+');

describe('pump state publishes', () => {
  it('one publish per transition and per output change over a whole run (FAST timeline), on the bus and on the link', async () => {
    const link = new FakeLink('pmp');
    let linkPublishes = 0;
    const setLastValue = link.setLastValue.bind(link);
    link.setLastValue = (topic, payload) => {
      if (topic === 'pump/pmp/state') linkPublishes++;
      setLastValue(topic, payload);
    };
    const rig = await HilRig.create({ pump: fast(), link, nodeId: 'pmp' });
    rig.trigger();
    rig.advanceTo(100);
    const seen = rig.states.map((s) => `${s.state}:${on(s.outputs)}`);
    expect(seen).toEqual([
      'IDLE:', // start()
      'PRIMING:mainValve+primingValve+refillValve', // t 0
      'STARTING:ignitionOn+mainValve+primingValve+refillValve', // t 2
      'STARTING:ignitionOn+ignitionStart+mainValve+primingValve+refillValve', // t 2.5 crank (phase, no transition)
      'RUNNING:ignitionOn+mainValve+primingValve+refillValve', // t 3.5
      'RUNNING:ignitionOn+mainValve+refillValve', // t 8.5 priming over
      'REDUCING_RPM:ignitionOn+mainValve+refillValve+rpmReduce', // t 30
      'STOPPING:ignitionOff+mainValve+refillValve', // t 32
      'REFILLING:mainValve+refillValve', // t 33
      'REFILLING:refillValve', // t 42 valve close delay over
      'COOLDOWN:', // t 93
      'IDLE:', // t 98
    ]);
    // Every transition event has exactly one state publish naming its target.
    const transitions = rig.eventsNamed('transition').length;
    expect(transitions).toBe(8);
    expect(linkPublishes).toBe(rig.states.length);
  });

  it('a transition that changes no output and arm/disarm still publish once each', async () => {
    const rig = await HilRig.create({ pump: fast() });
    const before = rig.states.length;
    rig.command('disarm');
    rig.command('arm');
    expect(rig.states.slice(before).map((s) => s.armed)).toEqual([false, true]);
  });
});
