// The shared tree engine for decision_tree, random_forest and gradient_boosting: features are
// binned once (<= 256 uint8 codes per feature), each node keeps per-feature histograms of its
// rows, the smaller child's histogram is built from its rows and the larger one's is the parent's
// minus it (the subtraction trick). With <= 256 distinct values a feature's bins are its distinct
// values, so splits are exact (thresholds are midpoints, as in scikit-learn); beyond that the cut
// points are quantiles.
//
// Fitted trees are stored flat (see FlatTrees) so a forest is a handful of typed arrays.

import type { Matrix } from "../core/matrix.js";
import type { Random } from "../core/random.js";
import { binColumn } from "./binning.js";

export const MAX_BINS = 256;

export interface Binned {
  rows: number;
  cols: number;
  /** Column-major bin codes: code <= b  <=>  x <= thresholds[f][b]. */
  codes: Uint8Array;
  nBins: Int32Array;
  thresholds: Float64Array[];
}

export function binMatrix(X: Matrix, maxBins = MAX_BINS): Binned {
  if (maxBins > MAX_BINS) throw new Error(`maxBins must be <= ${MAX_BINS}`);
  const n = X.rows;
  const d = X.cols;
  const codes = new Uint8Array(n * d);
  const nBins = new Int32Array(d);
  const thresholds: Float64Array[] = [];
  for (let j = 0; j < d; j++) {
    const t = binColumn(X.data.subarray(j * n, (j + 1) * n), maxBins, codes.subarray(j * n, (j + 1) * n));
    thresholds.push(t);
    nBins[j] = t.length + 1;
  }
  return { rows: n, cols: d, codes, nBins, thresholds };
}

// ---------------------------------------------------------------------------------------------
// Flat storage. Per tree t: nodes nodeOffset[t]..nodeOffset[t+1], leaves leafOffset[t]..; a node
// with feature[k] >= 0 goes left (tree-local node left[k]) when x[feature] <= threshold[k], else
// to left[k] + 1 (children are allocated in pairs); a leaf has feature -1 and left[k] = its
// tree-local leaf index; a leaf's nOut values are value[(leafOffset[t] + leaf) * nOut ..].

export interface FlatTrees {
  nTrees: number;
  nOut: number;
  nodeOffset: Int32Array;
  leafOffset: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  value: Float64Array;
}

class GrowI32 {
  a = new Int32Array(256);
  n = 0;
  push(v: number): number {
    if (this.n === this.a.length) {
      const b = new Int32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n] = v;
    return this.n++;
  }
  view(): Int32Array {
    return this.a.subarray(0, this.n);
  }
}

class GrowF64 {
  a = new Float64Array(256);
  n = 0;
  push(v: number): number {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n] = v;
    return this.n++;
  }
  view(): Float64Array {
    return this.a.subarray(0, this.n);
  }
}

export class TreesBuilder {
  readonly feature = new GrowI32();
  readonly threshold = new GrowF64();
  readonly left = new GrowI32();
  /** Fit-time only: the split's bin (traversal over the binned training data). */
  readonly binThr = new GrowI32();
  readonly value = new GrowF64();
  readonly nodeOffset: number[] = [0];
  readonly leafOffset: number[] = [0];
  constructor(readonly nOut: number) {}

  get nodeBase(): number {
    return this.nodeOffset[this.nodeOffset.length - 1]!;
  }
  get leafBase(): number {
    return this.leafOffset[this.leafOffset.length - 1]!;
  }
  /** Allocates n nodes of the current tree, returns the first's tree-local index. */
  alloc(n: number): number {
    const first = this.feature.n - this.nodeBase;
    for (let i = 0; i < n; i++) {
      this.feature.push(-1);
      this.threshold.push(0);
      this.left.push(0);
      this.binThr.push(0);
    }
    return first;
  }
  split(node: number, f: number, thr: number, bin: number, leftChild: number): void {
    const k = this.nodeBase + node;
    this.feature.a[k] = f;
    this.threshold.a[k] = thr;
    this.binThr.a[k] = bin;
    this.left.a[k] = leftChild;
  }
  /** Makes `node` a leaf; push its nOut values right after. Returns the global value offset. */
  leaf(node: number): number {
    const k = this.nodeBase + node;
    this.feature.a[k] = -1;
    const leafLocal = this.value.n / this.nOut - this.leafBase;
    this.left.a[k] = leafLocal;
    return this.value.n;
  }
  endTree(): void {
    this.nodeOffset.push(this.feature.n);
    this.leafOffset.push(this.value.n / this.nOut);
  }
  /** Leaf value offset (global, into value) of each binned training row for tree t. */
  applyBinned(t: number, binned: Binned, out: Int32Array): void {
    const nb = this.nodeOffset[t]!;
    const lb = this.leafOffset[t]!;
    const feature = this.feature.a;
    const left = this.left.a;
    const bt = this.binThr.a;
    const codes = binned.codes;
    const n = binned.rows;
    for (let i = 0; i < n; i++) {
      let k = nb;
      let f: number;
      while ((f = feature[k]!) >= 0) k = nb + (codes[f * n + i]! <= bt[k]! ? left[k]! : left[k]! + 1);
      out[i] = (lb + left[k]!) * this.nOut;
    }
  }
  /** The compact form for the model's state (see PackedTrees). */
  pack(binned: Binned): PackedTrees {
    const { threshold: _t, ...rest } = this.finish();
    void _t;
    const edgeOffset = new Int32Array(binned.cols + 1);
    for (let f = 0; f < binned.cols; f++) edgeOffset[f + 1] = edgeOffset[f]! + binned.thresholds[f]!.length;
    const edges = new Float64Array(edgeOffset[binned.cols]!);
    for (let f = 0; f < binned.cols; f++) edges.set(binned.thresholds[f]!, edgeOffset[f]!);
    const bin = new Uint8Array(this.binThr.n);
    bin.set(this.binThr.view());
    return { ...rest, bin, edges, edgeOffset };
  }
  finish(): FlatTrees {
    return {
      nTrees: this.nodeOffset.length - 1,
      nOut: this.nOut,
      nodeOffset: Int32Array.from(this.nodeOffset),
      leafOffset: Int32Array.from(this.leafOffset),
      feature: this.feature.view().slice(),
      threshold: this.threshold.view().slice(),
      left: this.left.view().slice(),
      value: this.value.view().slice(),
    };
  }
}

