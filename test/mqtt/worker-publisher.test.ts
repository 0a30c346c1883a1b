import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../../src/log/logger.js';
import { attachWorkerPublisher, createWorkerPublisher } from '../../src/mqtt/worker-publisher.js';
import { FakeLink } from '../helpers/fake-link.js';

const tick = () => new Promise((r) => setTimeout(r, 20));

describe('worker publisher protocol', () => {
  it('forwards publishes and last values in order (Buffers intact), reports state to the worker', async () => {
    const { port1, port2 } = new MessageChannel();
    // A relay test: the link records what arrives as it arrived (no envelope, which the core adds).
    const link = new FakeLink('n1', { raw: true });
    link.setState('RECONNECTING');
    const att = attachWorkerPublisher(port1, link);
    const pub = createWorkerPublisher(port2);
    for (let i = 0; i < 50; i++) pub.publish('fire/detection/cam', { seq: i }, { qos: 1, priority: 2 });
    pub.publish('camera/cam/snapshot', Buffer.from([1, 2, 3]), { qos: 0 });
    pub.setLastValue('camera/cam/status', { status: 'online' }, { qos: 1 });
    await tick();
    expect(link.on('fire/detection/cam')).toEqual(Array.from({ length: 50 }, (_, i) => ({ seq: i })));
    expect(link.published[0].opts).toEqual({ qos: 1, priority: 2 });
    const snap = link.on('camera/cam/snapshot')[0];
    expect(Buffer.isBuffer(snap) && [...(snap as Buffer)]).toEqual([1, 2, 3]);
    expect(link.lastValues.get('camera/cam/status')).toEqual({ status: 'online' });
    expect(pub.connectionState()).toBe('RECONNECTING');
    link.setState('CONNECTED');
    await tick();
    expect(pub.connectionState()).toBe('CONNECTED');
    att.detach();
    pub.close();
    port1.close();
  });

  it('invalid mqtt.* messages are logged and counted, other messages on the port are ignored', async () => {
    const { port1, port2 } = new MessageChannel();
    const link = new FakeLink();
    const logger = memoryLogger('warn');
    const att = attachWorkerPublisher(port1, link, { logger });
    port2.postMessage({ type: 'mqtt.publish', topic: '', payload: 'x', opts: { qos: 1 } });
    port2.postMessage({ type: 'mqtt.publish', topic: 't', payload: 'x', opts: { qos: 2 } });
    port2.postMessage({ type: 'mqtt.bogus' });
    port2.postMessage({ type: 'detections', items: [] });
    port2.postMessage('hello');
    await tick();
    expect(att.rejected()).toBe(3);
    expect(link.published).toEqual([]);
    expect(logger.lines.filter((l) => l.msg === 'invalid mqtt message from worker dropped')).toHaveLength(3);
    att.detach();
    port1.close();
  });
});
