/**
 * HTTP snapshot source (`http(s)://...` with `httpMode: snapshot`, docs/detector.md "Cameras"): many IP
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

/** Largest snapshot body accepted: a 4K JPEG is a few MB; an endless or huge body must not fill RAM. */
export const MAX_SNAPSHOT_BYTES = 32 * 1024 * 1024;

/**
 * Fetch one snapshot: the whole request (headers and body) bounded by `timeoutMs` with our own timer
 * (AbortSignal.any + AbortSignal.timeout did not fire under GC pressure on Node 20), the body
 * bounded by {@link MAX_SNAPSHOT_BYTES}. Throws with the reason.
 */
async function fetchSnapshot(url: string, headers: Record<string, string>, stop: AbortSignal, timeoutMs: number): Promise<Buffer> {
  const ctrl = new AbortController();
  // Every abort carries its reason (stop, timeout, size); the request's own error is then generic.
  const abortWith = (message: string) => ctrl.abort(new Error(message));
  const onStop = () => abortWith('stopped');
  stop.addEventListener('abort', onStop);
  const timer = setTimeout(() => abortWith(`no complete snapshot within ${timeoutMs / 1000} s`), timeoutMs);
  try {
    const res = await fetch(url, { headers, signal: ctrl.signal });
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > MAX_SNAPSHOT_BYTES) throw new Error(`body of ${declared} bytes is larger than ${MAX_SNAPSHOT_BYTES} (not a snapshot URL?)`);
    if (!res.body) throw new Error('empty body');
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += chunk.length;
      if (size > MAX_SNAPSHOT_BYTES) abortWith(`body larger than ${MAX_SNAPSHOT_BYTES} bytes (an MJPEG stream? use httpMode: stream)`);
      if (ctrl.signal.aborted) break;
      chunks.push(chunk);
    }
    if (ctrl.signal.aborted) throw ctrl.signal.reason;
    return Buffer.concat(chunks, size);
  } catch (err) {
    throw ctrl.signal.aborted ? ctrl.signal.reason : err;
  } finally {
    clearTimeout(timer);
    stop.removeEventListener('abort', onStop);
  }
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
      const body = await fetchSnapshot(url, headers, abort.signal, spec.timeoutSeconds * 1000);
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
