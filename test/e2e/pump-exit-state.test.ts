import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestMosquitto } from '../helpers/mosquitto.js';
import { waitFor } from './harness.js';

// Issue 12 item 3 end to end: `wildfire-edge run` (pump role, mock GPIO) against a real Mosquitto,
// SIGTERM while RUNNING. The retained pump/<node>/state must end as STOPPED_FOR_EXIT with every
// output off, after a STOPPING state showing the stop pulse, and before the node's `offline`.

const broker = new TestMosquitto();
beforeAll(() => broker.start());
afterAll(() => broker.stop());

interface Msg { topic: string; text: string; retain: boolean }
const json = (m: Msg) => JSON.parse(m.text) as { state: string; outputs: Record<string, boolean>; event?: string; from?: string; to?: string; reason?: string };
const on = (o: Record<string, boolean>) => Object.entries(o).filter(([, v]) => v).map(([k]) => k).sort().join('+');

describe('process: SIGTERM while the pump runs (real Mosquitto)', () => {
  it('retained state goes RUNNING → STOPPING (pulse, main valve open) → STOPPED_FOR_EXIT (all off), with events, before offline', async () => {
    const node = 'exitnode';
    const dir = mkdtempSync(join(tmpdir(), 'wfe-exitstate-'));
    const cfg = join(dir, 'c.yaml');
    writeFileSync(
      cfg,
      `node: { id: ${node} }\nroles: [pump]\nstateDir: ${dir}/state\nhttp: { enabled: false }\n` +
        'pump: { driver: mock, timings: { preOpenDelay: 0.3, ignitionOnLeadTime: 0.1, ignitionStartDuration: 0.2, ignitionOffDuration: 1, maxEngineRuntime: 60, rpmReductionLead: 5, fireOffDelay: 300 } }\n',
    );
    const obs = await mqtt.connectAsync(broker.url, { clientId: 'obs-exit', protocolVersion: 4 });
    const got: Msg[] = [];
    obs.on('message', (topic, p, pk) => got.push({ topic, text: p.toString(), retain: pk.retain }));
    await obs.subscribeAsync([`pump/${node}/state`, `pump/${node}/event`, `system/${node}/availability`], { qos: 1 });

    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'run', '--config', cfg], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MQTT_URL: broker.url, NOTIFY_SOCKET: '' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    const states = () => got.filter((m) => m.topic === `pump/${node}/state`).map(json);
    try {
      expect(await waitFor(() => states().some((s) => s.state === 'IDLE'), 40_000)).toBe(true);
      const now = Date.now() / 1000;
      await obs.publishAsync('fire/trigger', JSON.stringify({ action: 'trigger', v: 1, id: 'exit-1', node_id: 'test', ts: now, timestamp: now, expires_at: now + 60 }), { qos: 1 });
      expect(await waitFor(() => states().some((s) => s.state === 'RUNNING'), 20_000)).toBe(true);
    } catch (err) {
      child.kill('SIGKILL');
      throw new Error(`${String(err)}\n${out}`);
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await waitFor(() => got.some((m) => m.topic === `system/${node}/availability` && m.text === 'offline'), 5000)).toBe(true);

    const stateMsgs = got.map((m, i) => ({ m, i })).filter(({ m }) => m.topic === `pump/${node}/state`);
    const afterRun = stateMsgs.slice(stateMsgs.findLastIndex(({ m }) => json(m).state === 'RUNNING') + 1).map(({ m, i }) => ({ i, s: json(m) }));
    expect(afterRun.map(({ s }) => `${s.state}:${on(s.outputs)}`)).toEqual(['STOPPING:ignitionOff+mainValve', 'STOPPED_FOR_EXIT:']);
    const final = afterRun[afterRun.length - 1];
    expect(final.i).toBeLessThan(got.findIndex((m) => m.topic === `system/${node}/availability` && m.text === 'offline'));

    // The pump events of the exit reached the broker (through the durable outbox).
    const exitEvents = () => got.filter((m) => m.topic === `pump/${node}/event`).map(json).filter((e) => e.reason === 'exit:SIGTERM').map((e) => `${e.from}>${e.to}`);
    await waitFor(() => exitEvents().length >= 2, 5000);
    expect(exitEvents()).toEqual(['RUNNING>STOPPING', 'STOPPING>STOPPED_FOR_EXIT']);

    // What Home Assistant or the status page sees now: the retained values on the broker.
    const late = await mqtt.connectAsync(broker.url, { clientId: 'obs-exit-late', protocolVersion: 4 });
    const retained: Msg[] = [];
    late.on('message', (topic, p, pk) => retained.push({ topic, text: p.toString(), retain: pk.retain }));
    await late.subscribeAsync([`pump/${node}/state`, `system/${node}/availability`], { qos: 1 });
    expect(await waitFor(() => retained.length >= 2, 5000)).toBe(true);
    const rs = retained.find((m) => m.topic === `pump/${node}/state`)!;
    expect(rs.retain).toBe(true);
    expect(json(rs).state).toBe('STOPPED_FOR_EXIT');
    expect(on(json(rs).outputs)).toBe('');
    expect(retained.find((m) => m.topic === `system/${node}/availability`)?.text).toBe('offline');
    await late.endAsync();
    await obs.endAsync();
  }, 90_000);
});
