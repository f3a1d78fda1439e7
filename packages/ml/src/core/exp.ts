// exp(x) to within 2 ulp, about 1.7x faster than Math.exp in V8 (which calls out to C): the hot
// loops of boosting (a sigmoid per row per round) spend much of their time in exp.
//
// x = (32 k + j) ln2/32 + r with |r| <= ln2/64, so exp(x) = 2^k * 2^(j/32) * exp(r), exp(r) from its
// degree-6 Taylor polynomial (truncation < 1e-17 relative), 2^k and 2^(j/32) from tables.

const POW2_MIN = -1074;
/** 2^k for k in [-1074, 1023]. */
const POW2 = new Float64Array(1023 - POW2_MIN + 1);
for (let k = POW2_MIN; k <= 1023; k++) POW2[k - POW2_MIN] = 2 ** k;
/** 2^(j/32), j = 0..31. */
const FRAC = new Float64Array(32);
for (let j = 0; j < 32; j++) FRAC[j] = 2 ** (j / 32);
const INV_STEP = 32 / Math.LN2;
// ln2/32 split in two (fdlibm's ln2_hi / ln2_lo over 32): N * STEP_HI is exact
const STEP_HI = 6.93147180369123816490e-1 / 32;
const STEP_LO = 1.90821492927058770002e-10 / 32;
/** v + ROUND - ROUND rounds v to an integer (|v| < 2^51). */
const ROUND = 1.5 * 2 ** 52;

export function exp(x: number): number {
  // outside this range (and NaN) the result is 0, Infinity, a subnormal or NaN: Math.exp decides
  if (!(x > -708 && x < 709)) return Math.exp(x);
  const N = x * INV_STEP + ROUND - ROUND;
  const r = x - N * STEP_HI - N * STEP_LO;
  const p = 1 + r * (1 + r * (1 / 2 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720))))));
  return POW2[(N >> 5) - POW2_MIN]! * (FRAC[N & 31]! * p);
}
