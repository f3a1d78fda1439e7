// The C-SVC dual solved by SMO with libsvm's second-order working-set selection (Fan, Chen and
// Lin 2005) and libsvm's shrinking: min 1/2 a^T Q a - e^T a, 0 <= a <= C, y^T a = 0,
// Q_ij = y_i y_j K(x_i, x_j). Q rows are computed on demand, as floats (libsvm's Qfloat), and kept
// in an LRU cache (like libsvm's cache_size).
//
// Shrinking (libsvm's Solver): every min(l, 1000) iterations the variables stuck at a bound that
// cannot be chosen again leave the active set, so selection, gradient updates and new Q rows only
// cover the active ones; G_bar (the gradient part of the variables at the upper bound) rebuilds the
// full gradient before the final optimality check.

/**
 * qRow(i, out, idx, count) writes Q_it = y_i y_t K(x_i, x_t) into out[t] for t = idx[0..count).
 */
export type QRow = (i: number, out: Float32Array, idx: Int32Array, count: number) => void;

export interface SmoResult {
  alpha: Float64Array;
  rho: number;
  iterations: number;
}

const TAU = 1e-12;
/** cover[] value of a row computed for every index (valid whatever the active set). */
const FULL = -2;

/**
 * LRU cache of Q rows. A row computed over the active set of epoch e is valid while the epoch
 * lasts (the active set only shrinks within an epoch); unshrinking starts a new epoch. A full row
 * asked of a row valid on the active set only computes the rest (like libsvm's partial rows).
 */
class RowCache {
  private readonly rows = new Map<number, Float32Array>();
  /** Per index: FULL, the epoch its cached row covers, or -1 (not cached). */
  private readonly cover: Int32Array;
  private readonly all: Int32Array;
  epoch = 0;
  constructor(
    private readonly l: number,
    private readonly capacity: number,
    private readonly compute: QRow,
  ) {
    this.cover = new Int32Array(l).fill(-1);
    this.all = new Int32Array(l);
    for (let t = 0; t < l; t++) this.all[t] = t;
  }

  /**
   * Row i, valid at least on the active set act[0..nAct) (on every index when full, or when
   * nAct = l); rest[0..nRest) are the other indices.
   */
  get(i: number, act: Int32Array, nAct: number, rest: Int32Array, nRest: number, full: boolean): Float32Array {
    const c = this.cover[i]!;
    let buf = this.rows.get(i);
    if (buf) {
      this.rows.delete(i);
      this.rows.set(i, buf);
      if (c === FULL || (!full && c === this.epoch)) return buf;
      if (c === this.epoch) {
        this.compute(i, buf, rest, nRest);
        this.cover[i] = FULL;
        return buf;
      }
    } else {
      if (this.rows.size >= this.capacity) {
        const oldest = this.rows.keys().next().value as number;
        buf = this.rows.get(oldest)!;
        this.rows.delete(oldest);
        this.cover[oldest] = -1;
      } else buf = new Float32Array(this.l);
      this.rows.set(i, buf);
    }
    if (full || nAct === this.l) {
      this.compute(i, buf, this.all, this.l);
      this.cover[i] = FULL;
    } else {
      this.compute(i, buf, act, nAct);
      this.cover[i] = this.epoch;
    }
    return buf;
  }
}

/**
 * y: +1/-1 per sample; qRow as above; diag[i] = Q_ii = K(x_i, x_i).
 * `yieldEvery` iterations, `pause()` is awaited (progress and cancel).
 */
