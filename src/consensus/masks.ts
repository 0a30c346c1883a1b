import type { MaskConfig } from './config.js';

/**
 * Masks (docs/consensus.md "Defaults": `cameras.<id>.masks`): a detection whose box centre lies inside a
 * mask is ignored, so a barbecue, a sunset horizon or a lit sign never votes. Rectangles and
 * polygons are normalised to [0, 1]; the boundary counts as inside.
 */

/** Masks of one camera, compiled once into flat arrays. */
export interface CompiledMasks {
  /** Rectangles as consecutive [x1, y1, x2, y2]. */
  readonly rects: Float64Array;
  /** Polygons as flat [x0, y0, x1, y1, ...]. */
  readonly polygons: readonly Float64Array[];
}

/** Compile validated mask config. */
export function compileMasks(masks: readonly MaskConfig[]): CompiledMasks {
  const rects: number[] = [];
  const polygons: Float64Array[] = [];
  for (const m of masks) {
    if (typeof m[0] === 'number') rects.push(...(m as [number, number, number, number]));
    else polygons.push(Float64Array.from((m as Array<[number, number]>).flat()));
  }
  return { rects: Float64Array.from(rects), polygons };
}

/** Even-odd ray casting; points on an edge count as inside. */
function inPolygon(p: Float64Array, x: number, y: number): boolean {
  const n = p.length / 2;
  let inside = false;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = p[2 * i], yi = p[2 * i + 1], xj = p[2 * j], yj = p[2 * j + 1];
    // On-segment test first, so a centre exactly on the mask border is masked (conservative).
    const cross = (x - xi) * (yj - yi) - (y - yi) * (xj - xi);
    if (Math.abs(cross) < 1e-12 && x >= Math.min(xi, xj) && x <= Math.max(xi, xj) && y >= Math.min(yi, yj) && y <= Math.max(yi, yj)) return true;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** True when the point (box centre) is inside any mask. */
export function isMasked(masks: CompiledMasks, x: number, y: number): boolean {
  const r = masks.rects;
  for (let i = 0; i < r.length; i += 4) if (x >= r[i] && x <= r[i + 2] && y >= r[i + 1] && y <= r[i + 3]) return true;
  for (const p of masks.polygons) if (inPolygon(p, x, y)) return true;
  return false;
}
