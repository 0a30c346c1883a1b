import { afterEach, describe, expect, it } from 'vitest';
import { FOOTAGE, netnsUnavailable, Site, sleep, until } from './site.js';

/**
 * Several Pis on one broker (issue 17), each node a real `wildfire-edge run` in its own network
 * namespace with the shipped model: camera nodes, consensus nodes and a pump node. Partitions are
 * link-down on a node's interface. Figures are printed (console.log), not asserted: the assertions
 * are about what happens (one run, the pump starting after its link returns, no stale trigger).
 */
const why = netnsUnavailable();
if (why) console.warn(`multinode tests skipped: ${why}`);

let site: Site | undefined;
afterEach(async () => {
  await site?.stop();
  site = undefined;
}, 60_000);

/** consensus.windowSeconds (default). */
const WINDOW_S = 30;

/** Pump runs started, read after `quietMs` more of quiet (a second run would have begun by then). */
const runsStartedAfter = async (s: Site, pump: string, quietMs: number) => {
  await sleep(quietMs);
  return s.runsStarted(pump);
};

describe.skipIf(why !== null)('several Pis on one broker', () => {
  it('two camera nodes -> one pump run on the pump node; the pump node partitioned while running finishes its run alone and safely', async () => {
    site = new Site();
    await site.start();
    // The fire appears once every node runs, so the figure measures the site, not start-up.
    await site.addNode({ id: 'cam-n', roles: ['camera'], camera: { id: 'north', scene: FOOTAGE.negative } });
    await site.addNode({ id: 'cam-e', roles: ['camera'], camera: { id: 'east', scene: FOOTAGE.negative } });
    await site.addNode({ id: 'ctl', roles: ['consensus'] });
    await site.addNode({ id: 'pmp', roles: ['pump'] });
    await site.allOnline();
    await until(() => site!.matching(/^fire\/detection\//).length >= 4, 60_000, 'both cameras detecting');
    const shown = Date.now();
    site.showScene('cam-n', FOOTAGE.fireNorth);
    site.showScene('cam-e', FOOTAGE.fireEast);
    await until(() => site!.valveOpenedAt('pmp') !== null, 90_000, 'main valve open on the pump node');
    const onset = site.firstFireFrameAt(shown);
    const valve = site.valveOpenedAt('pmp')!;
    console.log(`multinode: first fire frame -> main valve open across nodes: ${((valve - onset!) / 1000).toFixed(1)} s`);
    expect(site.triggerIds()).toHaveLength(1);
    // The pump acknowledged the trigger end to end.
    await until(() => site!.on('pump/pmp/trigger_ack').some((m) => m.json?.trigger_id === site!.triggerIds()[0] && m.json?.accepted === true), 10_000, 'trigger ack');

    // Cut the running pump node off: it must finish by itself (fire-off delay after the last
    // trigger, hard runtime limit) and end with every output off.
    site.linkDown('pmp');
    const cut = Date.now();
    const pumpNode = site.nodes.get('pmp')!;
    await until(() => pumpNode.logs.some((l) => typeof l.time === 'number' && l.time >= cut && /→ (REFILLING|COOLDOWN|IDLE)$/.test(String(l.msg))), 40_000, `pump finished its run offline\n${site.tail('pmp')}`);
    console.log(`multinode: partitioned pump node ended its run ${((Date.now() - cut) / 1000).toFixed(1)} s after its link went down`);
    site.linkUp('pmp');
    const healed = Date.now();
    await until(() => {
      const st = site!.last('pump/pmp/state', healed)?.json;
      return !!st && ['IDLE', 'COOLDOWN', 'REFILLING'].includes(String(st.state));
    }, 30_000, 'the pump state republished after the link returned');
    await until(() => {
      const st = site!.last('pump/pmp/state')?.json;
      return !!st && Object.values(st.outputs as Record<string, boolean>).every((v) => v === false || st.state === 'REFILLING');
    }, 30_000, 'every output off');
    expect(site.runsStarted('pmp')).toBe(1);
  }, 240_000);

  it('the pump node partitioned around the trigger still starts as soon as its link returns; two consensus nodes -> one run', async () => {
    site = new Site();
    await site.start();
    // Both cameras begin on a scene without fire, so nothing is decided before the partition.
    await site.addNode({ id: 'cam-n', roles: ['camera'], camera: { id: 'north', scene: FOOTAGE.negative } });
    await site.addNode({ id: 'cam-e', roles: ['camera'], camera: { id: 'east', scene: FOOTAGE.negative } });
    await site.addNode({ id: 'ctl-a', roles: ['consensus'] });
    await site.addNode({ id: 'ctl-b', roles: ['consensus'] });
    await site.addNode({ id: 'pmp', roles: ['pump'] });
    await site.allOnline();
    await until(() => site!.on('pump/pmp/state').length > 0, 30_000, 'pump state');
    await sleep(1000); // the pump's subscriptions are granted well before the partition

    site.linkDown('pmp');
    const down = Date.now();
    site.showScene('cam-n', FOOTAGE.fireNorth);
    site.showScene('cam-e', FOOTAGE.fireEast);
    await until(() => site!.triggerIds(down).length > 0, 90_000, 'a trigger published while the pump node is partitioned');
    const triggerAt = site.on('fire/trigger', down)[0].at;
    // Keep the link down around the trigger (the reproduction held it 14 s in all).
    await sleep(Math.max(0, 14_000 - (Date.now() - down)));
    expect(site.valveOpenedAt('pmp', down)).toBeNull();
    site.linkUp('pmp');
    const up = Date.now();
    await until(() => site!.valveOpenedAt('pmp', down) !== null, 60_000, `main valve open after the link returned\n${site.tail('pmp')}`);
    const valve = site.valveOpenedAt('pmp', down)!;
    console.log(
      `multinode: pump node link down ${((up - down) / 1000).toFixed(1)} s (trigger ${((triggerAt - down) / 1000).toFixed(1)} s into it); ` +
        `link returned -> main valve open ${((valve - up) / 1000).toFixed(1)} s`,
    );
    // Each consensus node decides its own trigger; the pump runs once.
    expect(await runsStartedAfter(site, 'pmp', 3000)).toBe(1);
    // Every trigger was acknowledged: no consensus node is left re-sending.
    await until(() => site!.triggerIds(down).every((id) => site!.on('pump/pmp/trigger_ack', down).some((m) => m.json?.trigger_id === id)), 20_000, 'acks for every trigger');
  }, 240_000);

  it('a partitioned camera stops voting (the controller\'s MQTT health says so); its backlog causes no stale trigger; a broker restart with an empty store brings every node and its retained state back', async () => {
    site = new Site();
    await site.start();
    await site.addNode({ id: 'cam-n', roles: ['camera'], camera: { id: 'north', scene: FOOTAGE.fireNorth } });
    await site.addNode({ id: 'cam-e', roles: ['camera'], camera: { id: 'east', scene: FOOTAGE.negative } });
    await site.addNode({ id: 'ctl', roles: ['consensus'] });
    await site.addNode({ id: 'pmp', roles: ['pump'] });
    await site.allOnline();
    const eastVotes = (since: number) => {
      const h = site!.last('system/ctl/health', since)?.json as { consensus?: { cameras?: Array<{ id: string; voting: boolean; status: string }> } } | undefined;
      return h?.consensus?.cameras?.find((c) => c.id === 'east');
    };
    await until(() => eastVotes(0)?.voting === true, 60_000, 'east voting in the controller health');

    // East is cut off and sees fire for a while; then no fire for longer than the consensus
    // window before its link returns. Its backlog (QoS 1 detections in its outbox) arrives in one
    // burst, all older than the window: history only, it must not complete a trigger with north,
    // which sees fire all along.
    site.linkDown('cam-e');
    const down = Date.now();
    site.showScene('cam-e', FOOTAGE.fireEast);
    await until(() => eastVotes(down)?.voting === false, 30_000, 'east not voting in the controller health');
    // Its retained camera status still says online; its node's will says the node is gone.
    await until(() => eastVotes(down)?.status === 'offline', 30_000, 'east offline in the controller health');
    await sleep(Math.max(0, 12_000 - (Date.now() - down)));
    site.showScene('cam-e', FOOTAGE.negative);
    await sleep(WINDOW_S * 1000 + 4000);
    expect(site.triggerIds(), 'a trigger while east was cut off').toEqual([]); // one camera of two never triggers
    site.linkUp('cam-e');
    const healed = Date.now();
    await until(() => eastVotes(healed)?.voting === true, 30_000, 'east voting again');
    await sleep(15_000);
    const backlog = site.matching(/^fire\/detection\/east$/, healed).filter((m) => ((m.json?.detections as unknown[]) ?? []).length > 0);
    console.log(`multinode: east delivered ${backlog.length} fire detections from its backlog after the link returned`);
    expect(site.triggerIds(), 'a trigger after east came back').toEqual([]);
    expect(site.runsStarted('pmp')).toBe(0);

    // The broker restarts with nothing kept: every node comes back and re-publishes its retained state.
    await site.broker.stop('SIGKILL');
    const { rmSync } = await import('node:fs');
    rmSync(`${site.broker.dir}/mosquitto.db`, { force: true });
    const restart = Date.now();
    await site.broker.start();
    await site.allOnline(60_000, restart);
    const back = Date.now();
    for (const topic of ['pump/pmp/state', 'consensus/ctl/state', 'camera/north/status', 'camera/east/status', 'system/ctl/health']) {
      await until(() => site!.on(topic, restart).length > 0, 30_000, `${topic} republished after the broker restart`);
    }
    console.log(`multinode: broker restart (empty store) -> all 4 nodes online again in ${((back - restart) / 1000).toFixed(1)} s`);
  }, 240_000);
});