/** For each row of X, the offset into trees.value of its leaf in tree t. */
export function applyTree(trees: FlatTrees, t: number, X: Matrix, out: Int32Array): void {
  const nb = trees.nodeOffset[t]!;
  const lb = trees.leafOffset[t]!;
  const { feature, threshold, left, nOut } = trees;
  const data = X.data;
  const n = X.rows;
  for (let i = 0; i < n; i++) {
    let k = nb;
    let f: number;
    while ((f = feature[k]!) >= 0) k = nb + (data[f * n + i]! <= threshold[k]! ? left[k]! : left[k]! + 1);
    out[i] = (lb + left[k]!) * nOut;
  }
}

/**
 * The saved form of FlatTrees: a split's threshold is stored as its bin (one byte) into the
 * per-feature cut points edges[edgeOffset[f] .. edgeOffset[f+1]) (the same doubles the split was
 * chosen with), so a node costs 9 bytes (feature, bin, left) plus its leaf values.
 */
export interface PackedTrees {
  nTrees: number;
  nOut: number;
  nodeOffset: Int32Array;
  leafOffset: Int32Array;
  feature: Int32Array;
  bin: Uint8Array;
  left: Int32Array;
  value: Float64Array;
  edges: Float64Array;
  edgeOffset: Int32Array;
}

/** Validates a (decoded) PackedTrees and expands the thresholds for prediction. */
export function unpackTrees(p: PackedTrees, nFeatures: number): FlatTrees {
  const bad = (): never => {
    throw new Error("invalid tree state");
  };
  if (
    !p ||
    !(p.bin instanceof Uint8Array) ||
    !(p.edges instanceof Float64Array) ||
    !(p.edgeOffset instanceof Int32Array) ||
    !(p.feature instanceof Int32Array) ||
    p.edgeOffset.length !== nFeatures + 1 ||
    p.edgeOffset[0] !== 0 ||
    p.edgeOffset[nFeatures] !== p.edges.length ||
    p.bin.length !== p.feature.length
  ) {
    bad();
  }
  for (let f = 0; f < nFeatures; f++) if (p.edgeOffset[f + 1]! < p.edgeOffset[f]!) bad();
  const threshold = new Float64Array(p.feature.length);
  for (let k = 0; k < p.feature.length; k++) {
    const f = p.feature[k]!;
    if (f < 0) continue;
    if (f >= nFeatures) bad();
    const b = p.bin[k]!;
    if (b >= p.edgeOffset[f + 1]! - p.edgeOffset[f]!) bad();
    threshold[k] = p.edges[p.edgeOffset[f]! + b]!;
  }
  const { nTrees, nOut, nodeOffset, leafOffset, feature, left, value } = p;
  return checkTrees({ nTrees, nOut, nodeOffset, leafOffset, feature, threshold, left, value }, nFeatures);
}

/** Checks a decoded state's tree arrays are consistent (loading never trusts a document). */
export function checkTrees(t: FlatTrees, nFeatures: number): FlatTrees {
  const ok =
    t.nodeOffset instanceof Int32Array &&
    t.leafOffset instanceof Int32Array &&
    t.feature instanceof Int32Array &&
    t.threshold instanceof Float64Array &&
    t.left instanceof Int32Array &&
    t.value instanceof Float64Array &&
    Number.isInteger(t.nTrees) &&
    Number.isInteger(t.nOut) &&
    t.nodeOffset.length === t.nTrees + 1 &&
    t.leafOffset.length === t.nTrees + 1 &&
    t.feature.length === t.threshold.length &&
    t.feature.length === t.left.length &&
    t.nodeOffset[t.nTrees] === t.feature.length &&
    t.leafOffset[t.nTrees]! * t.nOut === t.value.length;
  if (!ok) throw new Error("invalid tree state");
  for (let tr = 0; tr < t.nTrees; tr++) {
    const nb = t.nodeOffset[tr]!;
    const nNodes = t.nodeOffset[tr + 1]! - nb;
    const nLeaves = t.leafOffset[tr + 1]! - t.leafOffset[tr]!;
    for (let k = 0; k < nNodes; k++) {
      const f = t.feature[nb + k]!;
      const l = t.left[nb + k]!;
      // children come after their parent, so traversal always terminates
      if (f >= 0 ? f >= nFeatures || l <= k || l + 1 >= nNodes : f !== -1 || l < 0 || l >= nLeaves) {
        throw new Error(`invalid tree state (tree ${tr}, node ${k})`);
      }
    }
  }
  return t;
}

// ---------------------------------------------------------------------------------------------

export type Criterion = "gini" | "entropy" | "squared_error";

