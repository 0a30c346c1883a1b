/**
 * Image-folder source (`dir:///path`, docs/detector.md "Cameras"): JPEG/PNG/WebP files in name order,
 * decoded with sharp (no ffmpeg: the demo must run without it) and scaled to exactly
 * `width × height` rgb24, played at `fps`; `loop` starts over at the end. A file that fails to
 * decode is skipped; a folder where nothing decodes ends with an error.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FrameSource, SourceHandlers, SourceSpec } from './source.js';

const IMAGE = /\.(jpe?g|png|webp)$/i;

/** Folder path of a `dir://` URL (`dir:///abs/path` or `dir://relative/path`). */
export function dirPathOf(url: string): string {
  const rest = url.replace(/^dir:\/\//i, '');
  return rest.startsWith('/') ? fileURLToPath('file://' + rest) : rest;
}

/** Creates a sharp-backed image-folder source. */
export function createDirSource(spec: SourceSpec, handlers: SourceHandlers): FrameSource {
  const dir = dirPathOf(spec.url);
  const periodMs = 1000 / spec.fps;
  let files: string[] = [];
  let index = 0;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let ended = false;
  let goodInPass = 0;
  let running: Promise<void> = Promise.resolve();

  const end = (kind: 'eof' | 'error', message: string) => {
    if (ended || stopped) return;
    ended = true;
    handlers.onEnd({ kind, message });
  };

  const decode = async (file: string): Promise<Buffer | null> => {
    try {
      const sharp = (await import('sharp')).default;
      return await sharp(file, { failOn: 'error' }).removeAlpha().toColourspace('srgb').resize(spec.width, spec.height, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
    } catch {
      return null;
    }
  };

  const tick = async () => {
    if (stopped || ended) return;
    const started = performance.now();
    if (index >= files.length) {
      if (goodInPass === 0) return end('error', `no image in ${dir} could be decoded (${files.length} file(s) tried)`);
      if (!spec.loop) return end('eof', `end of image folder ${dir}`);
      index = 0;
      goodInPass = 0;
    }
    const buf = await decode(join(dir, files[index++]));
    if (stopped) return;
    if (buf && buf.length === spec.width * spec.height * 3) {
      goodInPass++;
      handlers.onFrame(buf);
    }
    // Keep the rate: the next frame is due one period after this one started.
    const wait = buf ? Math.max(0, periodMs - (performance.now() - started)) : 0;
    timer = setTimeout(() => {
      running = tick();
    }, wait);
  };

  return {
    start() {
      if (stopped) return;
      running = (async () => {
        try {
          files = (await readdir(dir)).filter((f) => IMAGE.test(f)).sort();
        } catch (err) {
          return end('error', `image folder ${dir} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
        }
        if (files.length === 0) return end('error', `image folder ${dir} holds no .jpg/.png/.webp files`);
        await tick();
      })();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
