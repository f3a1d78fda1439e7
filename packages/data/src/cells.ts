// What one CSV cell means: missing, an integer, a number, a boolean, or just text.
// These functions run once per cell, so they read the cell in place (a span [start, end) of a
// decoded chunk), avoid allocation and regular expressions, and leave a parsed value in `parsed`
// (one module-level slot) instead of returning an object.
import { eiselLemire, MAX_Q, MIN_Q } from "./decimal.js";

/**
 * Cells that mean "no value", compared case-insensitively after trimming whitespace: the empty
 * cell (and a blank one), NA, N/A, NaN, -NaN, null, #N/A (Excel) and <NA> (pandas). Not "None":
 * unlike pandas we keep it, because "None" is a common real category label (none/mild/severe).
 */
export const MISSING_TOKENS: readonly string[] = ["", "na", "n/a", "nan", "-nan", "null", "#n/a", "<na>"];
const MISSING = new Set(MISSING_TOKENS);

export function isMissing(s: string, start = 0, end = s.length): boolean {
  const n = end - start;
  if (n === 0) return true;
  const c = s.charCodeAt(start);
  if (c >= 48 && c <= 57) return false; // digits: the common case for numeric data
  if (isSpace(c) || isSpace(s.charCodeAt(end - 1))) return MISSING.has(s.slice(start, end).trim().toLowerCase());
  if (n > 4) return false;
  // Every token starts with n, -, # or <: other cells need no lower-cased copy.
  const lower = c | 32;
  return (lower === 110 || c === 45 || c === 35 || c === 60) && MISSING.has(s.slice(start, end).toLowerCase());
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

/** Results of scanNumber. */
export const NOT_NUMERIC = 0;
/** An integer within ±(2^53 - 1): `parsed.value` holds it exactly. */
export const SAFE_INTEGER = 1;
/** An integer beyond 2^53 that still fits Int64: `parsed.big` holds it, `parsed.value` approximates it. */
export const BIG_INTEGER = 2;
/** Any other number (a fraction, an exponent, inf, or an integer too large for Int64): `parsed.value`. */
export const DECIMAL = 3;

export const parsed = { value: 0, big: 0n };

const TWO_32 = 4294967296;
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Number syntax (surrounding spaces/tabs ignored): an optional sign, digits with an optional
 * fraction (`1`, `-1.5`, `1.`, `.5`), an optional exponent (`1e5`, `2.5E-3`), or inf / infinity in
 * any case. Not accepted: hex, thousands separators, a lone "." or sign. An integer is digits only
 * (leading zeros allowed, "007" is 7); "1.0" and "1e5" are numbers, as in pandas.
 */
export function scanNumber(s: string, start = 0, end = s.length): number {
  let i = start;
  let n = end;
  while (i < n && isSpace(s.charCodeAt(i))) i++;
  while (n > i && isSpace(s.charCodeAt(n - 1))) n--;
  if (i === n) return NOT_NUMERIC;
  const first = i;
  let c = s.charCodeAt(i);
  let negative = false;
  if (c === 45 || c === 43) {
    negative = c === 45;
    if (++i === n) return NOT_NUMERIC;
    c = s.charCodeAt(i);
  }
  if (c === 105 || c === 73) return scanInfinity(s, i, n, negative);

  // The first 15 significant digits accumulate exactly in a double (10^15 < 2^53), up to 4 more in
  // `low`; past 19 (more than a uint64 holds) we let Number() do it.
  let high = 0;
  let low = 0;
  let lowDigits = 0;
  let significant = 0;
  let exp10 = 0;
  let overflow = false;
  let digits = false;
  let integer = true;
  for (; i < n; i++) {
    c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    digits = true;
    if (significant < 15) {
      high = high * 10 + (c - 48);
      if (high !== 0) significant++;
    } else if (significant < 19) {
      low = low * 10 + (c - 48);
      lowDigits++;
      significant++;
    } else {
      overflow = true;
    }
  }
  if (i < n && c === 46) {
    integer = false;
    for (i++; i < n; i++) {
      c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      digits = true;
      if (significant < 15) {
        high = high * 10 + (c - 48);
        if (high !== 0) significant++;
        exp10--;
      } else if (significant < 19) {
        low = low * 10 + (c - 48);
        lowDigits++;
        significant++;
        exp10--;
      } else {
        overflow = true;
      }
    }
  }
  if (!digits) return NOT_NUMERIC;
  if (i < n && (c === 101 || c === 69)) {
    integer = false;
    if (++i === n) return NOT_NUMERIC;
    c = s.charCodeAt(i);
    let expNegative = false;
    if (c === 45 || c === 43) {
      expNegative = c === 45;
      if (++i === n) return NOT_NUMERIC;
    }
    let e = 0;
    let expDigits = false;
    for (; i < n; i++) {
      c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      expDigits = true;
      if (e < 100000) e = e * 10 + (c - 48);
    }
    if (!expDigits) return NOT_NUMERIC;
    exp10 += expNegative ? -e : e;
  }
  if (i !== n) return NOT_NUMERIC;

  if (integer) {
    if (lowDigits === 0 && !overflow) {
      parsed.value = negative ? -high : high;
      return SAFE_INTEGER;
    }
    const approx = high * POW10[lowDigits]! + low; // exact whenever it is below 2^53
    if (!overflow && approx < 9007199254740992) {
      parsed.value = negative ? -approx : approx;
      return SAFE_INTEGER;
    }
    const text = s.slice(first, n);
    const big = BigInt(text);
    if (big < INT64_MIN || big > INT64_MAX) {
      parsed.value = Number(text);
      return DECIMAL;
    }
    parsed.value = Number(big);
    parsed.big = big;
    return BIG_INTEGER;
  }
  let v = NaN;
  if (high === 0 && low === 0 && !overflow) v = 0;
  // Both operands exact and one rounding step: correctly rounded (Clinger's fast path).
  else if (lowDigits === 0 && !overflow && exp10 >= -22 && exp10 <= 22) v = exp10 < 0 ? high / POW10[-exp10]! : high * POW10[exp10]!;
  else if (!overflow && exp10 >= MIN_Q && exp10 <= MAX_Q) {
    // w = high * 10^lowDigits + low, as two uint32 halves (w < 10^19 < 2^64).
    const scale = POW10[lowDigits]!;
    const hHi = Math.floor(high / TWO_32);
    const hLo = high - hHi * TWO_32;
    let wLo = hLo * scale + low; // < 2^32 * 10^4 + 10^4: exact
    const carry = Math.floor(wLo / TWO_32);
    wLo -= carry * TWO_32;
    v = eiselLemire(hHi * scale + carry, wLo, exp10);
  }
  if (v !== v) v = Math.abs(Number(s.slice(first, n)));
  parsed.value = negative ? -v : v;
  return DECIMAL;
}

function scanInfinity(s: string, i: number, n: number, negative: boolean): number {
  const word = s.slice(i, n).toLowerCase();
  if (word !== "inf" && word !== "infinity") return NOT_NUMERIC;
  parsed.value = negative ? -Infinity : Infinity;
  return DECIMAL;
}

/** Inference's booleans: true / false in any case (surrounding spaces ignored). 1, 0 otherwise -1. */
export function scanBoolean(s: string, start = 0, end = s.length): number {
  const n = end - start;
  if (n < 4) return -1;
  const c = s.charCodeAt(start) | 32;
  if (n === 4 && c === 116) return s.slice(start, end).toLowerCase() === "true" ? 1 : -1;
  if (n === 5 && c === 102) return s.slice(start, end).toLowerCase() === "false" ? 0 : -1;
  if (!isSpace(s.charCodeAt(start)) && !isSpace(s.charCodeAt(end - 1))) return -1;
  const t = s.slice(start, end).trim().toLowerCase();
  return t === "true" ? 1 : t === "false" ? 0 : -1;
}

const TRUE_WORDS = new Set(["true", "t", "yes", "y", "1"]);
const FALSE_WORDS = new Set(["false", "f", "no", "n", "0"]);

/**
 * Booleans for a column the user declared boolean: also yes/no, y/n, t/f and 1/0. Inference does
 * not take these (yes/no is a category, 0/1 an integer) because guessing wrong loses information.
 */
export function scanBooleanLoose(s: string, start = 0, end = s.length): number {
  const t = s.slice(start, end).trim().toLowerCase();
  return TRUE_WORDS.has(t) ? 1 : FALSE_WORDS.has(t) ? 0 : -1;
}
