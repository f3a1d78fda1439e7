// Integer screening for the KNN scan. Features are rounded to integers in [-L, L] on one scale s
// (the training rows' largest |x| / L), and three training rows are packed into one double per
// feature (lanes of 2^16). A training row gets one more feature, ||x~||^2, and a query the
// features -2 q~ and 1, so one multiply-add per feature gives three exact integers
// ||x~||^2 - 2 q~.x~ = ||q~ - x~||^2 - ||q~||^2: every lane stays below 2^15 in magnitude
// (3 d L^2 <= 32767) and the whole value below 2^53.
//
// The rounding errors e = x - s x~ are known per row, so by the triangle inequality
// ||q - x|| >= s ||q~ - x~|| - ||e_q|| - ||e_x||: a training row is only looked at (exactly) when
// its lane is below a per-query threshold derived from the current k-th distance. The exact check
// decides, so the result equals a plain scan.

/** Lane width: three lanes per double. */
export const LANE = 65536;
export const LANE2 = LANE * LANE;
/** Generous relative margin on the float parts of the threshold (their rounding is ~1e-15). */
const SLACK = 1e-9;

/** Largest level L with 3 d L^2 <= 32767 (each lane's |sum| must stay below 2^15). */
export function quantLevels(d: number): number {
  return Math.floor(Math.sqrt(32767 / (3 * Math.max(d, 1))));
}

export interface QuantizedTraining {
  d: number;
  /** Scale: x ~ s * x~. */
  s: number;
  levels: number;
  /** Training rows padded to a multiple of 6; rows >= n are padding. */
  nPad: number;
  /** Packed features per row: d + 1 (the last one ||x~||^2). */
  dq: number;
  /** Groups of three rows packed per feature, two groups interleaved: P[(t / 6) * 2 dq + 2j + g]. */
  packed: Float64Array;
  /** Upper bound of ||x - s x~|| over the training rows. */
  err: number;
}

/** Integer levels of v on scale s, clamped to [-L, L]. */
function level(v: number, s: number, L: number): number {
  return Math.max(-L, Math.min(L, Math.round(v / s)));
}

/**
 * The packed training rows (row-major Xr, n x d), or null when the data does not suit (non-finite
 * or extreme values, or too many features for useful levels).
 */
export function quantizeTraining(Xr: Float64Array, n: number, d: number): QuantizedTraining | null {
  const L = quantLevels(d);
  if (L < 6 || n === 0) return null;
  let maxAbs = 0;
  for (let i = 0; i < n * d; i++) {
    const v = Math.abs(Xr[i]!);
    if (!Number.isFinite(v)) return null;
    if (v > maxAbs) maxAbs = v;
  }
  // extreme magnitudes (squares under- or overflowing) take the float scan
  if (maxAbs !== 0 && (maxAbs < 1e-100 || maxAbs > 1e100)) return null;
  const s = maxAbs > 0 ? maxAbs / L : 1;
  const nPad = Math.ceil(n / 6) * 6;
  const dq = d + 1;
  const packed = new Float64Array((nPad / 3) * dq);
  let err = 0;
  const add = (t: number, j: number, v: number): void => {
    const p = Math.floor(t / 6) * 2 * dq + 2 * j + Math.floor((t % 6) / 3);
    packed[p] = packed[p]! + v * (t % 3 === 0 ? 1 : t % 3 === 1 ? LANE : LANE2);
  };
  for (let t = 0; t < nPad; t++) {
    if (t >= n) {
      add(t, d, 3 * d * L * L); // padding: the largest lane value, rarely under a threshold
      continue;
    }
    let nn = 0;
    let e2 = 0;
    for (let j = 0; j < d; j++) {
      const x = Xr[t * d + j]!;
      const q = level(x, s, L);
      nn += q * q;
      const e = x - s * q;
      e2 += e * e;
      add(t, j, q);
    }
    add(t, d, nn);
    err = Math.max(err, Math.sqrt(e2));
  }
  return { d, s, levels: L, nPad, dq, packed, err: err * (1 + SLACK) };
}

export interface QuantizedQueries {
  /** -2 q~ and 1 (dq features), rows interleaved per feature in blocks of 4: Q[blk4 * dq + 4j + c]. */
  q: Float64Array;
  /** ||q~||^2 per row. */
  norm: Float64Array;
  /** ||q - s q~|| per row (slightly inflated). */
  err: Float64Array;
}

/** The queries (row-major Q, nqPad x d, nqPad a multiple of 4) on the training scale; null if unsuitable. */
export function quantizeQueries(Q: Float64Array, nqPad: number, t: QuantizedTraining): QuantizedQueries | null {
  const { d, dq, s, levels: L } = t;
  const q = new Float64Array(nqPad * dq);
  const norm = new Float64Array(nqPad);
  const err = new Float64Array(nqPad);
  for (let i = 0; i < nqPad; i++) {
    let nn = 0;
    let e2 = 0;
    for (let j = 0; j < d; j++) {
      const v = Q[i * d + j]!;
      if (!(Math.abs(v) <= 1e100)) return null; // NaN, infinite or huge: the float scan
      const l = level(v, s, L);
      nn += l * l;
      const e = v - s * l;
      e2 += e * e;
      q[(i & ~3) * dq + 4 * j + (i & 3)] = -2 * l;
    }
    q[(i & ~3) * dq + 4 * d + (i & 3)] = 1;
    norm[i] = nn;
    err[i] = Math.sqrt(e2) * (1 + SLACK);
  }
  return { q, norm, err };
}

/**
 * Threshold on a lane (||q~ - x~||^2 - ||q~||^2) below which a row may beat the k-th squared
 * distance `worst` (Infinity while fewer than k rows are known).
 */
export function threshold(worst: number, qErr: number, qNorm: number, t: QuantizedTraining): number {
  if (worst === Infinity) return Infinity;
  const r = (Math.sqrt(worst) * (1 + SLACK) + qErr + t.err) / t.s;
  return r * r * (1 + SLACK) + 1 - qNorm;
}

/** x + ROUND - ROUND rounds x to the nearest integer (|x| < 2^51, fraction never exactly 1/2). */
export const ROUND = 1.5 * 2 ** 52;

/**
 * Lane i (0, 1, 2) of a packed accumulator v. Each division leaves a fraction below 1/2 in
 * magnitude, so rounding recovers the lanes exactly (the scan inlines the same steps).
 */
export function lane(v: number, i: number): number {
  const s2 = v / LANE2 + ROUND - ROUND;
  if (i === 2) return s2;
  const r = v - s2 * LANE2;
  const s1 = r / LANE + ROUND - ROUND;
  return i === 1 ? s1 : r - s1 * LANE;
}