export interface GrowOptions {
  criterion: Criterion;
  /** Classification: number of classes (regression: ignored). */
  nClasses: number;
  maxDepth: number;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  /** Features drawn per node (>= cols: all, no randomness). */
  maxFeatures: number;
  /** Regression: rows carry weights (bootstrap counts); unweighted histograms skip that channel. */
  weighted?: boolean;
}

/** Nodes with fewer rows than this search splits by sorting their rows' bin codes (no histograms). */
const SMALL_NODE = 128;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Whether rows[0..n) is 0, 1, ..., n - 1. */
function isIdentity(rows: Int32Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (rows[i] !== i) return false;
  return true;
}

/** One row in the K = 2 histogram block at o: bin code's [count, sum] += [1, g]. */
function bump(h: Float64Array, o: number, code: number, g: number): void {
  const p = o + (code << 1);
  h[p]! += 1;
  h[p + 1]! += g;
}

interface Entry {
  node: number;
  start: number;
  end: number;
  depth: number;
  /** Histograms and per-feature occupied bin ranges; null for small nodes. */
  hist: Float64Array | null;
  lo: Int32Array | null;
  hi: Int32Array | null;
  tot: Float64Array;
  /** Regression: sum of w (y - mean)^2 over the node's rows if already known (else NaN). */
  v: number;
}

export class Grower {
  private readonly K: number;
  private readonly off: Int32Array;
  private readonly histSize: number;
  private readonly pool: Float64Array[] = [];
  private readonly perm: Int32Array;
  private readonly classification: boolean;
  private readonly gini: boolean;
  private readonly keys = new Uint32Array(SMALL_NODE);
  /** K = 2 only: the bin codes row-major, each row padded to dPad bytes (whole 32-bit words). */
  private readonly dPad: number = 0;
  private words: Uint32Array | null = null;
  /** K = 2: the count channel of a histogram over all rows (sum channel 0), once built. */
  private allCounts: Float64Array | null = null;
  private wyBuf = new Float64Array(0);
  private tmp = new Int32Array(0);
  private gw = new Float64Array(0);
  private gy = new Float64Array(0);
  private gc = new Int32Array(0);
  private ones = new Float64Array(0);
  // the current split search
  private bestF = -1;
  private bestB = -1;
  private bestScore = -Infinity;
  private readonly bestLeft: Float64Array;
  private readonly left: Float64Array;

  constructor(
    private readonly binned: Binned,
    private readonly opt: GrowOptions,
  ) {
    this.classification = opt.criterion !== "squared_error";
    this.gini = opt.criterion === "gini";
    // channels: classification [count, weight of class 0..C-1]; regression [count, sum w*y(, sum w)]
    this.K = this.classification ? 1 + opt.nClasses : opt.weighted ? 3 : 2;
    this.off = new Int32Array(binned.cols);
    let s = 0;
    if (!this.classification && this.K === 2 && LITTLE_ENDIAN) {
      // row-major path (see buildRowMajor): a fixed 256-bin stride per feature, and room for the
      // padding columns that round a row up to whole 32-bit words
      this.dPad = (binned.cols + 3) & ~3;
      for (let f = 0; f < binned.cols; f++) this.off[f] = f * 2 * MAX_BINS;
      s = this.dPad * 2 * MAX_BINS;
    } else {
      for (let f = 0; f < binned.cols; f++) {
        this.off[f] = s;
        s += binned.nBins[f]! * this.K;
      }
    }
    this.histSize = s;
    this.perm = new Int32Array(binned.cols);
    for (let f = 0; f < binned.cols; f++) this.perm[f] = f;
    this.bestLeft = new Float64Array(this.K);
    this.left = new Float64Array(this.K);
  }

  private acquire(): Float64Array {
    return this.pool.pop() ?? new Float64Array(this.histSize);
  }

  /** Node score such that (children's scores - parent's score) is the weighted impurity decrease. */
  private score(h: Float64Array, base: number, w: number): number {
    const K = this.K;
    if (!this.classification) return (h[base + 1]! * h[base + 1]!) / w;
    let s = 0;
    if (this.gini) {
      for (let c = 1; c < K; c++) s += h[base + c]! * h[base + c]!;
      return s / w;
    }
    for (let c = 1; c < K; c++) {
      const v = h[base + c]!;
      if (v > 0) s += v * Math.log(v);
    }
    return s - w * Math.log(w);
  }

  /** Sum of the children's scores for left stats `left` (channels as in the histograms); -Infinity if a side is empty. */
  private splitScore(left: Float64Array, tot: Float64Array, wTot: number): number {
    const K = this.K;
    if (this.classification) {
      let wL = 0;
      for (let c = 1; c < K; c++) wL += left[c]!;
      const wR = wTot - wL;
      if (wL <= 0 || wR <= 0) return -Infinity;
      if (this.gini) {
        let sl = 0;
        let sr = 0;
        for (let c = 1; c < K; c++) {
          const l = left[c]!;
          const r = tot[c]! - l;
          sl += l * l;
          sr += r * r;
        }
        return sl / wL + sr / wR;
      }
      let s = -wL * Math.log(wL) - wR * Math.log(wR);
      for (let c = 1; c < K; c++) {
        const l = left[c]!;
        const r = tot[c]! - l;
        if (l > 0) s += l * Math.log(l);
        if (r > 0) s += r * Math.log(r);
      }
      return s;
    }
    const wL = K === 3 ? left[2]! : left[0]!;
    const wR = wTot - wL;
    if (wL <= 0 || wR <= 0) return -Infinity;
    const sL = left[1]!;
    const sR = tot[1]! - sL;
    return (sL * sL) / wL + (sR * sR) / wR;
  }

