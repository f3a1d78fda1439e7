// What one CSV cell means: missing, an integer, a number, a boolean, or just text.
//
// These run once per cell, so they read the cell in place: bytes [start, end) of an ASCII chunk of
// the upload (byte access is about twice as fast as charCodeAt), with `text` the same chunk as a
// string (text index = byte index + shift) for the rare paths that need a string. A cell that is
// only available as a string is copied into a scratch buffer first (see CellReader). No regular
// expressions, no allocation on the common paths, and a parsed value is left in `parsed` (one
// module-level slot) instead of a returned object.

/**
 * Cells that mean "no value", compared case-insensitively after trimming whitespace: the empty
 * cell (and a blank one), NA, N/A, NaN, -NaN, null, #N/A (Excel) and <NA> (pandas). Not "None":
 * unlike pandas we keep it, because "None" is a common real category label (none/mild/severe).
 */
export const MISSING_TOKENS: readonly string[] = ["", "na", "n/a", "nan", "-nan", "null", "#n/a", "<na>"];
const MISSING = new Set(MISSING_TOKENS);

/** Results of scanNumber. */
export const NOT_NUMERIC = 0;
/** An integer within ±(2^53 - 1): `parsed.value` holds it exactly. */
export const SAFE_INTEGER = 1;
/** An integer beyond 2^53 that still fits Int64: `parsed.big` holds it, `parsed.value` approximates it. */
export const BIG_INTEGER = 2;
/** Any other number (a fraction, an exponent, inf, or an integer too large for Int64): `parsed.value`. */
export const DECIMAL = 3;

export const parsed = { value: 0, big: 0n, end: 0 };

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];
const TWO_53 = 9007199254740992;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

export function isMissingAt(b: Uint8Array, start: number, end: number, text: string, shift: number): boolean {
  const n = end - start;
  if (n === 0) return true;
  const c = b[start]!;
  if (c >= 48 && c <= 57) return false; // a digit: the common case for numeric data
  if (isSpace(c) || isSpace(b[end - 1]!)) return MISSING.has(text.slice(start + shift, end + shift).trim().toLowerCase());
  if (n > 4) return false;
  // Every token starts with n, -, # or <: other cells need no lower-cased copy.
  return ((c | 32) === 110 || c === 45 || c === 35 || c === 60) && MISSING.has(text.slice(start + shift, end + shift).toLowerCase());
}

/**
 * Number syntax (surrounding spaces/tabs ignored): an optional sign, digits with an optional
 * fraction (`1`, `-1.5`, `1.`, `.5`), an optional exponent (`1e5`, `2.5E-3`), or inf / infinity in
 * any case. Not accepted: hex, thousands separators, a lone "." or sign. An integer is digits only
 * (leading zeros allowed, "007" is 7); "1.0" and "1e5" are numbers, as in pandas.
 * Values are correctly rounded: the same double as Number() gives.
 */
export function scanNumberAt(b: Uint8Array, start: number, end: number, text: string, shift: number): number {
  let i = start;
  let n = end;
  if (i >= n) return NOT_NUMERIC;
  let c = b[i]!;
  if (isSpace(c) || isSpace(b[n - 1]!)) {
    while (i < n && isSpace(b[i]!)) i++;
    while (n > i && isSpace(b[n - 1]!)) n--;
    if (i === n) return NOT_NUMERIC;
    c = b[i]!;
  }
  const first = i;
  let negative = false;
  if (c === 45 || c === 43) {
    negative = c === 45;
    if (++i === n) return NOT_NUMERIC;
    c = b[i]!;
  }
  if ((c | 32) === 105) return scanInfinity(text.slice(i + shift, n + shift), negative);
  const kind = scanNumberBody(b, i, n, text, shift, first, negative);
  return parsed.end === n ? kind : NOT_NUMERIC;
}

/**
 * The number that starts at `start` of a cell whose end is not known yet (the parser's fast path
 * for numeric columns, see FieldSink.numberAt): scanNumberAt's syntax and values, but no
 * surrounding spaces and no inf, and the number ends where its syntax ends, at `parsed.end`
 * (at most `limit`). When a delimiter that is not a number character, or a line end, is at
 * `parsed.end`, scanNumberAt of the cell [start, parsed.end) gives exactly this result.
 */
