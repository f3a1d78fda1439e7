// Decimal -> double, correctly rounded, for up to 19 significant digits: the Eisel-Lemire
// algorithm (Lemire, "Number Parsing at a Gigabyte per Second", 2021; with Mushtak & Lemire's
// proof that two 64-bit products always suffice, as in the fast_float library).
//
// Why: typical ML exports (sklearn, pandas) write 16-17 significant digits, past the 15-digit
// exact fast path, and Number() on such a string costs ~120 ns, most of an ingest's time. This
// costs a few dozen integer operations. JavaScript has no 64-bit integers, so 64-bit values are
// (high, low) pairs of uint32 and products are computed from 16-bit pieces, which doubles hold
// exactly. Inputs it does not handle (exponents outside the table, subnormals) return NaN and
// the caller falls back to Number().

/** Decimal exponents covered by the table; outside it the caller uses Number(). */
export const MIN_Q = -120;
export const MAX_Q = 120;

// For each q: the 128-bit truncated (q >= 0) or rounded-up (q < 0) normalized 5^q, as four uint32
// from the most significant: the high 64 bits, then the low 64 bits.
const POWERS = buildPowersOfFive();

function buildPowersOfFive(): Uint32Array {
  const out = new Uint32Array((MAX_Q - MIN_Q + 1) * 4);
  const two128 = 1n << 128n;
  const two127 = 1n << 127n;
  for (let q = MIN_Q; q <= MAX_Q; q++) {
    let c: bigint;
    if (q >= 0) {
      c = 5n ** BigInt(q);
      while (c < two127) c <<= 1n;
      while (c >= two128) c >>= 1n;
    } else {
      const p = 5n ** BigInt(-q);
      let z = 0n;
      while (1n << z < p) z++;
      const b = q >= -27 ? z + 127n : 2n * z + 128n;
      c = (1n << b) / p + 1n;
      while (c >= two128) c >>= 1n;
    }
    const at = (q - MIN_Q) * 4;
    for (let k = 0; k < 4; k++) out[at + k] = Number((c >> BigInt(96 - 32 * k)) & 0xffffffffn);
  }
  return out;
}

// The last 128-bit product, as four uint32 (index 3 most significant). A typed array, not module
// variables: those hold boxed doubles, and every store would allocate.
const product = new Float64Array(4);

/**
 * (a1:a0) * (b1:b0), 64 x 64 -> 128 bits, from 16-bit pieces whose products (and column sums)
 * fit a double exactly. No `%`: on doubles it is a slow fmod call.
 */
function mul64(a1: number, a0: number, b1: number, b0: number): void {
  const x0 = a0 & 0xffff;
  const x1 = a0 >>> 16;
  const x2 = a1 & 0xffff;
  const x3 = a1 >>> 16;
  const y0 = b0 & 0xffff;
  const y1 = b0 >>> 16;
  const y2 = b1 & 0xffff;
  const y3 = b1 >>> 16;
  let t = x0 * y0;
  const z0 = t & 0xffff; // t < 2^53, so ToInt32 keeps its low bits
  t = (t - z0) / 65536 + x0 * y1 + x1 * y0;
  const z1 = t & 0xffff;
  t = (t - z1) / 65536 + x0 * y2 + x1 * y1 + x2 * y0;
  const z2 = t & 0xffff;
  t = (t - z2) / 65536 + x0 * y3 + x1 * y2 + x2 * y1 + x3 * y0;
  const z3 = t & 0xffff;
  t = (t - z3) / 65536 + x1 * y3 + x2 * y2 + x3 * y1;
  const z4 = t & 0xffff;
  t = (t - z4) / 65536 + x2 * y3 + x3 * y2;
  const z5 = t & 0xffff;
  t = (t - z5) / 65536 + x3 * y3;
  const z6 = t & 0xffff;
  const z7 = (t - z6) / 65536;
  product[0] = z1 * 65536 + z0;
  product[1] = z3 * 65536 + z2;
  product[2] = z5 * 65536 + z4;
  product[3] = z7 * 65536 + z6;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const TWO_32 = 4294967296;
const TWO_52 = 2 ** 52;
const TWO_53 = 2 ** 53;

/**
 * The double nearest to w * 10^q, where w = wHi * 2^32 + wLo (0 < w < 2^64, the decimal's digits
 * as an integer) and MIN_Q <= q <= MAX_Q; NaN when the result would be subnormal or infinite.
 */
export function eiselLemire(wHi: number, wLo: number, q: number): number {
  // Normalize w so its top bit is set.
  const lz = wHi !== 0 ? Math.clz32(wHi) : 32 + Math.clz32(wLo);
  let w1: number;
  let w0: number;
  if (lz >= 32) {
    w1 = (wLo << (lz - 32)) >>> 0;
    w0 = 0;
  } else if (lz > 0) {
    w1 = ((wHi << lz) | (wLo >>> (32 - lz))) >>> 0;
    w0 = (wLo << lz) >>> 0;
  } else {
    w1 = wHi;
    w0 = wLo;
  }
  const at = (q - MIN_Q) * 4;
  mul64(w1, w0, POWERS[at]!, POWERS[at + 1]!);
  let hi1 = product[3]!;
  let hi0 = product[2]!;
  let lo1 = product[1]!;
  let lo0 = product[0]!;
  // When the bits below the 55 we keep are all ones, a carry from the lower half of 5^q may reach
  // them: add the high half of w * (low 64 bits of 5^q).
  if ((hi0 & 0x1ff) === 0x1ff) {
    mul64(w1, w0, POWERS[at + 2]!, POWERS[at + 3]!);
    lo0 += product[2]!;
    let carry = lo0 >= TWO_32 ? 1 : 0;
    if (carry) lo0 -= TWO_32;
    lo1 += product[3]! + carry;
    carry = lo1 >= TWO_32 ? 1 : 0;
    if (carry) {
      lo1 -= TWO_32;
      hi0 += 1;
      if (hi0 >= TWO_32) {
        hi0 -= TWO_32;
        hi1 += 1;
      }
    }
  }
  const upperbit = hi1 >>> 31;
  const shift = 9 + upperbit;
  // The 54-bit mantissa m = high >> shift, kept as m >> 1 (53 bits, exact in a double) and bits 0-1.
  const m1 = hi1 * 2 ** (31 - shift) + (hi0 >>> (shift + 1));
  let bit0 = (hi0 >>> shift) & 1;
  const bit1 = (hi0 >>> (shift + 1)) & 1;
  // Exactly halfway between two doubles (only possible when 5^q is exact): round to even.
  if (lo1 === 0 && lo0 <= 1 && q >= -4 && q <= 23 && bit0 === 1 && bit1 === 0 && (hi0 & ((1 << shift) - 1)) === 0) bit0 = 0;
  let power2 = ((217706 * q) >> 16) + 63 + upperbit - lz + 1023;
  if (power2 <= 0) return NaN; // subnormal
  let mantissa = m1 + bit0;
  if (mantissa === TWO_53) {
    mantissa = TWO_52;
    power2++;
  }
  if (power2 >= 2047) return NaN; // infinite
  const top = Math.floor(mantissa / TWO_32);
  u32[1] = (power2 << 20) | (top - 0x100000);
  u32[0] = mantissa - top * TWO_32;
  return f64[0]!;
}
