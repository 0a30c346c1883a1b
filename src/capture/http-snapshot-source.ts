/**
 * HTTP snapshot source (`http(s)://...` with `httpMode: snapshot`, DETECTOR.md "Cameras"): many IP
 * cameras serve one JPEG per request rather than an MJPEG stream. Polled at `fps` with a timeout,
 * decoded and scaled with sharp to exactly `width × height` rgb24. Credentials in the URL become a
 * Basic Authorization header (fetch refuses URLs with credentials). A failed request ends the
 * source with an error; the camera's supervisor restarts it with backoff.
 */
import { redactUrl } from '../log/redact.js';
import type { FrameSource, SourceHandlers, SourceSpec } from './source.js';

/** Splits `http://user:pass@host/path` into a credential-free URL and its Authorization header. */
export function splitCredentials(raw: string): { url: string; headers: Record<string, string> } {
  const u = new URL(raw);
  if (!u.username && !u.password) return { url: raw, headers: {} };
  const auth = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
  u.username = '';
  u.password = '';
  return { url: u.toString(), headers: { authorization: `Basic ${auth}` } };
}

/** Creates a polling snapshot source. */
export function createHttpSnapshotSource(spec: SourceSpec, handlers: SourceHandlers): FrameSource {
  const periodMs = 1000 / spec.fps;
  const { url, headers } = splitCredentials(spec.url);
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let ended = false;
  let running: Promise<void> = Promise.resolve();
  const abort = new AbortController();

  const end = (message: string) => {
    if (ended || stopped) return;
    ended = true;
    handlers.onEnd({ kind: 'error', message: redactUrl(message) });
  };

  const tick = async () => {
    if (stopped || ended) return;
    const started = performance.now();
    let frame: Buffer;
    try {
      const res = await fetch(url, { headers, signal: AbortSignal.any([abort.signal, AbortSignal.timeout(spec.timeoutSeconds * 1000)]) });
      if (!res.ok) return end(`snapshot request failed: HTTP ${res.status} ${res.statusText}`);
      const body = Buffer.from(await res.arrayBuffer());
      const sharp = (await import('sharp')).default;
      frame = await sharp(body).removeAlpha().toColourspace('srgb').resize(spec.width, spec.height, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
    } catch (err) {
      if (stopped) return;
      return end(`snapshot request failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (stopped) return;
    handlers.onFrame(frame);
    timer = setTimeout(
      () => {
        running = tick();
      },
      Math.max(0, periodMs - (performance.now() - started)),
    );
  };

  return {
    start() {
      if (!stopped) running = tick();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      abort.abort();
      await running;
    },
  };
}
