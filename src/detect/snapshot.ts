/**
 * Evidence snapshots (docs/topics.md `camera/<camera>/snapshot`): on a detection, a JPEG of the frame
 * with its boxes drawn (sharp + an SVG overlay), at most one per camera per `minIntervalSeconds`,
 * saved under `<stateDir>/snapshots/` with the folder kept under `maxDiskMB` (oldest deleted
 * first). Runs in the worker, off the main thread; encoding never blocks inference for long
 * because the frame is copied to a per-camera buffer and encoded asynchronously.
 */
import { mkdir, readdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A detection to draw. */
export interface DrawBox {
  label: string;
  score: number;
  box: readonly [number, number, number, number];
}

const COLOURS: Record<string, string> = { fire: '#ff3b1f', smoke: '#9aa7b0' };
const esc = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** SVG overlay with one rectangle and caption per box (normalised coordinates → pixels). */
export function overlaySvg(width: number, height: number, boxes: readonly DrawBox[]): string {
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 180));
  const font = Math.max(10, Math.round(height / 28));
  const parts = boxes.map((b, i) => {
    const [x1, y1, x2, y2] = [b.box[0] * width, b.box[1] * height, b.box[2] * width, b.box[3] * height];
    const c = COLOURS[b.label] ?? '#ffd000';
    // Alternate captions above/below: fire and smoke often share one box, and captions must not overlap.
    const above = i % 2 === 0 ? y1 > font + 2 : y2 + font > height;
    const ty = above ? y1 - 3 : y2 + font;
    return (
      `<rect x="${x1.toFixed(1)}" y="${y1.toFixed(1)}" width="${(x2 - x1).toFixed(1)}" height="${(y2 - y1).toFixed(1)}" fill="none" stroke="${c}" stroke-width="${stroke}"/>` +
      `<text x="${x1.toFixed(1)}" y="${ty.toFixed(1)}" fill="${c}" font-family="sans-serif" font-size="${font}" font-weight="bold">${esc(b.label)} ${(b.score * 100).toFixed(0)}%</text>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/** Encodes an rgb24 frame with boxes drawn as JPEG. */
export async function encodeSnapshot(rgb: Uint8Array, width: number, height: number, boxes: readonly DrawBox[], quality = 75): Promise<Buffer> {
  // Loaded on first use: libvips costs RSS a node without detections never needs.
  const sharp = (await import('sharp')).default;
  return sharp(rgb, { raw: { width, height, channels: 3 } })
    .composite([{ input: Buffer.from(overlaySvg(width, height, boxes)), top: 0, left: 0 }])
    .jpeg({ quality })
    .toBuffer();
}

/** Writes `jpeg` into `dir` and deletes the oldest files until the folder fits `maxBytes`. */
export async function storeSnapshot(dir: string, camera: string, ts: number, jpeg: Buffer, maxBytes: number): Promise<void> {
  if (maxBytes <= 0) return;
  await mkdir(dir, { recursive: true });
  const name = `${camera}-${new Date(ts).toISOString().replace(/[:.]/g, '-')}.jpg`;
  await writeFile(join(dir, name), jpeg);
  const files = await Promise.all(
    (await readdir(dir))
      .filter((f) => f.endsWith('.jpg'))
      .map(async (f) => {
        const s = await stat(join(dir, f)).catch(() => null);
        return { f, size: s?.size ?? 0, mtime: s?.mtimeMs ?? 0 };
      }),
  );
  // Oldest first by mtime, then name (names embed the time).
  files.sort((a, b) => a.mtime - b.mtime || a.f.localeCompare(b.f));
  let total = files.reduce((n, x) => n + x.size, 0);
  for (const x of files) {
    if (total <= maxBytes) break;
    await unlink(join(dir, x.f)).catch(() => undefined);
    total -= x.size;
  }
}