  private weightOf(t: Float64Array, base: number): number {
    if (!this.classification) return this.K === 3 ? t[base + 2]! : t[base]!;
    let w = 0;
    for (let c = 1; c < this.K; c++) w += t[base + c]!;
    return w;
  }

  /**
   * Adds rows[start..end) into h over each feature's bins lo..hi (zeroed first). Returns the sum
   * of wy over the rows in their order (as rootTotals sums it) on the K = 2 row-major path, else NaN.
   */
  private build(h: Float64Array, rows: Int32Array, start: number, end: number, lo: Int32Array, hi: Int32Array, w: Float64Array | null, yc: Int32Array | null, wy: Float64Array | null): number {
    const { codes, rows: n, cols } = this.binned;
    const K = this.K;
    const m = end - start;
    if (this.dPad > 0) {
      return this.buildRowMajor(h, rows, start, m, lo, hi, wy!);
    }
    // gather the node's per-row statistics once (not once per feature)
    if (this.gw.length < m) {
      this.gw = new Float64Array(n);
      this.gy = new Float64Array(n);
      this.gc = new Int32Array(n);
    }
    const gw = this.gw;
    const gy = this.gy;
    const gc = this.gc;
    if (yc) {
      for (let i = 0; i < m; i++) {
        const r = rows[start + i]!;
        gc[i] = 1 + yc[r]!;
        gw[i] = w ? w[r]! : 1;
      }
    } else {
      for (let i = 0; i < m; i++) {
        const r = rows[start + i]!;
        gw[i] = w![r]!;
        gy[i] = wy![r]!;
      }
    }
    for (let f = 0; f < cols; f++) {
      const o = this.off[f]!;
      h.fill(0, o + lo[f]! * K, o + (hi[f]! + 1) * K);
      const co = f * n;
      if (yc) {
        for (let i = 0; i < m; i++) {
          const p = o + codes[co + rows[start + i]!]! * K;
          h[p]! += 1;
          h[p + gc[i]!]! += gw[i]!;
        }
      } else if (K === 3) {
        for (let i = 0; i < m; i++) {
          const p = o + codes[co + rows[start + i]!]! * 3;
          h[p]! += 1;
          h[p + 1]! += gy[i]!;
          h[p + 2]! += gw[i]!;
        }
      } else {
        for (let i = 0; i < m; i++) {
          const p = o + codes[co + rows[start + i]!]! * 2;
          h[p]! += 1;
          h[p + 1]! += gy[i]!;
        }
      }
    }
    return NaN;
  }

  /**
   * The K = 2 histograms ([count, sum y] per bin) from the row-major codes: one row's codes are
   * dPad / 4 contiguous words, four features per load (about 3x faster than a column-major pass
   * per feature through the row index). Padding columns land in the unused last blocks.
   */
  private buildRowMajor(h: Float64Array, rows: Int32Array, start: number, m: number, lo: Int32Array, hi: Int32Array, wy: Float64Array): number {
    const { codes, rows: n, cols } = this.binned;
    const dPad = this.dPad;
    let words = this.words;
    if (!words) {
      const rm = new Uint8Array(n * dPad);
      for (let f = 0; f < cols; f++) {
        const co = f * n;
        for (let i = 0; i < n; i++) rm[i * dPad + f] = codes[co + i]!;
      }
      words = this.words = new Uint32Array(rm.buffer);
    }
    // Every row (a root without subsampling): the counts are the same each time, so after the
    // first build only the sums are added (about a third fewer histogram updates per tree).
    const allRows = start === 0 && m === n && isIdentity(rows, n);
    if (allRows && this.allCounts) {
      h.set(this.allCounts);
      return this.addSums(h, rows, m, wy);
    }
    for (let f = 0; f < cols; f++) {
      const o = this.off[f]!;
      h.fill(0, o + lo[f]! * 2, o + (hi[f]! + 1) * 2);
    }
    const sum = this.addRows(h, rows, start, m, wy);
    if (allRows) {
      const c = h.slice();
      for (let p = 1; p < c.length; p += 2) c[p] = 0;
      this.allCounts = c;
    }
    return sum;
  }

