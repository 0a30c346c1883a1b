import { describe, expect, it } from 'vitest';
import { redactDeep, redactUrl } from '../../src/log/redact.js';

describe('URL credential redaction', () => {
  it('hides the whole user info, up to the last @ before the path', () => {
    expect(redactUrl('rtsp://admin:secret@10.0.0.9:554/stream')).toBe('rtsp://***@10.0.0.9:554/stream');
    // A raw @ in the password: nothing of it may remain (ffmpeg splits at the last @).
    expect(redactUrl('rtsp://admin:p@ssw0rd@10.0.0.9/s')).toBe('rtsp://***@10.0.0.9/s');
    expect(redactUrl('http://:secret@cam/snap.jpg')).toBe('http://***@cam/snap.jpg');
    expect(redactUrl('failed: mqtts://u:p@broker:8883 and rtsp://a:b@c/d?x=y@z')).toBe('failed: mqtts://***@broker:8883 and rtsp://***@c/d?x=y@z');
    expect(redactUrl('rtsp://10.0.0.9/stream and user@example.org')).toBe('rtsp://10.0.0.9/stream and user@example.org');
  });

  it('hides secret-named parameters in paths and queries (cameras that take credentials that way)', () => {
    expect(redactUrl('rtsp://10.0.0.5:554/user=admin&password=hunter2&channel=1&stream=0.sdp')).toBe('rtsp://10.0.0.5:554/user=admin&password=***&channel=1&stream=0.sdp');
    expect(redactUrl('http://cam/snapshot.cgi?user=admin&pwd=hunter2')).toBe('http://cam/snapshot.cgi?user=admin&pwd=***');
    expect(redactUrl('https://hooks.example/x?token=abc123#f')).toBe('https://hooks.example/x?token=***#f');
    expect(redactUrl('http://cam/video?channel=1&passport=ok')).toBe('http://cam/video?channel=1&passport=ok');
  });

  it('redacts secret-named fields and URLs inside nested values', () => {
    expect(redactDeep({ url: 'rtsp://a:b@c/d', password: 'x', nested: [{ token: 't', ok: 1 }] })).toEqual({ url: 'rtsp://***@c/d', password: '***', nested: [{ token: '***', ok: 1 }] });
  });
});
