// 32-bit hashes for the distinct-value counters (hash tables and HyperLogLog). Not cryptographic.

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** MurmurHash3's finalizer: spreads every input bit over the whole word. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash of a double's bits (callers fold -0 into 0 first when they mean the same value). */
export function hashNumber(v: number): number {
  f64[0] = v;
  return fmix32(u32[0]! ^ Math.imul(u32[1]!, 0x9e3779b1));
}

/** FNV-1a over UTF-16 code units, finished with fmix32 for HyperLogLog's leading-zero counts. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(h);
}
