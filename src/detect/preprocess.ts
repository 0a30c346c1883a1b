/**
 * Letterbox preprocessing (docs/detector.md "The hot path"): an rgb24 frame is scaled with bilinear
 * filtering, aspect kept, centred on a pad-114 canvas of the model's input size, and written as CHW
 * float32 in [0, 1] straight into ONE preallocated tensor buffer. The same geometry as Ultralytics'
 * LetterBox + cv2.INTER_LINEAR (half-pixel centres), so the model sees what it was trained on.
 * Pure: no I/O, and no allocation per frame once a frame size's plan exists.
 */

/** Pad value of Ultralytics' letterbox (grey 114), as a [0, 1] float. */
export const PAD_VALUE = 114 / 255;

/** The geometry that maps one frame size onto the model input, and back. */
export interface LetterboxPlan {
  readonly srcW: number;
  readonly srcH: number;
  readonly dstW: number;
  readonly dstH: number;
  /** Scale factor frame → input. */
  readonly gain: number;
  /** Size of the scaled image inside the input. */
  readonly newW: number;
  readonly newH: number;
  /** Left/top padding in input pixels. */
  readonly padX: number;
  readonly padY: number;
  /** Per output column/row: source indices and fractional weights (bilinear). */
  readonly x0: Int32Array;
  readonly x1: Int32Array;
  readonly fx: Float32Array;
  readonly y0: Int32Array;
  readonly y1: Int32Array;
  readonly fy: Float32Array;
}

/** Computes the letterbox plan of a `srcW × srcH` frame into a `dstW × dstH` input. */
export function planLetterbox(srcW: number, srcH: number, dstW: number, dstH: number): LetterboxPlan {
  const gain = Math.min(dstW / srcW, dstH / srcH);
  const newW = Math.max(1, Math.round(srcW * gain));
  const newH = Math.max(1, Math.round(srcH * gain));
  // Ultralytics: top = round(dh - 0.1), left = round(dw - 0.1) with dw, dh the half paddings.
  const padX = Math.max(0, Math.round((dstW - newW) / 2 - 0.1));
  const padY = Math.max(0, Math.round((dstH - newH) / 2 - 0.1));
  const axis = (n: number, src: number) => {
    const i0 = new Int32Array(n);
    const i1 = new Int32Array(n);
    const f = new Float32Array(n);
    const scale = src / n;
    for (let d = 0; d < n; d++) {
      // Half-pixel centres, clamped at the border like cv2.resize.
      let s = (d + 0.5) * scale - 0.5;
      if (s < 0) s = 0;
      let a = Math.floor(s);
      if (a > src - 1) a = src - 1;
      i0[d] = a;
      i1[d] = Math.min(a + 1, src - 1);
      f[d] = s - a;
    }
    return [i0, i1, f] as const;
  };
  const [x0, x1, fx] = axis(newW, srcW);
  const [y0, y1, fy] = axis(newH, srcH);
  return { srcW, srcH, dstW, dstH, gain, newW, newH, padX, padY, x0, x1, fx, y0, y1, fy };
}

/** Fills the whole CHW tensor with the pad value (done once per plan change, not per frame). */
export function fillPad(out: Float32Array): void {
  out.fill(PAD_VALUE);
}

/**
 * Writes the letterboxed frame into `out` (CHW, length 3·dstW·dstH). Only the image area is
 * written: the caller fills the padding once with {@link fillPad} whenever the plan changes.
 */
export function letterboxInto(rgb: Uint8Array, plan: LetterboxPlan, out: Float32Array): void {
  const { srcW, srcH, newW, newH } = plan;
  // Exact 1:1 and 2:1 geometries (a 640x360 camera into a 320 model) have constant bilinear
  // weights (0 and 0.5 with half-pixel centres): cheaper special cases with identical results.
  if (srcW === newW && srcH === newH) return copyInto(rgb, plan, out);
  if (srcW === 2 * newW && srcH === 2 * newH) return halveInto(rgb, plan, out);
  bilinearInto(rgb, plan, out);
}

/** The general case of {@link letterboxInto}: bilinear with half-pixel centres (cv2.INTER_LINEAR). */
export function bilinearInto(rgb: Uint8Array, plan: LetterboxPlan, out: Float32Array): void {
  const { srcW, dstW, dstH, newW, newH, padX, padY, x0, x1, fx, y0, y1, fy } = plan;
  const plane = dstW * dstH;
  const plane2 = 2 * plane;
  const stride = srcW * 3;
  for (let y = 0; y < newH; y++) {
    const r0 = y0[y] * stride;
    const r1 = y1[y] * stride;
    // The four bilinear weights carry the 1/255 scaling, so each channel costs 4 multiply-adds.
    const wy = fy[y] / 255;
    const wy1 = 1 / 255 - wy;
    let o = (y + padY) * dstW + padX;
    for (let x = 0; x < newW; x++, o++) {
      const a0 = r0 + x0[x] * 3;
      const b0 = r0 + x1[x] * 3;
      const a1 = r1 + x0[x] * 3;
      const b1 = r1 + x1[x] * 3;
      const wx = fx[x];
      const w00 = (1 - wx) * wy1;
      const w01 = wx * wy1;
      const w10 = (1 - wx) * wy;
      const w11 = wx * wy;
      out[o] = rgb[a0] * w00 + rgb[b0] * w01 + rgb[a1] * w10 + rgb[b1] * w11;
      out[o + plane] = rgb[a0 + 1] * w00 + rgb[b0 + 1] * w01 + rgb[a1 + 1] * w10 + rgb[b1 + 1] * w11;
      out[o + plane2] = rgb[a0 + 2] * w00 + rgb[b0 + 2] * w01 + rgb[a1 + 2] * w10 + rgb[b1 + 2] * w11;
    }
  }
}