export function scanNumberFrom(b: Uint8Array, start: number, limit: number, text: string, shift: number): number {
  let i = start;
  if (i >= limit) return NOT_NUMERIC;
  let c = b[i]!;
  let negative = false;
  if (c === 45 || c === 43) {
    negative = c === 45;
    if (++i === limit) return NOT_NUMERIC;
    c = b[i]!;
  }
  if ((c < 48 || c > 57) && c !== 46) return NOT_NUMERIC;
  return scanNumberBody(b, i, limit, text, shift, start, negative);
}

/** A DataView of the bytes scanNumberBody last read, for its 4-digits-at-a-time loads. */
let wordBytes: Uint8Array | undefined;
let words: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

function wordsOf(b: Uint8Array): DataView<ArrayBufferLike> {
  if (b !== wordBytes) {
    words = new DataView(b.buffer, b.byteOffset, b.byteLength);
    wordBytes = b;
  }
  return words;
}

/** Whether all 4 bytes of a little-endian word are ASCII digits (SWAR: one test instead of four). */
function fourDigits(w: number): boolean {
  return ((w & 0xf0f0f0f0) | (((w + 0x06060606) & 0xf0f0f0f0) >>> 4)) === 0x33333333;
}

/** The value of 4 ASCII digits read as a little-endian word (the first digit in the low byte). */
function fourDigitsValue(w: number): number {
  w -= 0x30303030;
  w = (w * 10 + (w >>> 8)) & 0x00ff00ff; // digit pairs in bytes 0 and 2
  return (w * 100 + (w >>> 16)) & 0xffff;
}

/** Digits, fraction and exponent from `i` (after the sign at `first`, if any) up to `n` at most; the end in `parsed.end`. */
function scanNumberBody(b: Uint8Array, i: number, n: number, text: string, shift: number, first: number, negative: boolean): number {
  let c = 0;
  // Significant digits (leading zeros skipped) accumulate in `high`, exact up to 15 digits, then
  // up to 3 more in `low`: the mantissa is high * 10^lowDigits + low. More than 18: `overflow`.
  // Once a significant digit is seen, whole words of 4 digits are taken at a time.
  const view = wordsOf(b);
  let high = 0;
  let low = 0;
  let nd = 0;
  let dot = -1; // where the decimal point is, if any
  const intStart = i;
  while (i < n) {
    if (nd > 0 && nd <= 11 && i + 4 <= n) {
      const w = view.getUint32(i, true);
      if (fourDigits(w)) {
        high = high * 10000 + fourDigitsValue(w);
        nd += 4;
        i += 4;
        continue;
      }
    }
    const d = b[i]! - 48;
    if (d >= 0 && d <= 9) {
      i++;
      if (nd === 0 && d === 0) continue;
      if (nd < 15) high = high * 10 + d;
      else if (nd < 18) low = low * 10 + d;
      nd++;
    } else if (d === -2 && dot < 0) {
      dot = i++; // "."
    } else break;
  }
  const integer = dot < 0;
  const fraction = integer ? 0 : i - dot - 1;
  const digits = i - intStart - (integer ? 0 : 1);
  if (digits === 0) return NOT_NUMERIC;
  let exp10 = -fraction;
  let isInteger = integer;
  if (i < n && (b[i] === 101 || b[i] === 69)) {
    isInteger = false;
    if (++i === n) return NOT_NUMERIC;
    c = b[i]!;
    let expNegative = false;
    if (c === 45 || c === 43) {
      expNegative = c === 45;
      if (++i === n) return NOT_NUMERIC;
    }
    let e = 0;
    const expStart = i;
    for (; i < n; i++) {
      const d = b[i]! - 48;
      if (d < 0 || d > 9) break;
      if (e < 100000) e = e * 10 + d;
    }
    if (i === expStart) return NOT_NUMERIC;
    exp10 += expNegative ? -e : e;
  }
  parsed.end = i;
  const overflow = nd > 18;
  const lowDigits = nd > 15 ? Math.min(nd, 18) - 15 : 0;
  // Exact when below 2^53 (and then the test is exact too: a true value of 2^53 or more rounds
  // to at least 2^53). With an overflow, a lower bound past 2^53 (high has 15 digits). Written
  // without a conditional: a phi with a constant made TurboFan box m, an allocation per cell.
  const m = high * POW10[lowDigits]! + low;

  if (isInteger) {
    if (!overflow && m < TWO_53) {
      parsed.value = negative ? -m : m;
      return SAFE_INTEGER;
    }
    return bigInteger(text.slice(first + shift, i + shift));
  }
  let v = NaN;
  if (m === 0) v = 0;
  // Both operands exact and one rounding step: correctly rounded (Clinger's fast path).
  else if (!overflow && m < TWO_53) {
    if (exp10 >= -22 && exp10 <= 22) v = exp10 < 0 ? m / POW10[-exp10]! : m * POW10[exp10]!;
  } else if (!overflow && exp10 < 0 && exp10 >= -22 && divideExactly(high, POW10[lowDigits]!, low, POW10[-exp10]!)) {
    v = quotient[0]!;
  }
  // Anything else (over 18 digits, big exponents, near-halfway cases): let V8 round it.
  if (v !== v) v = Math.abs(Number(text.slice(intStart + shift, i + shift)));
  parsed.value = negative ? -v : v;
  return DECIMAL;
}