  /**
   * [count, sum] += [1, wy[r]] for rows[start..start+m) into the K = 2 histograms (row-major
   * codes). Returns the sum of wy over these rows in order: the serial additions ride along with
   * the histogram updates instead of a latency-bound pass of their own.
   */
  private addRows(h: Float64Array, rows: Int32Array, start: number, m: number, wy: Float64Array): number {
    const words = this.words!;
    const dPad = this.dPad;
    const nw = dPad >> 2;
    const end = start + m;
    const stop = dPad << 9;
    let i = start;
    let sum = 0;
    // four rows per iteration: their updates are independent, so the CPU overlaps the histogram
    // loads and stores (faster than one row at a time)
    for (; i + 4 <= end; i += 4) {
      const r0 = rows[i]!;
      const r1 = rows[i + 1]!;
      const r2 = rows[i + 2]!;
      const r3 = rows[i + 3]!;
      const g0 = wy[r0]!;
      const g1 = wy[r1]!;
      const g2 = wy[r2]!;
      const g3 = wy[r3]!;
      sum = sum + g0 + g1 + g2 + g3;
      let b0 = r0 * nw;
      let b1 = r1 * nw;
      let b2 = r2 * nw;
      let b3 = r3 * nw;
      for (let o = 0; o < stop; o += 2048) {
        const w0 = words[b0++]!;
        const w1 = words[b1++]!;
        const w2 = words[b2++]!;
        const w3 = words[b3++]!;
        // byte k of a word is the feature of block o + 512 k
        bump(h, o, w0 & 255, g0);
        bump(h, o, w1 & 255, g1);
        bump(h, o, w2 & 255, g2);
        bump(h, o, w3 & 255, g3);
        bump(h, o + 512, (w0 >>> 8) & 255, g0);
        bump(h, o + 512, (w1 >>> 8) & 255, g1);
        bump(h, o + 512, (w2 >>> 8) & 255, g2);
        bump(h, o + 512, (w3 >>> 8) & 255, g3);
        bump(h, o + 1024, (w0 >>> 16) & 255, g0);
        bump(h, o + 1024, (w1 >>> 16) & 255, g1);
        bump(h, o + 1024, (w2 >>> 16) & 255, g2);
        bump(h, o + 1024, (w3 >>> 16) & 255, g3);
        bump(h, o + 1536, (w0 >>> 24) & 255, g0);
        bump(h, o + 1536, (w1 >>> 24) & 255, g1);
        bump(h, o + 1536, (w2 >>> 24) & 255, g2);
        bump(h, o + 1536, (w3 >>> 24) & 255, g3);
      }
    }
    for (; i < end; i++) {
      const r = rows[i]!;
      const g = wy[r]!;
      sum += g;
      let b = r * nw;
      for (let o = 0; o < stop; o += 2048) {
        const w = words[b++]!;
        // byte sh / 8 of the word: block o + 512 (sh / 8)
        for (let sh = 0; sh < 32; sh += 8) bump(h, o + 64 * sh, (w >>> sh) & 255, g);
      }
    }
    return sum;
  }

  /** sum += wy[r] (counts untouched) for rows[0..m), as addRows (and returns the same total). */
  private addSums(h: Float64Array, rows: Int32Array, m: number, wy: Float64Array): number {
    const words = this.words!;
    const nw = this.dPad >> 2;
    const stop = this.dPad << 9;
    let i = 0;
    let sum = 0;
    for (; i + 4 <= m; i += 4) {
      const r0 = rows[i]!;
      const r1 = rows[i + 1]!;
      const r2 = rows[i + 2]!;
      const r3 = rows[i + 3]!;
      const g0 = wy[r0]!;
      const g1 = wy[r1]!;
      const g2 = wy[r2]!;
      const g3 = wy[r3]!;
      sum = sum + g0 + g1 + g2 + g3;
      let b0 = r0 * nw;
      let b1 = r1 * nw;
      let b2 = r2 * nw;
      let b3 = r3 * nw;
      for (let o = 1; o < stop; o += 2048) {
        const w0 = words[b0++]!;
        const w1 = words[b1++]!;
        const w2 = words[b2++]!;
        const w3 = words[b3++]!;
        // byte k of a word is the feature of block o + 512 k (o is the sum channel)
        h[o + ((w0 & 255) << 1)]! += g0;
        h[o + ((w1 & 255) << 1)]! += g1;
        h[o + ((w2 & 255) << 1)]! += g2;
        h[o + ((w3 & 255) << 1)]! += g3;
        h[o + 512 + (((w0 >>> 8) & 255) << 1)]! += g0;
        h[o + 512 + (((w1 >>> 8) & 255) << 1)]! += g1;
        h[o + 512 + (((w2 >>> 8) & 255) << 1)]! += g2;
        h[o + 512 + (((w3 >>> 8) & 255) << 1)]! += g3;
        h[o + 1024 + (((w0 >>> 16) & 255) << 1)]! += g0;
        h[o + 1024 + (((w1 >>> 16) & 255) << 1)]! += g1;
        h[o + 1024 + (((w2 >>> 16) & 255) << 1)]! += g2;
        h[o + 1024 + (((w3 >>> 16) & 255) << 1)]! += g3;
        h[o + 1536 + ((w0 >>> 24) << 1)]! += g0;
        h[o + 1536 + ((w1 >>> 24) << 1)]! += g1;
        h[o + 1536 + ((w2 >>> 24) << 1)]! += g2;
        h[o + 1536 + ((w3 >>> 24) << 1)]! += g3;
      }
    }
    for (; i < m; i++) {
      const g = wy[rows[i]!]!;
      sum += g;
      let b = rows[i]! * nw;
      for (let o = 1; o < stop; o += 2048) {
        const w = words[b++]!;
        for (let sh = 0; sh < 32; sh += 8) h[o + 64 * sh + (((w >>> sh) & 255) << 1)]! += g;
      }
    }
    return sum;
  }

  /** Narrows lo/hi (in place) to the bins with rows. */
  private narrow(h: Float64Array, lo: Int32Array, hi: Int32Array): void {
    const K = this.K;
    for (let f = 0; f < this.binned.cols; f++) {
      const o = this.off[f]!;
      let a = lo[f]!;
      let b = hi[f]!;
      while (a < b && h[o + a * K] === 0) a++;
      while (b > a && h[o + b * K] === 0) b--;
      lo[f] = a;
      hi[f] = b;
    }
  }

