/**
 * A cheap fingerprint of a raw rgb24 frame for telling a repeated picture from a new one: FNV-1a over
 * a few evenly spaced full rows. Pure, allocation-free (it runs on every frame). A real sensor's
 * noise changes these rows from one frame to the next; byte-identical rows frame after frame mean
 * the source repeats an old picture (ffmpeg re-emitting its last frame, an NVR's frozen image).
 */

/** Rows sampled per frame. */
export const HASH_ROWS = 8;

/** Hash of `HASH_ROWS` evenly spaced rows of a `width × height × 3` frame (unsigned 32 bit). */
export function frameHash(frame: Uint8Array, width: number, height: number): number {
  const rowBytes = width * 3;
  let h = 0x811c9dc5;
  for (let r = 0; r < HASH_ROWS; r++) {
    const row = Math.min(height - 1, Math.floor(((r + 0.5) * height) / HASH_ROWS));
    const start = row * rowBytes;
    const end = start + rowBytes;
    for (let i = start; i < end; i++) h = Math.imul(h ^ frame[i], 0x01000193);
  }
  return h >>> 0;
}
