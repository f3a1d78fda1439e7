import { describe, expect, it } from "vitest";
import { storeV1 } from "@dml/proto";
import { decodeChunkMessage, encodeChunkMessage, StoreServiceDefinition } from "./store-codec.js";

const put = StoreServiceDefinition.methods.putObject.requestType;
const get = StoreServiceDefinition.methods.getObject.responseType;

function bytes(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

describe("store chunk codec", () => {
  for (const size of [0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 1024 * 1024]) {
    it(`encodes a ${size}-byte chunk exactly as the generated code does, and decodes it back`, () => {
      const chunk = bytes(size);
      const generated = storeV1.PutObjectRequest.encode({ part: { $case: "chunk", chunk } }).finish();
      const fast = encodeChunkMessage(chunk);
      expect(Buffer.compare(fast, Buffer.from(generated))).toBe(0);
      expect(Buffer.compare(put.encode({ part: { $case: "chunk", chunk } }).finish(), fast)).toBe(0);
      expect(Buffer.compare(get.encode({ part: { $case: "chunk", chunk } }).finish(), fast)).toBe(0);
      const decoded = put.decode(fast);
      expect(decoded.part?.$case).toBe("chunk");
      expect(Buffer.compare((decoded.part as { chunk: Buffer }).chunk, chunk)).toBe(0);
      const viaGenerated = storeV1.GetObjectResponse.decode(fast).part as { $case: string; chunk: Buffer };
      const viaFast = get.decode(fast).part as { $case: string; chunk: Buffer };
      expect(viaFast.$case).toBe(viaGenerated.$case);
      expect(Buffer.compare(viaFast.chunk, viaGenerated.chunk)).toBe(0);
    });
  }

  it("decodes a chunk as a view of the received message, not a copy", () => {
    const wire = encodeChunkMessage(bytes(1000));
    const chunk = decodeChunkMessage(wire)!;
    expect(chunk.buffer).toBe(wire.buffer);
    expect(chunk.byteOffset).toBe(wire.byteOffset + 3);
  });

  it("leaves headers, info and unusual layouts to the generated code", () => {
    const header = { key: "datasets/d/batch-000000.arrow", kind: storeV1.ObjectKind.OBJECT_KIND_BATCH, size: 5, checksum: undefined };
    const wire = storeV1.PutObjectRequest.encode({ part: { $case: "header", header } }).finish();
    expect(decodeChunkMessage(wire)).toBeUndefined();
    expect(put.decode(wire)).toEqual(storeV1.PutObjectRequest.decode(wire));
    expect(Buffer.compare(Buffer.from(put.encode({ part: { $case: "header", header } }).finish()), Buffer.from(wire))).toBe(0);
    const info = storeV1.GetObjectResponse.encode({ part: { $case: "info", info: storeV1.ObjectInfo.fromPartial({ key: "k", size: 3 }) } }).finish();
    expect(get.decode(info)).toEqual(storeV1.GetObjectResponse.decode(info));
    // A chunk followed by a second chunk field (the last one wins in protobuf): not the fast path.
    const twice = Buffer.concat([encodeChunkMessage(bytes(3)), encodeChunkMessage(bytes(2))]);
    expect(decodeChunkMessage(twice)).toBeUndefined();
    expect(put.decode(twice)).toEqual(storeV1.PutObjectRequest.decode(twice));
    // Truncated: the generated decoder's error.
    const cut = encodeChunkMessage(bytes(10)).subarray(0, 8);
    expect(decodeChunkMessage(cut)).toBeUndefined();
    expect(() => put.decode(cut)).toThrow();
  });
});