  /** Split search over feature f from the node's histograms. */
  private scanHist(f: number, h: Float64Array, a: number, b: number, tot: Float64Array, cnt: number, wTot: number): void {
    const K = this.K;
    const msl = this.opt.minSamplesLeaf;
    const o = this.off[f]!;
    if (K === 2 && !this.classification) {
      // unweighted regression, splitScore inlined (the same operations in the same order)
      let cL = 0;
      let sL = 0;
      let best = this.bestScore;
      let bestBin = -1;
      let bestC = 0;
      let bestS = 0;
      const sTot = tot[1]!;
      for (let bin = a; bin < b; bin++) {
        const p = o + bin * 2;
        cL += h[p]!;
        sL += h[p + 1]!;
        if (cL < msl) continue;
        if (cnt - cL < msl) break;
        const wR = wTot - cL;
        if (cL <= 0 || wR <= 0) continue;
        const sR = sTot - sL;
        const sc = (sL * sL) / cL + (sR * sR) / wR;
        if (sc > best) {
          best = sc;
          bestBin = bin;
          bestC = cL;
          bestS = sL;
        }
      }
      if (bestBin >= 0) {
        this.bestScore = best;
        this.bestF = f;
        this.bestB = bestBin;
        this.bestLeft[0] = bestC;
        this.bestLeft[1] = bestS;
      }
      return;
    }
    const left = this.left;
    left.fill(0);
    for (let bin = a; bin < b; bin++) {
      const p = o + bin * K;
      for (let c = 0; c < K; c++) left[c]! += h[p + c]!;
      const cL = left[0]!;
      if (cL < msl) continue;
      if (cnt - cL < msl) break;
      const s = this.splitScore(left, tot, wTot);
      if (s > this.bestScore) {
        this.bestScore = s;
        this.bestF = f;
        this.bestB = bin;
        this.bestLeft.set(left);
      }
    }
  }

  /**
   * Split search over feature f for a small node: sorts its rows by bin code. Returns false when
   * the feature is constant in the node.
   */
  private scanSorted(f: number, rows: Int32Array, start: number, end: number, tot: Float64Array, cnt: number, wTot: number, w: Float64Array | null, yc: Int32Array | null, wy: Float64Array | null): boolean {
    const { codes, rows: n } = this.binned;
    const m = end - start;
    const co = f * n;
    const keys = this.keys.subarray(0, m);
    for (let i = 0; i < m; i++) keys[i] = (codes[co + rows[start + i]!]! << 16) | i;
    if (m <= 32) {
      for (let i = 1; i < m; i++) {
        const v = keys[i]!;
        let j = i - 1;
        while (j >= 0 && keys[j]! > v) {
          keys[j + 1] = keys[j]!;
          j--;
        }
        keys[j + 1] = v;
      }
    } else keys.sort();
    if (keys[0]! >>> 16 === keys[m - 1]! >>> 16) return false;
    const msl = this.opt.minSamplesLeaf;
    const left = this.left;
    left.fill(0);
    for (let q = 0; q < m - 1; q++) {
      const key = keys[q]!;
      const r = rows[start + (key & 0xffff)]!;
      left[0]! += 1;
      if (yc) left[1 + yc[r]!]! += w ? w[r]! : 1;
      else {
        left[1]! += wy![r]!;
        if (this.K === 3) left[2]! += w![r]!;
      }
      const code = key >>> 16;
      if (code === keys[q + 1]! >>> 16) continue;
      const cL = left[0]!;
      if (cL < msl) continue;
      if (cnt - cL < msl) break;
      const s = this.splitScore(left, tot, wTot);
      if (s > this.bestScore) {
        this.bestScore = s;
        this.bestF = f;
        this.bestB = code;
        this.bestLeft.set(left);
      }
    }
    return true;
  }

  /** The root's channel totals over rows[0..m). */
  private rootTotals(rows: Int32Array, m: number, w: Float64Array | null, yc: Int32Array | null, wy: Float64Array | null, ww: Float64Array | null): Float64Array {
    const tot = new Float64Array(this.K);
    if (this.classification) {
      for (let i = 0; i < m; i++) {
        const r = rows[i]!;
        tot[1 + yc![r]!]! += w ? w[r]! : 1;
      }
    } else {
      // scalar accumulators: the same sums in the same order as per-row channel updates
      let s = 0;
      let sw = 0;
      for (let i = 0; i < m; i++) {
        const r = rows[i]!;
        s += wy![r]!;
        if (this.K === 3) sw += ww![r]!;
      }
      tot[1] = s;
      if (this.K === 3) tot[2] = sw;
    }
    tot[0] = m;
    return tot;
  }

  /**
   * Regression: whether the node's targets are (numerically) constant, i.e. sum w (y - mean)^2 <=
   * 1e-14 (mean^2 + 1) wTot (from e.v when the partition already summed it).
   *
   * Deferred use (grow, all features searched): a split gain above 1e-6 (mean^2 + 1) wTot proves
   * the variance is above that bound (the gain is at most the variance; its rounding error is far
   * below 1e-6 of it unless some |y| is so large that the variance is huge anyway), so the exact
   * sum is only needed when the best gain is tiny.
   */
  private constantNode(e: Entry, rows: Int32Array, yr: Float64Array, ww: Float64Array, mean: number, wTot: number): boolean {
    let v = e.v;
    if (Number.isNaN(v)) {
      v = 0;
      for (let i = e.start; i < e.end; i++) {
        const r = rows[i]!;
        const dlt = yr[r]! - mean;
        v += ww[r]! * dlt * dlt;
      }
    }
    return !(v > 1e-14 * (mean * mean + 1) * wTot);
  }

