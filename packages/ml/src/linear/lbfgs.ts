// L-BFGS for smooth unconstrained minimisation (the logistic regression objective). Stops like
// scipy's L-BFGS-B as scikit-learn calls it: max |gradient| <= gtol, or a relative decrease of the
// objective <= ftol, or maxIter iterations. The line search backtracks from a unit step
// (Armijo), and a pair is kept only when it has positive curvature.

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  iterations: number;
  converged: boolean;
}

export interface LbfgsOptions {
  maxIter: number;
  gtol: number;
  ftol?: number;
  memory?: number;
  /** Called after each iteration (progress, cancel); may throw to stop. */
  onIteration?: (iteration: number) => Promise<void> | void;
}

/** fg(x, grad) returns f(x) and writes the gradient into grad. */
export async function lbfgs(fg: (x: Float64Array, grad: Float64Array) => number, x0: Float64Array, opts: LbfgsOptions): Promise<LbfgsResult> {
  const n = x0.length;
  const m = opts.memory ?? 10;
  const ftol = opts.ftol ?? 2.220446049250313e-9;
  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  let f = fg(x, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const alphaBuf = new Float64Array(m);
  const dir = new Float64Array(n);
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);
  const maxAbs = (v: Float64Array) => {
    let r = 0;
    for (let i = 0; i < v.length; i++) r = Math.max(r, Math.abs(v[i]!));
    return r;
  };
  if (maxAbs(g) <= opts.gtol) return { x, f, iterations: 0, converged: true };

  let iter = 0;
  while (iter < opts.maxIter) {
    // Two-loop recursion: dir = -H g.
    for (let i = 0; i < n; i++) dir[i] = -g[i]!;
    const k = S.length;
    for (let t = k - 1; t >= 0; t--) {
      const s = S[t]!;
      let a = 0;
      for (let i = 0; i < n; i++) a += s[i]! * dir[i]!;
      a *= rho[t]!;
      alphaBuf[t] = a;
      const y = Y[t]!;
      for (let i = 0; i < n; i++) dir[i] = dir[i]! - a * y[i]!;
    }
    let gamma: number;
    if (k > 0) {
      const s = S[k - 1]!;
      const y = Y[k - 1]!;
      let sy = 0;
      let yy = 0;
      for (let i = 0; i < n; i++) {
        sy += s[i]! * y[i]!;
        yy += y[i]! * y[i]!;
      }
      gamma = sy / yy;
    } else {
      let gn = 0;
      for (let i = 0; i < n; i++) gn += g[i]! * g[i]!;
      gamma = 1 / Math.max(Math.sqrt(gn), 1e-300);
    }
    for (let i = 0; i < n; i++) dir[i] = dir[i]! * gamma;
    for (let t = 0; t < k; t++) {
      const y = Y[t]!;
      let b = 0;
      for (let i = 0; i < n; i++) b += y[i]! * dir[i]!;
      b *= rho[t]!;
      const s = S[t]!;
      const c = alphaBuf[t]! - b;
      for (let i = 0; i < n; i++) dir[i] = dir[i]! + c * s[i]!;
    }
    let slope = 0;
    for (let i = 0; i < n; i++) slope += g[i]! * dir[i]!;
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      let gn = 0;
      for (let i = 0; i < n; i++) gn += g[i]! * g[i]!;
      const sc = 1 / Math.max(Math.sqrt(gn), 1e-300);
      for (let i = 0; i < n; i++) dir[i] = -g[i]! * sc;
      slope = -Math.sqrt(gn);
    }
    // Backtracking line search (Armijo, c1 = 1e-4) from the unit step.
    let step = 1;
    let fNew = NaN;
    let accepted = false;
    for (let ls = 0; ls < 50; ls++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * dir[i]!;
      fNew = fg(xNew, gNew);
      if (Number.isFinite(fNew) && fNew <= f + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      // Quadratic interpolation of the step, kept within [0.1, 0.5] of the current one.
      const q = Number.isFinite(fNew) ? (-slope * step * step) / (2 * (fNew - f - slope * step)) : step * 0.1;
      step = Math.min(Math.max(q, 0.1 * step), 0.5 * step);
    }
    iter++;
    if (!accepted) break;
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    let sy = 0;
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i]! - x[i]!;
      y[i] = gNew[i]! - g[i]!;
      sy += s[i]! * y[i]!;
    }
    const fOld = f;
    x.set(xNew);
    g.set(gNew);
    f = fNew;
    if (sy > 0) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    await opts.onIteration?.(iter);
    if (maxAbs(g) <= opts.gtol) return { x, f, iterations: iter, converged: true };
    if ((fOld - f) / Math.max(Math.abs(fOld), Math.abs(f), 1) <= ftol) return { x, f, iterations: iter, converged: true };
  }
  return { x, f, iterations: iter, converged: false };
}