/** 1:1 case of {@link letterboxInto}: a straight u8 → f32 CHW conversion into the image area. */
function copyInto(rgb: Uint8Array, plan: LetterboxPlan, out: Float32Array): void {
  const { dstW, dstH, newW, newH, padX, padY } = plan;
  const plane = dstW * dstH;
  const inv = 1 / 255;
  if (padX === 0) {
    // Full-width rows (landscape frames): the image area is one contiguous run per plane.
    const n = newW * newH;
    const p0 = padY * dstW;
    const p1 = p0 + plane;
    const p2 = p1 + plane;
    for (let k = 0, i = 0; k < n; k++, i += 3) {
      out[p0 + k] = rgb[i] * inv;
      out[p1 + k] = rgb[i + 1] * inv;
      out[p2 + k] = rgb[i + 2] * inv;
    }
    return;
  }
  let i = 0;
  for (let y = 0; y < newH; y++) {
    let o = (y + padY) * dstW + padX;
    for (let x = 0; x < newW; x++, o++, i += 3) {
      out[o] = rgb[i] * inv;
      out[o + plane] = rgb[i + 1] * inv;
      out[o + 2 * plane] = rgb[i + 2] * inv;
    }
  }
}

/** 2:1 case of {@link letterboxInto}: each output pixel is the mean of a 2×2 block. */
function halveInto(rgb: Uint8Array, plan: LetterboxPlan, out: Float32Array): void {
  const { srcW, dstW, dstH, newW, newH, padX, padY } = plan;
  const plane = dstW * dstH;
  const stride = srcW * 3;
  const k = 1 / (4 * 255);
  for (let y = 0; y < newH; y++) {
    let a = 2 * y * stride;
    let o = (y + padY) * dstW + padX;
    for (let x = 0; x < newW; x++, o++, a += 6) {
      const b = a + stride;
      out[o] = (rgb[a] + rgb[a + 3] + rgb[b] + rgb[b + 3]) * k;
      out[o + plane] = (rgb[a + 1] + rgb[a + 4] + rgb[b + 1] + rgb[b + 4]) * k;
      out[o + 2 * plane] = (rgb[a + 2] + rgb[a + 5] + rgb[b + 2] + rgb[b + 5]) * k;
    }
  }
}

/**
 * Maps a box in model-input pixels back to the frame, normalised to [0, 1] and clamped, writing
 * into `dst[at..at+3]` (undoes the letterbox; Ultralytics' scale_boxes).
 */
export function unletterbox(plan: LetterboxPlan, x1: number, y1: number, x2: number, y2: number, dst: Float32Array | number[], at: number): void {
  const sx = 1 / (plan.gain * plan.srcW);
  const sy = 1 / (plan.gain * plan.srcH);
  dst[at] = clamp01((x1 - plan.padX) * sx);
  dst[at + 1] = clamp01((y1 - plan.padY) * sy);
  dst[at + 2] = clamp01((x2 - plan.padX) * sx);
  dst[at + 3] = clamp01((y2 - plan.padY) * sy);
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/**
 * Owns the one preallocated input tensor buffer and caches a plan per frame size, so frames of
 * several cameras (different sizes) share one buffer without per-frame allocation.
 */
export class Preprocessor {
  /** The CHW float32 input buffer handed to ORT (reused every frame). */
  readonly data: Float32Array;
  private readonly plans = new Map<number, LetterboxPlan>();
  private current: LetterboxPlan | null = null;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Float32Array(3 * width * height);
    fillPad(this.data);
  }

  /** Letterboxes `rgb` (`w × h × 3` bytes) into {@link data}; returns the plan used for mapping back. */
  run(rgb: Uint8Array, w: number, h: number): LetterboxPlan {
    // Numeric key: a string key would allocate per frame.
    const key = w * 65536 + h;
    let plan = this.plans.get(key);
    if (!plan) {
      plan = planLetterbox(w, h, this.width, this.height);
      this.plans.set(key, plan);
    }
    if (plan !== this.current) {
      // A different geometry leaves old pixels in what is now padding.
      fillPad(this.data);
      this.current = plan;
    }
    letterboxInto(rgb, plan, this.data);
    return plan;
  }
}
