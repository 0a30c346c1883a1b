import { describe, expect, it } from 'vitest';
import { Scenario } from './harness.js';

/**
 * Issue 17: a camera's retained `camera/<id>/status` still says online after its node died (the
 * node's Last Will covers only `system/<node>/availability`). Consensus combines the two, and its
 * snapshot (status page, health) says the camera is offline while its node is.
 */
describe('camera status of a dead node', () => {
  it('is offline while the node is offline, and online again when the node is back', () => {
    const s = new Scenario({ threshold: 1 });
    s.send('camera/east/status', { status: 'online', camera_id: 'east', node_id: 'cam-east' });
    const east = () => s.service.snapshot().cameras.find((c) => c.id === 'east')!;
    expect(east()).toMatchObject({ node: 'cam-east', status: 'online', effectiveStatus: 'online', nodeOnline: true });
    s.send('system/cam-east/availability', 'offline');
    expect(east()).toMatchObject({ status: 'online', effectiveStatus: 'offline', nodeOnline: false, voting: false });
    s.send('system/cam-east/availability', 'online');
    expect(east()).toMatchObject({ effectiveStatus: 'online', nodeOnline: true });
  });
});
