// The C-SVC dual solved by SMO with libsvm's second-order working-set selection (Fan, Chen and
// Lin 2005, libsvm's Solver without shrinking): min 1/2 a^T Q a - e^T a, 0 <= a <= C,
// y^T a = 0, Q_ij = y_i y_j K(x_i, x_j). Kernel rows are computed on demand and kept in an LRU
// cache (like libsvm's cache_size).

export type KernelRow = (i: number, out: Float64Array) => void;

export interface SmoResult {
  alpha: Float64Array;
  rho: number;
  iterations: number;
}

const TAU = 1e-12;

class RowCache {
  private readonly rows = new Map<number, Float64Array>();
  constructor(
    private readonly l: number,
    private readonly capacity: number,
    private readonly compute: (i: number, out: Float64Array) => void,
  ) {}

  get(i: number): Float64Array {
    const hit = this.rows.get(i);
    if (hit) {
      this.rows.delete(i);
      this.rows.set(i, hit);
      return hit;
    }
    let buf: Float64Array;
    if (this.rows.size >= this.capacity) {
      const oldest = this.rows.keys().next().value as number;
      buf = this.rows.get(oldest)!;
      this.rows.delete(oldest);
    } else {
      buf = new Float64Array(this.l);
    }
    this.compute(i, buf);
    this.rows.set(i, buf);
    return buf;
  }
}

/**
 * y: +1/-1 per sample; kernelRow(i, out) writes K(x_i, x_t) for every t; diag[i] = K(x_i, x_i).
 * `yieldEvery` iterations, `pause()` is awaited (progress and cancel).
 */
export async function solveSmo(
  y: Int8Array,
  kernelRow: KernelRow,
  diag: Float64Array,
  C: number,
  eps: number,
  cacheBytes: number,
  pause: () => Promise<void>,
  yieldEvery = 2000,
): Promise<SmoResult> {
  const l = y.length;
  const alpha = new Float64Array(l);
  const G = new Float64Array(l).fill(-1);
  // Q rows: y_i y_t K_it.
  const cache = new RowCache(l, Math.max(2, Math.floor(cacheBytes / (8 * Math.max(l, 1)))), (i, out) => {
    kernelRow(i, out);
    const yi = y[i]!;
    for (let t = 0; t < l; t++) out[t] = yi * y[t]! * out[t]!;
  });
  const QD = diag;
  const maxIter = Math.max(10_000_000, l > Number.MAX_SAFE_INTEGER / 100 ? Number.MAX_SAFE_INTEGER : 100 * l);
  let iter = 0;
  while (iter < maxIter) {
    if (iter > 0 && iter % yieldEvery === 0) await pause();
    // Working set selection.
    let Gmax = -Infinity;
    let Gmax2 = -Infinity;
    let iSel = -1;
    let jSel = -1;
    let objDiffMin = Infinity;
    for (let t = 0; t < l; t++) {
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
    const Qi = iSel >= 0 ? cache.get(iSel) : null;
    for (let j = 0; j < l; j++) {
      if (y[j] === 1) {
        if (alpha[j]! > 0) {
          const gd = Gmax + G[j]!;
          if (G[j]! >= Gmax2) Gmax2 = G[j]!;
          if (gd > 0 && Qi) {
            const quad = QD[iSel]! + QD[j]! - 2 * y[iSel]! * Qi[j]!;
            const od = quad > 0 ? -(gd * gd) / quad : -(gd * gd) / TAU;
            if (od <= objDiffMin) {
              jSel = j;
              objDiffMin = od;
            }
          }
        }
      } else if (alpha[j]! < C) {
        const gd = Gmax - G[j]!;
        if (-G[j]! >= Gmax2) Gmax2 = -G[j]!;
        if (gd > 0 && Qi) {
          const quad = QD[iSel]! + QD[j]! + 2 * y[iSel]! * Qi[j]!;
          const od = quad > 0 ? -(gd * gd) / quad : -(gd * gd) / TAU;
          if (od <= objDiffMin) {
            jSel = j;
            objDiffMin = od;
          }
        }
      }
    }
    if (Gmax + Gmax2 < eps || jSel === -1 || !Qi) break;
    iter++;
    const i = iSel;
    const j = jSel;
    const Qj = cache.get(j);
    // cache.get(j) may have evicted i's row buffer only if capacity were 1; capacity >= 2.
    const oldAi = alpha[i]!;
    const oldAj = alpha[j]!;
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
    const dAi = alpha[i]! - oldAi;
    const dAj = alpha[j]! - oldAj;
    for (let t = 0; t < l; t++) G[t] = G[t]! + Qi[t]! * dAi + Qj[t]! * dAj;
  }

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
