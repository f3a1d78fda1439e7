// Binning of one feature for the histogram trees (binMatrix): the cut points (thresholds) and each
// row's bin code = #{thresholds < x}. With <= maxBins distinct values the cut points are the
// midpoints between consecutive distinct values; beyond that they sit where the cumulative count
// crosses q n / maxBins (q = 1, 2, ...), at the midpoint to the next distinct value.
//
// binColumnSorted does this from a full sort. binColumn gets the same cut points and codes
// without one: values go to buckets by the top bits of their (order-preserving) bit pattern (dense
// buckets split further by the next bits), so equal values share a bucket and buckets are ordered;
// only the buckets holding the wanted ranks are sorted, and a row's code starts from its bucket's
// first code.

/** scikit-learn's split threshold between two consecutive distinct values a < b. */
export function midpoint(a: number, b: number): number {
  const m = a / 2 + b / 2;
  if (!(m < b) || m < a || !Number.isFinite(m)) return a;
  return m;
}

/** Below this many rows the full sort is as cheap. */
const MIN_ROWS = 4096;
/** Bucket id = top bits of the 32-bit key; more bits dropped while the id range exceeds this. */
const MAX_BUCKETS = 1 << 16;

/** codes out[i] = #{t < col[i]}: a fixed 8-step search over t padded to 256 with +Infinity. */
function codesBySearch(col: Float64Array, t: Float64Array, out: Uint8Array): void {
  const tp = new Float64Array(256).fill(Infinity);
  tp.set(t);
  for (let i = 0; i < col.length; i++) {
    const x = col[i]!;
    // +(a < b) compiles without a branch in V8 (`a < b ? 1 : 0` does not): about 2x faster
    let c = +(tp[127]! < x) << 7;
    c += +(tp[c + 63]! < x) << 6;
    c += +(tp[c + 31]! < x) << 5;
    c += +(tp[c + 15]! < x) << 4;
    c += +(tp[c + 7]! < x) << 3;
    c += +(tp[c + 3]! < x) << 2;
    c += +(tp[c + 1]! < x) << 1;
    c += +(tp[c]! < x);
    out[i] = c;
  }
}

/** The reference: cut points from a full sort. */
export function binColumnSorted(col: Float64Array, maxBins: number, out: Uint8Array): Float64Array {
  const n = col.length;
  const sorted = col.slice().sort();
  const uniq = new Float64Array(n);
  const counts = new Int32Array(n);
  let u = 0;
  for (let i = 0; i < n; i++) {
    const v = sorted[i]!;
    if (u === 0 || v !== uniq[u - 1]) {
      uniq[u] = v;
      counts[u] = 1;
      u++;
    } else counts[u - 1]!++;
  }
  const thr: number[] = [];
  if (u <= maxBins) {
    for (let k = 1; k < u; k++) thr.push(midpoint(uniq[k - 1]!, uniq[k]!));
  } else {
    let cum = 0;
    let q = 1;
    for (let k = 0; k < u - 1; k++) {
      cum += counts[k]!;
      if (cum >= (q * n) / maxBins) {
        thr.push(midpoint(uniq[k]!, uniq[k + 1]!));
        while (cum >= (q * n) / maxBins) q++;
      }
    }
  }
  const t = Float64Array.from(thr);
  codesBySearch(col, t, out);
  return t;
}

/** The distinct values of col, sorted, if there are at most `limit` (NaN: null). */
function fewDistinct(col: Float64Array, limit: number): Float64Array | null {
  const size = 1024; // open addressing, load <= 1/4 for limit <= 256
  const keys = new Float64Array(size);
  const used = new Uint8Array(size);
  const bits = new Uint32Array(col.buffer, col.byteOffset, col.length * 2);
  let count = 0;
  for (let i = 0; i < col.length; i++) {
    const v = col[i]!;
    if (v !== v) return null;
    // +0 and -0 are one value: hash both as +0
    const lo = v === 0 ? 0 : bits[2 * i]!;
    const hi = v === 0 ? 0 : bits[2 * i + 1]!;
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) >>> 22;
    while (used[h] && keys[h] !== v) h = (h + 1) & (size - 1);
    if (used[h]) {
      if (v === 0 && 1 / v < 0) keys[h] = -0; // the sorted scan would list -0 (first) for the zeros
      continue;
    }
    if (++count > limit) return null;
    used[h] = 1;
    keys[h] = v;
  }
  const out = new Float64Array(count);
  let k = 0;
  for (let h = 0; h < size; h++) if (used[h]) out[k++] = keys[h]!;
  return out.sort();
}

