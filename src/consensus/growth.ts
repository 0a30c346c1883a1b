/**
 * The reference growth rule, kept exactly (docs/consensus.md "The rule"; scenarios-consensus B): a track
 * is growing when it has at least 2·W samples in the window and the median area of its newest W
 * samples is >= ratio × the median of its oldest W samples. Medians of even W average the two middle
 * values (Python's statistics.median, which the reference uses). Allocation-free: callers pass a
 * scratch buffer of at least W entries.
 */

/** Median of `n` values already copied into `buf[0..n)`; sorts that prefix in place (n <= 10). */
export function medianInPlace(buf: Float64Array, n: number): number {
  // Insertion sort: W is at most 10, where it beats any allocation-based sort.
  for (let i = 1; i < n; i++) {
    const v = buf[i];
    let j = i - 1;
    while (j >= 0 && buf[j] > v) {
      buf[j + 1] = buf[j];
      j--;
    }
    buf[j + 1] = v;
  }
  const mid = n >> 1;
  return n % 2 === 1 ? buf[mid] : (buf[mid - 1] + buf[mid]) / 2;
}

/** Result slots written by {@link growthOf} (reused by the caller, no allocation per call). */
export interface GrowthOut {
  /** Median area of the oldest W samples in the window (0 when too few samples). */
  early: number;
  /** Median area of the newest W samples in the window (0 when too few samples). */
  late: number;
}

/** Read access to a time-ordered sample series (oldest first). */
export interface AreaSeries {
  /** Number of samples. */
  readonly len: number;
  /** Area of the i-th sample, oldest first. */
  areaAt(i: number): number;
}

/**
 * Apply the growth rule to `series` (already pruned to the window). Writes the medians into `out`
 * and returns whether the track is growing. `scratch` must hold at least `w` numbers.
 */
export function growthOf(series: AreaSeries, w: number, ratio: number, scratch: Float64Array, out: GrowthOut): boolean {
  const n = series.len;
  if (n < 2 * w) {
    out.early = 0;
    out.late = 0;
    return false;
  }
  for (let i = 0; i < w; i++) scratch[i] = series.areaAt(i);
  out.early = medianInPlace(scratch, w);
  for (let i = 0; i < w; i++) scratch[i] = series.areaAt(n - w + i);
  out.late = medianInPlace(scratch, w);
  // `>=`: the boundary is inclusive (scenario 12 and 14: ratio 1.0 on a flat series triggers).
  return out.late >= ratio * out.early;
}