const SPLIT = 134217729; // 2^27 + 1, Veltkamp's splitter
const bits = new Float64Array(1);
const bitWords = new Uint32Array(bits.buffer);
const POW2 = new Float64Array(2098); // 2^k at POW2[k + 1074], k in [-1074, 1023], by exact halving/doubling
POW2[1074] = 1;
for (let k = 1; k <= 1023; k++) POW2[1074 + k] = POW2[1073 + k]! * 2;
for (let k = 1; k <= 1074; k++) POW2[1074 - k] = POW2[1075 - k]! / 2;

/** The rounding error of the product p = fl(a * b) (Dekker's TwoProduct): a * b = p + error exactly. */
function productError(a: number, b: number, p: number): number {
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/** divideExactly's result: a double returned from a call that is not inlined is a heap allocation. */
const quotient = new Float64Array(1);

/**
 * The double nearest to (high * scale + low) / p, where that integer M has 16-18 digits (past 2^53,
 * so not exact in one double) and p = 10^k <= 10^22: Number()'s answer, about ten times faster.
 * M is held exactly as a double-double (H + L); a candidate v is accepted only when the exact
 * residual M - v * p shows it within half an ulp of M / p, with a margin. The quotient goes to
 * `quotient[0]`; false (use Number()) near a halfway point or a power of two.
 */
function divideExactly(high: number, scale: number, low: number, p: number): boolean {
  let h = high * scale;
  let l = productError(high, scale, h);
  const s = h + low; // integers below 2^60: the sum's error is exact too (TwoSum)
  const bb = s - h;
  l += h - (s - bb) + (low - bb);
  h = s;
  let v = h / p;
  for (let attempt = 0; attempt < 2; attempt++) {
    bits[0] = v;
    const top = bitWords[1]!;
    const exponent = (top >>> 20) & 0x7ff;
    if (exponent === 0 || exponent === 0x7ff || ((top & 0xfffff) === 0 && bitWords[0] === 0)) return false;
    const ulp = POW2[exponent - 1075 + 1074]!;
    const vp = v * p;
    const residual = h - vp + (l - productError(v, p, vp)); // M - v * p, to within ~2^-50 ulp * p
    const t = residual / (ulp * p); // (M / p - v) in ulps of v
    if (Math.abs(t) < 0.499999) {
      quotient[0] = v;
      return true;
    }
    const k = Math.round(t);
    if (Math.abs(t - k) > 0.499999) return false;
    v += k * ulp;
  }
  return false;
}

function scanInfinity(word: string, negative: boolean): number {
  const w = word.toLowerCase();
  if (w !== "inf" && w !== "infinity") return NOT_NUMERIC;
  parsed.value = negative ? -Infinity : Infinity;
  return DECIMAL;
}

function bigInteger(text: string): number {
  const big = BigInt(text);
  if (big < INT64_MIN || big > INT64_MAX) {
    parsed.value = Number(text);
    return DECIMAL;
  }
  parsed.value = Number(big);
  parsed.big = big;
  return BIG_INTEGER;
}

/** Inference's booleans: true / false in any case (surrounding spaces ignored). 1, 0 otherwise -1. */
export function scanBooleanAt(b: Uint8Array, start: number, end: number, text: string, shift: number): number {
  const n = end - start;
  if (n < 4) return -1;
  const c = b[start]! | 32;
  if (n === 4 && c === 116) return text.slice(start + shift, end + shift).toLowerCase() === "true" ? 1 : -1;
  if (n === 5 && c === 102) return text.slice(start + shift, end + shift).toLowerCase() === "false" ? 0 : -1;
  if (!isSpace(b[start]!) && !isSpace(b[end - 1]!)) return -1;
  const t = text.slice(start + shift, end + shift).trim().toLowerCase();
  return t === "true" ? 1 : t === "false" ? 0 : -1;
}

/** What a cell is, as classify() sees it (the numeric ones equal scanNumber's results). */
export const CELL_MISSING = 0;
export const CELL_INTEGER = SAFE_INTEGER;
export const CELL_BIG_INTEGER = BIG_INTEGER;
export const CELL_DECIMAL = DECIMAL;
export const CELL_TRUE = 4;
export const CELL_FALSE = 5;
export const CELL_TEXT = 6;

/** Missing, a number (value in `parsed`), true, false, or other text. */
export function classifyAt(b: Uint8Array, start: number, end: number, text: string, shift: number): number {
  if (isMissingAt(b, start, end, text, shift)) return CELL_MISSING;
  const k = scanNumberAt(b, start, end, text, shift);
  if (k !== NOT_NUMERIC) return k;
  const t = scanBooleanAt(b, start, end, text, shift);
  return t === 1 ? CELL_TRUE : t === 0 ? CELL_FALSE : CELL_TEXT;
}

const TRUE_WORDS = new Set(["true", "t", "yes", "y", "1"]);
const FALSE_WORDS = new Set(["false", "f", "no", "n", "0"]);

/**
 * Booleans for a column the user declared boolean: also yes/no, y/n, t/f and 1/0. Inference does
 * not take these (yes/no is a category, 0/1 an integer) because guessing wrong loses information.
 */
export function scanBooleanLoose(s: string): number {
  const t = s.trim().toLowerCase();
  return TRUE_WORDS.has(t) ? 1 : FALSE_WORDS.has(t) ? 0 : -1;
}

/**
 * Positions the functions above on one cell, from bytes when its chunk was ASCII, else by copying
 * the cell's characters into a scratch buffer. A cell with a non-ASCII character is never a number,
 * boolean or missing token (the tokens are ASCII), except a blank made of Unicode spaces, which
 * `blank` reports.
 */
export class CellReader {
  bytes: Uint8Array = new Uint8Array(0);
  start = 0;
  end = 0;
  text = "";
  shift = 0;
  /** The cell has non-ASCII characters (so only isMissing's trim can apply). */
  wide = false;
  private scratch = new Uint8Array(64);

  set(text: string, start: number, end: number, bytes: Uint8Array | undefined): void {
    this.text = text;
    if (bytes !== undefined) {
      this.bytes = bytes;
      this.start = start;
      this.end = end;
      this.shift = 0;
      this.wide = false;
      return;
    }
    const n = end - start;
    if (this.scratch.length < n) this.scratch = new Uint8Array(Math.max(n, 2 * this.scratch.length));
    const scratch = this.scratch;
    let wide = false;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(start + i);
      if (c > 127) wide = true;
      scratch[i] = c;
    }
    this.bytes = scratch;
    this.start = 0;
    this.end = n;
    this.shift = start;
    this.wide = wide;
  }

  isMissing(): boolean {
    if (this.wide) return MISSING.has(this.text.slice(this.start + this.shift, this.end + this.shift).trim().toLowerCase());
    return isMissingAt(this.bytes, this.start, this.end, this.text, this.shift);
  }

  scanNumber(): number {
    return this.wide ? NOT_NUMERIC : scanNumberAt(this.bytes, this.start, this.end, this.text, this.shift);
  }

  scanBoolean(): number {
    return this.wide ? -1 : scanBooleanAt(this.bytes, this.start, this.end, this.text, this.shift);
  }

  classify(): number {
    if (this.wide) return this.isMissing() ? CELL_MISSING : CELL_TEXT;
    return classifyAt(this.bytes, this.start, this.end, this.text, this.shift);
  }

  value(): string {
    return this.text.slice(this.start + this.shift, this.end + this.shift);
  }
}

const reader = new CellReader();

/** Whether a cell is a missing value (see MISSING_TOKENS). */
export function isMissing(s: string): boolean {
  reader.set(s, 0, s.length, undefined);
  return reader.isMissing();
}

/** Classifies a cell as a number (see scanNumberAt); the value is left in `parsed`. */
export function scanNumber(s: string): number {
  reader.set(s, 0, s.length, undefined);
  return reader.scanNumber();
}

/** true / false (any case) -> 1 / 0, else -1. */
export function scanBoolean(s: string): number {
  reader.set(s, 0, s.length, undefined);
  return reader.scanBoolean();
}