/** Moves the smallest value of a (non-empty, NaN-free) segment to its front (-0 before +0, as sort). */
function minToFront(seg: Float64Array): void {
  let m = 0;
  for (let i = 1; i < seg.length; i++) if (seg[i]! < seg[m]! || (seg[i] === 0 && seg[m] === 0 && 1 / seg[i]! < 0)) m = i;
  const v = seg[m]!;
  seg[m] = seg[0]!;
  seg[0] = v;
}

// scratch of sortSegment
let sortBuf = new Float64Array(0);
let sortKeys = new Uint32Array(0);
const subCount = new Int32Array(257);

/**
 * Sorts a NaN-free segment ascending in place, -0 before +0: the order of TypedArray sort, which is
 * several times slower (it goes through boxed values). Buckets are mostly small; a large one
 * (clustered values) first gets one counting-sort pass on the next bits of its keys.
 */
function sortSegment(a: Float64Array): void {
  const m = a.length;
  if (m <= 64) quickSort(a, 0, m - 1);
  else {
    if (sortBuf.length < m) {
      sortBuf = new Float64Array(m);
      sortKeys = new Uint32Array(m);
    }
    const bits = new Uint32Array(a.buffer, a.byteOffset, m * 2);
    const keys = sortKeys;
    let kMin = 0xffffffff;
    let kMax = 0;
    for (let i = 0; i < m; i++) {
      const k = key(bits[2 * i + 1]!, bits[2 * i]!);
      keys[i] = k;
      if (k < kMin) kMin = k;
      if (k > kMax) kMax = k;
    }
    let shift = 0;
    while ((kMax >>> shift) - (kMin >>> shift) >= 256) shift++;
    const base = kMin >>> shift;
    const cnt = subCount;
    cnt.fill(0);
    for (let i = 0; i < m; i++) cnt[(keys[i]! >>> shift) - base + 1]!++;
    for (let b = 0; b < 256; b++) cnt[b + 1]! += cnt[b]!;
    const buf = sortBuf;
    for (let i = 0; i < m; i++) buf[cnt[(keys[i]! >>> shift) - base]!++] = a[i]!;
    a.set(buf.subarray(0, m));
    // cnt[b] is now the end of sub-bucket b (its values are below those of sub-bucket b + 1)
    let s = 0;
    for (let b = 0; b < 256 && s < m; b++) {
      const e = cnt[b]!;
      if (e - s > 16) quickSort(a, s, e - 1);
      else insertionSort(a, s, e - 1);
      s = e;
    }
  }
  // `<` does not order the zeros: list the -0s first, as TypedArray sort does
  let z = 0;
  while (z < m && a[z]! < 0) z++;
  let neg = 0;
  let e = z;
  for (; e < m && a[e] === 0; e++) if (1 / a[e]! < 0) neg++;
  for (let i = z; i < e; i++) a[i] = i < z + neg ? -0 : 0;
}

function quickSort(a: Float64Array, lo: number, hi: number): void {
  while (hi - lo > 16) {
    // median of three as the pivot, then Hoare partition
    const mid = (lo + hi) >>> 1;
    let x = a[lo]!;
    let y = a[mid]!;
    let z = a[hi]!;
    if (y < x) {
      const t = x;
      x = y;
      y = t;
    }
    if (z < y) {
      y = z;
      if (y < x) y = x;
    }
    const pivot = y;
    let i = lo;
    let j = hi;
    for (;;) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i >= j) break;
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
      i++;
      j--;
    }
    // recurse into the smaller side, loop on the larger (bounded stack depth)
    if (j - lo < hi - j) {
      quickSort(a, lo, j);
      lo = j + 1;
    } else {
      quickSort(a, j + 1, hi);
      hi = j;
    }
  }
  insertionSort(a, lo, hi);
}