  /**
   * Grows one tree into `out` over rows[0..m) (permuted in place). Classification: yc; regression:
   * yr with weights w (null = 1). importances[f] accumulates the weighted impurity decrease.
   * leafValue (regression) replaces the leaf's mean. onLeaf, when given, is called for each leaf
   * (single-output trees) with its rows rows[start..end) and its value, once the value is pushed.
   */
  grow(
    rows: Int32Array,
    m: number,
    w: Float64Array | null,
    yc: Int32Array | null,
    yr: Float64Array | null,
    out: TreesBuilder,
    importances: Float64Array,
    rng: Random | null,
    leafValue?: (rows: Int32Array, start: number, end: number) => number,
    onLeaf?: (rows: Int32Array, start: number, end: number, value: number) => void,
  ): void {
    const { cols, thresholds, codes, rows: n } = this.binned;
    const K = this.K;
    const opt = this.opt;
    const cls = this.classification;
    if (!cls && w && K !== 3) throw new Error("weighted rows need a Grower with weighted: true");
    let ww: Float64Array | null = w;
    let wy: Float64Array | null = null;
    if (!cls) {
      if (!ww) {
        if (this.ones.length !== n) this.ones = new Float64Array(n).fill(1);
        ww = this.ones;
      }
      if (!w) wy = yr; // unit weights: w * y = y
      else {
        if (this.wyBuf.length !== n) this.wyBuf = new Float64Array(n);
        wy = this.wyBuf; // rows outside rows[0..m) are stale and never read
        for (let i = 0; i < m; i++) {
          const r = rows[i]!;
          wy[r] = ww[r]! * yr![r]!;
        }
      }
    }
    const bw = cls ? w : ww;
    const byc = cls ? yc : null;
    // root
    let rootHist: Float64Array | null = null;
    let rootLo: Int32Array | null = null;
    let rootHi: Int32Array | null = null;
    let rootSum = NaN;
    if (m >= SMALL_NODE) {
      rootLo = new Int32Array(cols);
      rootHi = new Int32Array(cols);
      for (let f = 0; f < cols; f++) rootHi[f] = this.binned.nBins[f]! - 1;
      rootHist = this.acquire();
      rootSum = this.build(rootHist, rows, 0, m, rootLo, rootHi, bw, byc, wy);
      this.narrow(rootHist, rootLo, rootHi);
    }
    // the K = 2 build summed wy over the rows (the same additions in the same order)
    const rootTot = Number.isNaN(rootSum) ? this.rootTotals(rows, m, w, yc, wy, ww) : Float64Array.of(m, rootSum);
    const root = out.alloc(1);
    const stack: Entry[] = [{ node: root, start: 0, end: m, depth: 0, hist: rootHist, lo: rootLo, hi: rootHi, tot: rootTot, v: NaN }];
    // With every feature searched (no draws from rng) a regression node's variance check can wait
    // for its split search: a clear gain proves the variance (see constantNode); with random
    // features the check comes first so that constant nodes draw nothing from rng, as always.
    const allFeatures = opt.maxFeatures >= cols;
    const eagerVariance = !cls && !allFeatures;

    while (stack.length > 0) {
      const e = stack.pop()!;
      const { tot, hist: h, lo, hi } = e;
      const cnt = tot[0]!;
      const wTot = this.weightOf(tot, 0);
      let isLeaf = e.depth >= opt.maxDepth || cnt < opt.minSamplesSplit || cnt < 2 * opt.minSamplesLeaf;
      if (!isLeaf) {
        if (cls) {
          for (let c = 1; c < K; c++) if (tot[c] === wTot) isLeaf = true;
        } else if (eagerVariance && this.constantNode(e, rows, yr!, ww!, tot[1]! / wTot, wTot)) isLeaf = true;
      }
      this.bestF = -1;
      this.bestB = -1;
      this.bestScore = -Infinity;
      if (!isLeaf) {
        const all = allFeatures;
        let visited = 0;
        for (let k = 0; k < cols; k++) {
          let f = k;
          if (!all) {
            if (visited >= opt.maxFeatures) break;
            const j = k + rng!.int(cols - k);
            f = this.perm[j]!;
            this.perm[j] = this.perm[k]!;
            this.perm[k] = f;
          }
          if (h) {
            const a = lo![f]!;
            const b = hi![f]!;
            if (a === b) continue; // constant in this node: never split, not counted
            visited++;
            this.scanHist(f, h, a, b, tot, cnt, wTot);
          } else if (this.scanSorted(f, rows, e.start, e.end, tot, cnt, wTot, bw, byc, wy)) visited++;
        }
      }
      if (!isLeaf && !cls && !eagerVariance && this.bestF >= 0) {
        const mean = tot[1]! / wTot;
        const gain = this.bestScore - this.score(tot, 0, wTot);
        if (!(gain > 1e-6 * (mean * mean + 1) * wTot) && this.constantNode(e, rows, yr!, ww!, mean, wTot)) this.bestF = -1;
      }
      const bestF = this.bestF;
      const bestB = this.bestB;
      if (bestF < 0) {
        out.leaf(e.node);
        if (cls) for (let c = 1; c < K; c++) out.value.push(wTot > 0 ? tot[c]! / wTot : 0);
        else {
          const value = leafValue ? leafValue(rows, e.start, e.end) : tot[1]! / wTot;
          out.value.push(value);
          onLeaf?.(rows, e.start, e.end, value);
        }
        if (h) this.pool.push(h);
        continue;
      }
      // split
      importances[bestF]! += Math.max(0, this.bestScore - this.score(tot, 0, wTot));
      const lt = this.bestLeft.slice();
      const rt = new Float64Array(K);
      for (let c = 0; c < K; c++) rt[c] = tot[c]! - lt[c]!;
      // partition rows
      // stable and branchless: rows keep their (ascending) order, so the children's passes over
      // the codes and targets move forward through memory
      const co = bestF * n;
      if (this.tmp.length < n) this.tmp = new Int32Array(n);
      const tmp = this.tmp;
      let l = e.start;
      let nr = 0;
      const d = e.depth + 1;
      let vL = NaN;
      let vR = NaN;
      if (eagerVariance && d < opt.maxDepth) {
        // the children's variance checks (below) fused into this pass: the same sums in the same
        // order as a later loop over each child's rows would give
        const mL = lt[1]! / this.weightOf(lt, 0);
        const mR = rt[1]! / this.weightOf(rt, 0);
        vL = 0;
        vR = 0;
        for (let i = e.start; i < e.end; i++) {
          const r = rows[i]!;
          const goLeft = (codes[co + r]! - bestB - 1) >>> 31; // the sign bit: code <= bestB (see below)
          rows[l] = r;
          tmp[nr] = r;
          l += goLeft;
          nr += 1 - goLeft;
          const y = yr![r]!;
          const wr = ww![r]!;
          const dl = y - mL;
          const dr = y - mR;
          vL += wr * dl * dl * goLeft;
          vR += wr * dr * dr * (1 - goLeft);
        }
      } else {
        // goRight = the sign bit of bestB - code: V8 turns `code <= bestB ? 1 : 0` into a branch,
        // which mispredicts on about half the rows (this is about 2x faster); two rows per
        // iteration overlap their loads (another ~10%)
        let i = e.start;
        for (; i + 2 <= e.end; i += 2) {
          const r0 = rows[i]!;
          const r1 = rows[i + 1]!;
          const g0 = (bestB - codes[co + r0]!) >>> 31;
          const g1 = (bestB - codes[co + r1]!) >>> 31;
          rows[l] = r0;
          tmp[nr] = r0;
          l += 1 - g0;
          nr += g0;
          rows[l] = r1;
          tmp[nr] = r1;
          l += 1 - g1;
          nr += g1;
        }
        if (i < e.end) {
          const r = rows[i]!;
          const goRight = (bestB - codes[co + r]!) >>> 31;
          rows[l] = r;
          tmp[nr] = r;
          l += 1 - goRight;
          nr += goRight;
        }
      }
      rows.set(tmp.subarray(0, nr), l);
      const mid = l;
      const lc = out.alloc(2);
      out.split(e.node, bestF, thresholds[bestF]![bestB]!, bestB, lc);
      const nL = mid - e.start;
      const nR = e.end - mid;
      if (!h || (nL < SMALL_NODE && nR < SMALL_NODE) || d >= opt.maxDepth) {
        if (h) this.pool.push(h);
        stack.push(
          { node: lc + 1, start: mid, end: e.end, depth: d, hist: null, lo: null, hi: null, tot: rt, v: vR },
          { node: lc, start: e.start, end: mid, depth: d, hist: null, lo: null, hi: null, tot: lt, v: vL },
        );
        continue;
      }
      const small = this.acquire();
      const sLo = lo!.slice();
      const sHi = hi!.slice();
      const leftSmaller = nL <= nR;
      if (leftSmaller) this.build(small, rows, e.start, mid, sLo, sHi, bw, byc, wy);
      else this.build(small, rows, mid, e.end, sLo, sHi, bw, byc, wy);
      for (let f = 0; f < cols; f++) {
        const of = this.off[f]!;
        for (let p = of + lo![f]! * K, q = of + (hi![f]! + 1) * K; p < q; p++) h[p]! -= small[p]!;
      }
      const bLo = lo!; // parent's arrays become the larger child's
      const bHi = hi!;
      this.narrow(h, bLo, bHi);
      // a small child searches by sorting: its buffer goes back to the pool at once (this bounds
      // the live histograms by rows / SMALL_NODE even for chain-like trees)
      const keep = Math.min(nL, nR) >= SMALL_NODE;
      if (keep) this.narrow(small, sLo, sHi);
      else this.pool.push(small);
      const sh = keep ? small : null;
      const sl = keep ? sLo : null;
      const su = keep ? sHi : null;
      const leftE: Entry = leftSmaller
        ? { node: lc, start: e.start, end: mid, depth: d, hist: sh, lo: sl, hi: su, tot: lt, v: vL }
        : { node: lc, start: e.start, end: mid, depth: d, hist: h, lo: bLo, hi: bHi, tot: lt, v: vL };
      const rightE: Entry = leftSmaller
        ? { node: lc + 1, start: mid, end: e.end, depth: d, hist: h, lo: bLo, hi: bHi, tot: rt, v: vR }
        : { node: lc + 1, start: mid, end: e.end, depth: d, hist: sh, lo: sl, hi: su, tot: rt, v: vR };
      stack.push(rightE, leftE);
    }
    out.endTree();
  }
}

/** out[i * stride + col] += value of row i's leaf in tree t (single-output trees). */
export function addTree(trees: FlatTrees, t: number, X: Matrix, out: Float64Array, stride: number, col: number): void {
  const nb = trees.nodeOffset[t]!;
  const lb = trees.leafOffset[t]!;
  const { feature, threshold, left, value } = trees;
  const data = X.data;
  const n = X.rows;
  for (let i = 0; i < n; i++) {
    let k = nb;
    let f = feature[k]!;
    while (f >= 0) {
      k = nb + (data[f * n + i]! <= threshold[k]! ? left[k]! : left[k]! + 1);
      f = feature[k]!;
    }
    out[i * stride + col]! += value[lb + left[k]!]!;
  }
}