export async function solveSmo(y: Int8Array, qRow: QRow, diag: Float64Array, C: number, eps: number, cacheBytes: number, pause: () => Promise<void>, yieldEvery = 2000): Promise<SmoResult> {
  const l = y.length;
  const alpha = new Float64Array(l);
  const G = new Float64Array(l).fill(-1);
  const Gbar = new Float64Array(l);
  const cache = new RowCache(l, Math.max(2, Math.floor(cacheBytes / (4 * Math.max(l, 1)))), qRow);
  const QD = diag;
  // the active set, in index order (ties in the selection resolve as without shrinking)
  const act = new Int32Array(l);
  for (let t = 0; t < l; t++) act[t] = t;
  let nAct = l;
  const active = new Uint8Array(l).fill(1);
  // the inactive indices, in index order
  const rest = new Int32Array(l);
  let nRest = 0;
  let unshrink = false;
  const row = (i: number, full: boolean): Float32Array => cache.get(i, act, nAct, rest, nRest, full);

  /** Rebuilds G of the inactive variables from G_bar and the free ones (libsvm's reconstruct_gradient). */
  const reconstruct = (): void => {
    if (nAct === l) return;
    let nFree = 0;
    for (let c = 0; c < nAct; c++) {
      const t = act[c]!;
      if (alpha[t]! > 0 && alpha[t]! < C) nFree++;
    }
    for (let c = 0; c < nRest; c++) G[rest[c]!] = Gbar[rest[c]!]! - 1;
    if (nFree * l > 2 * nAct * (l - nAct)) {
      // one row per inactive variable, over the active set
      for (let r = 0; r < nRest; r++) {
        const i = rest[r]!;
        const Qi = row(i, false);
        let g = G[i]!;
        for (let c = 0; c < nAct; c++) {
          const t = act[c]!;
          if (alpha[t]! > 0 && alpha[t]! < C) g += alpha[t]! * Qi[t]!;
        }
        G[i] = g;
      }
    } else {
      // one full row per free variable
      for (let c = 0; c < nAct; c++) {
        const i = act[c]!;
        const ai = alpha[i]!;
        if (!(ai > 0 && ai < C)) continue;
        const Qi = row(i, true);
        for (let r = 0; r < nRest; r++) G[rest[r]!] = G[rest[r]!]! + ai * Qi[rest[r]!]!;
      }
    }
  };

  const activateAll = (): void => {
    reconstruct();
    for (let t = 0; t < l; t++) act[t] = t;
    nAct = l;
    nRest = 0;
    active.fill(1);
    cache.epoch++;
  };

  /** A variable at a bound whose gradient keeps it there (libsvm's be_shrunk). */
  const beShrunk = (t: number, Gmax1: number, Gmax2: number): boolean => {
    const a = alpha[t]!;
    if (a >= C) return y[t] === 1 ? -G[t]! > Gmax1 : -G[t]! > Gmax2;
    if (a <= 0) return y[t] === 1 ? G[t]! > Gmax2 : G[t]! > Gmax1;
    return false;
  };

  const doShrinking = (): void => {
    let Gmax1 = -Infinity; // max { -y_i grad_i | i in I_up }
    let Gmax2 = -Infinity; // max { y_i grad_i | i in I_low }
    for (let c = 0; c < nAct; c++) {
      const t = act[c]!;
      const g = G[t]!;
      const up = alpha[t]! < C;
      const low = alpha[t]! > 0;
      if (y[t] === 1) {
        if (up && -g >= Gmax1) Gmax1 = -g;
        if (low && g >= Gmax2) Gmax2 = g;
      } else {
        if (up && -g >= Gmax2) Gmax2 = -g;
        if (low && g >= Gmax1) Gmax1 = g;
      }
    }
    // near the end, take everything back once (the shrunk gradients may be stale by now)
    if (!unshrink && Gmax1 + Gmax2 <= eps * 10) {
      unshrink = true;
      activateAll();
    }
    let kept = 0;
    for (let c = 0; c < nAct; c++) {
      const t = act[c]!;
      if (beShrunk(t, Gmax1, Gmax2)) active[t] = 0;
      else act[kept++] = t;
    }
    if (kept === nAct) return;
    nAct = kept;
    nRest = 0;
    for (let t = 0; t < l; t++) if (!active[t]) rest[nRest++] = t;
  };

  /** libsvm's select_working_set over the active set: [i, j, Q row of i], or null when optimal. */
  const select = (): [number, number, Float32Array] | null => {
    let Gmax = -Infinity;
    let Gmax2 = -Infinity;
    let iSel = -1;
    let jSel = -1;
    let objDiffMin = Infinity;
    for (let c = 0; c < nAct; c++) {
      const t = act[c]!;
      if (y[t] === 1) {
        if (alpha[t]! < C && -G[t]! >= Gmax) {
          Gmax = -G[t]!;
          iSel = t;
        }
      } else if (alpha[t]! > 0 && G[t]! >= Gmax) {
        Gmax = G[t]!;
        iSel = t;
      }
    }
    const Qi = iSel >= 0 ? row(iSel, false) : null;
    const qdi = iSel >= 0 ? QD[iSel]! : 0;
    const yi = iSel >= 0 ? y[iSel]! : 0;
    for (let c = 0; c < nAct; c++) {
      const j = act[c]!;
      const gj = G[j]!;
      if (y[j] === 1) {
        if (alpha[j]! > 0) {
          const gd = Gmax + gj;
          if (gj >= Gmax2) Gmax2 = gj;
          if (gd > 0 && Qi) {
            const quad = qdi + QD[j]! - 2 * yi * Qi[j]!;
            const od = quad > 0 ? -(gd * gd) / quad : -(gd * gd) / TAU;
            if (od <= objDiffMin) {
              jSel = j;
              objDiffMin = od;
            }
          }
        }
      } else if (alpha[j]! < C) {
        const gd = Gmax - gj;
        if (-gj >= Gmax2) Gmax2 = -gj;
        if (gd > 0 && Qi) {
          const quad = qdi + QD[j]! + 2 * yi * Qi[j]!;
          const od = quad > 0 ? -(gd * gd) / quad : -(gd * gd) / TAU;
          if (od <= objDiffMin) {
            jSel = j;
            objDiffMin = od;
          }
        }
      }
    }
    if (Gmax + Gmax2 < eps || jSel === -1 || !Qi) return null;
    return [iSel, jSel, Qi];
  };

  const maxIter = Math.max(10_000_000, l > Number.MAX_SAFE_INTEGER / 100 ? Number.MAX_SAFE_INTEGER : 100 * l);
  let iter = 0;
  let counter = Math.min(l, 1000) + 1;
  while (iter < maxIter) {
    if (iter > 0 && iter % yieldEvery === 0) await pause();
    if (--counter === 0) {
      counter = Math.min(l, 1000);
      doShrinking();
    }
    let ws = select();
    if (!ws) {
      // optimal on the active set: check again with every variable
      activateAll();
      ws = select();
      if (!ws) break;
      counter = 1; // shrink again at the next iteration
    }
    iter++;
    const [i, j, Qi] = ws;
    const Qj = row(j, false);
    // cache.get(j) cannot evict i's row: it was just used and capacity >= 2.
    const oldAi = alpha[i]!;
    const oldAj = alpha[j]!;
    updatePair(alpha, G, QD, Qi, y, i, j, C);
    const dAi = alpha[i]! - oldAi;
    const dAj = alpha[j]! - oldAj;
    for (let c = 0; c < nAct; c++) {
      const t = act[c]!;
      G[t] = G[t]! + Qi[t]! * dAi + Qj[t]! * dAj;
    }
    // G_bar follows the variables entering or leaving the upper bound
    if (oldAi >= C !== alpha[i]! >= C) addRow(Gbar, row(i, true), oldAi >= C ? -C : C);
    if (oldAj >= C !== alpha[j]! >= C) addRow(Gbar, row(j, true), oldAj >= C ? -C : C);
  }
  if (nAct < l) activateAll();

  // rho: the average of y_i G_i over free vectors, else the middle of the feasible interval.
  let nFree = 0;
  let sumFree = 0;
  let ub = Infinity;
  let lb = -Infinity;
  for (let t = 0; t < l; t++) {
    const yG = y[t]! * G[t]!;
    if (alpha[t]! >= C) {
      if (y[t] === -1) ub = Math.min(ub, yG);
      else lb = Math.max(lb, yG);
    } else if (alpha[t]! <= 0) {
      if (y[t] === 1) ub = Math.min(ub, yG);
      else lb = Math.max(lb, yG);
    } else {
      nFree++;
      sumFree += yG;
    }
  }
  const rho = nFree > 0 ? sumFree / nFree : (ub + lb) / 2;
  return { alpha, rho, iterations: iter };
}

