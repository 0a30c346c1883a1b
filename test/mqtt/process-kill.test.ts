import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, TestMosquitto } from '../helpers/mosquitto.js';
import { makeCore, Observer, tempDir, waitFor } from './helpers.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/publisher-child.ts', import.meta.url));
const brokers: TestMosquitto[] = [];
afterAll(async () => {
  for (const b of brokers) await b.stop();
});

/** Start the fixture; resolves with the child and the READY line once it printed it. */
async function child(env: Record<string, string>): Promise<{ proc: ChildProcess; ready: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', FIXTURE], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const ready = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /READY.*\n/.exec(out);
      if (m) resolve(m[0].trim());
    });
    proc.once('exit', (code) => reject(new Error(`child exited ${code}: ${err}`)));
  });
  return { proc, ready };
}

async function kill9(proc: ChildProcess): Promise<void> {
  await new Promise<void>((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

describe('our process killed', () => {
  // A process kill (not a power cut) loses nothing in any fsync mode: every batch is written to the
  // kernel before publish() is considered queued; fsync only decides what a power cut may take.
  it.each([
    ['always', [2, Infinity]],
    ['interval', [1, 1]],
    ['never', [0, 0]],
  ] as const)('fsync %s: SIGKILLed while the broker is down, messages queued before the kill are delivered after restart, in order', async (fsync, [minSyncs, maxSyncs]) => {
    const port = await freePort();
    const stateDir = tempDir();
    const c = await child({ URL: `mqtt://127.0.0.1:${port}`, STATE_DIR: stateDir, NODE_ID: 'victim', COUNT: '200', MODE: 'queue', FSYNC: fsync });
    // always: every batch synced (each half is one or more group commits); interval (60 s): only
    // the first batch, so the second half lives in the page cache alone when the kill comes; never: none.
    const m = /^READY (\d+) fsyncs=(\d+)$/.exec(c.ready);
    expect(m?.[1]).toBe('200');
    expect(Number(m?.[2])).toBeGreaterThanOrEqual(minSyncs);
    expect(Number(m?.[2])).toBeLessThanOrEqual(maxSyncs);
    await kill9(c.proc);

    const broker = new TestMosquitto({ port });
    brokers.push(broker);
    await broker.start();
    const obs = await Observer.start(broker.url, ['test/killed']);
    const core = makeCore({ url: broker.url, nodeId: 'victim', stateDir });
    await core.start();
    expect(core.metrics().outbox_recovered).toBe(200);
    await waitFor(() => obs.got.length >= 200, 10_000, '200 recovered messages');
    expect(obs.got.map((g) => g.json!.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(new Set(obs.got.map((g) => g.json!.id)).size).toBe(200);
    await waitFor(() => core.metrics().outbox_depth === 0);
    await core.close();
    await obs.stop();
  });

  it('the will: SIGKILL makes the broker publish offline (retained); online was retained after connect', async () => {
    const broker = new TestMosquitto();
    brokers.push(broker);
    await broker.start();
    const obs = await Observer.start(broker.url, ['system/willy/availability']);
    const c = await child({ URL: broker.url, STATE_DIR: tempDir(), NODE_ID: 'willy', MODE: 'connect' });
    await waitFor(() => obs.got.length === 1);
    expect(obs.got[0].text).toBe('online');
    await kill9(c.proc);
    await waitFor(() => obs.got.length === 2, 10_000, 'will message');
    expect(obs.got[1].text).toBe('offline');
    // retained: a new subscriber sees offline
    const late = await Observer.start(broker.url, ['system/willy/availability']);
    await waitFor(() => late.got.length === 1);
    expect(late.got[0]).toMatchObject({ text: 'offline', retain: true });
    await obs.stop();
    await late.stop();
  });
});