function insertionSort(a: Float64Array, lo: number, hi: number): void {
  for (let i = lo + 1; i <= hi; i++) {
    const v = a[i]!;
    let j = i - 1;
    while (j >= lo && a[j]! > v) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
  }
}

/** The 32-bit order-preserving key of a double from its high word (+0 for -0). */
function key(hi: number, lo: number): number {
  if (hi === 0x80000000 && lo === 0) hi = 0;
  // negative: ~hi, else hi | 0x80000000; without a branch on the sign (half the values of a
  // centred column: mispredicted)
  return (hi ^ ((hi >> 31) | 0x80000000)) >>> 0;
}

/** The smallest double whose key is kk (the lower end of a bucket starting at key kk). */
function bucketLow(kk: number, scratch: Float64Array, words: Uint32Array): number {
  const hi = kk & 0x80000000 ? kk & 0x7fffffff : ~kk >>> 0;
  words[1] = hi;
  words[0] = kk & 0x80000000 ? 0 : 0xffffffff;
  return scratch[0]!;
}

/** Cut points and codes (into out) of one column; the same as binColumnSorted. */
export function binColumn(col: Float64Array, maxBins: number, out: Uint8Array): Float64Array {
  const n = col.length;
  if (n < MIN_ROWS) return binColumnSorted(col, maxBins, out);
  const few = fewDistinct(col, maxBins);
  if (few) {
    const t = new Float64Array(Math.max(0, few.length - 1));
    for (let k = 1; k < few.length; k++) t[k - 1] = midpoint(few[k - 1]!, few[k]!);
    codesBySearch(col, t, out);
    return t;
  }
  for (let i = 0; i < n; i++) if (col[i] !== col[i]) return binColumnSorted(col, maxBins, out);
  const bits = new Uint32Array(col.buffer, col.byteOffset, n * 2);
  // coarse buckets: the key's top bits, shifted until the id range is small
  const keys = new Uint32Array(n);
  let kMin = 0xffffffff;
  let kMax = 0;
  for (let i = 0; i < n; i++) {
    const k = key(bits[2 * i + 1]!, bits[2 * i]!);
    keys[i] = k;
    if (k < kMin) kMin = k;
    if (k > kMax) kMax = k;
  }
  let shift = 12;
  while ((kMax >>> shift) - (kMin >>> shift) >= MAX_BUCKETS) shift++;
  const base = kMin >>> shift;
  const nCoarse = (kMax >>> shift) - base + 1;
  const coarse = new Int32Array(nCoarse);
  for (let i = 0; i < n; i++) coarse[(keys[i]! >>> shift) - base]!++;
  // Each coarse bucket splits by its next key bits into about (its count) / 8 fine buckets (a
  // power of 2): the exponent range wastes most coarse ids (a centred column spans every tiny
  // exponent), so dense coarse buckets hold ~1000 values, too many to sort cheaply. Fine bucket
  // ids stay ordered like the values, and equal values still share one.
  const fineBase = new Int32Array(nCoarse);
  const fineShift = new Int32Array(nCoarse);
  let nb = 0;
  for (let c = 0; c < nCoarse; c++) {
    const cnt = coarse[c]!;
    const r = cnt >= 16 ? Math.min(shift, 31 - Math.clz32(cnt >>> 3)) : 0;
    fineBase[c] = nb;
    fineShift[c] = shift - r;
    nb += 1 << r;
  }
  const lowKey = new Uint32Array(nb); // the smallest key of each fine bucket
  for (let c = 0; c < nCoarse; c++) {
    const end = c + 1 < nCoarse ? fineBase[c + 1]! : nb;
    for (let f = fineBase[c]!, sub = 0; f < end; f++, sub++) lowKey[f] = (((c + base) << shift) | (sub << fineShift[c]!)) >>> 0;
  }
  const lowMask = (1 << shift) - 1;
  const ids = new Int32Array(n);
  const start = new Int32Array(nb + 1);
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    const c = (k >>> shift) - base;
    const b = fineBase[c]! + ((k & lowMask) >>> fineShift[c]!);
    ids[i] = b;
    start[b + 1]!++;
  }
  for (let b = 0; b < nb; b++) start[b + 1]! += start[b]!;
  const bucketOf = (pos: number): number => {
    let lo = 0;
    let hi = nb - 1; // start[lo] <= pos < start[hi + 1]
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (start[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  // gather the buckets holding a wanted rank (sorted) and the next non-empty bucket after each
  // (only its smallest value is needed: the next distinct value)
  const slot = new Int32Array(nb).fill(-1);
  const sortIt = new Uint8Array(nb);
  let nSorted = 0;
  const want = (b: number): void => {
    if (slot[b]! >= 0) return;
    slot[b] = nSorted;
    nSorted += start[b + 1]! - start[b]!;
  };
  for (let q = 1; q < maxBins; q++) {
    const b = bucketOf(Math.ceil((q * n) / maxBins) - 1);
    want(b);
    sortIt[b] = 1;
    for (let c = b + 1; c < nb; c++) {
      if (start[c + 1]! > start[c]!) {
        want(c);
        break;
      }
    }
  }
  const vals = new Float64Array(nSorted);
  const fill = slot.slice();
  for (let i = 0; i < n; i++) {
    const s = fill[ids[i]!]!;
    if (s >= 0) {
      vals[s] = col[i]!;
      fill[ids[i]!] = s + 1;
    }
  }
  for (let b = 0; b < nb; b++) {
    if (slot[b]! < 0) continue;
    const seg = vals.subarray(slot[b]!, slot[b]! + start[b + 1]! - start[b]!);
    if (sortIt[b]) sortSegment(seg);
    else minToFront(seg);
  }
  // value at rank pos (the sorted column's pos-th), from its (sorted) bucket
  const at = (b: number, pos: number): number => vals[slot[b]! + pos - start[b]!]!;
  const thr: number[] = [];
  let q = 1;
  for (;;) {
    const pos = Math.ceil((q * n) / maxBins) - 1;
    const b = bucketOf(pos);
    const v = at(b, pos);
    // the group of v (equal values never straddle buckets): first and last rank
    let first = pos;
    while (first > start[b]! && at(b, first - 1) === v) first--;
    let last = pos;
    while (last + 1 < start[b + 1]! && at(b, last + 1) === v) last++;
    const cum = last + 1;
    if (cum >= n) break; // the last group: no cut point after it
    const nextB = last + 1 < start[b + 1]! ? b : bucketOf(last + 1);
    thr.push(midpoint(at(b, first), at(nextB, last + 1)));
    while (cum >= (q * n) / maxBins) q++;
  }
  const t = Float64Array.from(thr);
  // codes: from the first code of the row's bucket, up past the cut points below the value
  const tp = new Float64Array(t.length + 1).fill(Infinity);
  tp.set(t);
  const first = new Uint8Array(nb);
  const scratch = new Float64Array(1);
  const words = new Uint32Array(scratch.buffer);
  for (let b = 0, c = 0; b < nb; b++) {
    if (start[b + 1] === start[b]) continue;
    const low = bucketLow(lowKey[b]!, scratch, words);
    while (tp[c]! < low) c++;
    first[b] = c;
  }
  for (let i = 0; i < n; i++) {
    const x = col[i]!;
    let c = first[ids[i]!]!;
    // most rows are past at most a few cut points of their bucket: steps without a branch (see
    // codesBySearch), then the rare rest
    c += +(tp[c]! < x);
    c += +(tp[c]! < x);
    c += +(tp[c]! < x);
    while (tp[c]! < x) c++;
    out[i] = c;
  }
  return t;
}