/** Gbar += s * Q row (every index). */
function addRow(Gbar: Float64Array, Qi: Float32Array, s: number): void {
  for (let t = 0; t < Gbar.length; t++) Gbar[t] = Gbar[t]! + s * Qi[t]!;
}

/** The two-variable subproblem of (i, j) solved and clipped to the box (libsvm's update). */
function updatePair(alpha: Float64Array, G: Float64Array, QD: Float64Array, Qi: Float32Array, y: Int8Array, i: number, j: number, C: number): void {
  if (y[i] !== y[j]) {
    let quad = QD[i]! + QD[j]! + 2 * Qi[j]!;
    if (quad <= 0) quad = TAU;
    const delta = (-G[i]! - G[j]!) / quad;
    const diff = alpha[i]! - alpha[j]!;
    alpha[i] = alpha[i]! + delta;
    alpha[j] = alpha[j]! + delta;
    if (diff > 0) {
      if (alpha[j]! < 0) {
        alpha[j] = 0;
        alpha[i] = diff;
      }
    } else if (alpha[i]! < 0) {
      alpha[i] = 0;
      alpha[j] = -diff;
    }
    if (diff > 0) {
      if (alpha[i]! > C) {
        alpha[i] = C;
        alpha[j] = C - diff;
      }
    } else if (alpha[j]! > C) {
      alpha[j] = C;
      alpha[i] = C + diff;
    }
  } else {
    let quad = QD[i]! + QD[j]! - 2 * Qi[j]!;
    if (quad <= 0) quad = TAU;
    const delta = (G[i]! - G[j]!) / quad;
    const sum = alpha[i]! + alpha[j]!;
    alpha[i] = alpha[i]! - delta;
    alpha[j] = alpha[j]! + delta;
    if (sum > C) {
      if (alpha[i]! > C) {
        alpha[i] = C;
        alpha[j] = sum - C;
      }
    } else if (alpha[j]! < 0) {
      alpha[j] = 0;
      alpha[i] = sum;
    }
    if (sum > C) {
      if (alpha[j]! > C) {
        alpha[j] = C;
        alpha[i] = sum - C;
      }
    } else if (alpha[i]! < 0) {
      alpha[i] = 0;
      alpha[j] = sum;
    }
  }
}
