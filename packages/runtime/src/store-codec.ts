// The StoreService with faster codecs for its bulk messages: PutObjectRequest and
// GetObjectResponse chunks (field 2, bytes, up to 1 MiB), which carry every byte of every batch.
//
// The generated encoder grows its buffer by doubling (zero-filled allocations and copies from 1 KiB
// up to 2 MiB per message) and then slices the result; the generated decoder copies the bytes out
// of the received message. Here a chunk message is written with one allocation and one copy, and
// read as a view of the received message. The wire format is the same protobuf encoding; any
// other message (headers, info) or any unusual layout goes through the generated code.
import { storeV1 } from "@dml/proto";

const CHUNK_TAG = 0x12; // field 2, length-delimited

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** The encoding of a message whose only field is `chunk` (field 2). */
export function encodeChunkMessage(chunk: Uint8Array): Buffer {
  const length = chunk.length;
  // allocUnsafeSlow: a buffer of its own (not a slice of the shared pool), so the codec can hand
  // its ArrayBuffer on without a copy.
  const out = Buffer.allocUnsafeSlow(1 + varintSize(length) + length);
  let at = 0;
  out[at++] = CHUNK_TAG;
  let n = length;
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[at++] = n;
  out.set(chunk, at);
  return out;
}

/**
 * The chunk of a message that is exactly one field 2 (tag, length, bytes), as a view of `input`;
 * undefined for anything else.
 */
export function decodeChunkMessage(input: Uint8Array): Buffer | undefined {
  if (input.length < 2 || input[0] !== CHUNK_TAG) return undefined;
  let length = 0;
  let scale = 1;
  let at = 1;
  for (;;) {
    if (at >= input.length || at > 5) return undefined;
    const b = input[at++]!;
    length += (b & 0x7f) * scale;
    if (b < 0x80) break;
    scale *= 128;
  }
  if (at + length !== input.length) return undefined;
  return Buffer.from(input.buffer, input.byteOffset + at, length);
}

/** Encodings of chunks sent recently, by chunk object: a batch sent to R stores is encoded once. */
const encodings = new WeakMap<Uint8Array, Buffer>();

function encodedChunk(chunk: Uint8Array): Buffer {
  let bytes = encodings.get(chunk);
  if (bytes === undefined) {
    const encoded = encodeChunkMessage(chunk);
    // nice-grpc copies what finish() returns with Buffer.from, which follows valueOf(): pointing
    // that at the message's own ArrayBuffer (see encodeChunkMessage) makes it a view instead.
    encoded.valueOf = () => encoded.buffer as unknown as Buffer;
    encodings.set(chunk, encoded);
    bytes = encoded;
  }
  return bytes;
}

type ChunkMessage = { part?: { $case: string; chunk?: Buffer } | undefined };
type Codec<T> = storeV1.MessageFns<T>;

function withFastChunks<T extends ChunkMessage>(fns: Codec<T>): Codec<T> {
  return {
    ...fns,
    encode(message, writer) {
      const part = message.part;
      if (writer === undefined && part?.$case === "chunk" && part.chunk !== undefined) {
        const bytes = encodedChunk(part.chunk);
        // nice-grpc only calls finish() on what encode returns.
        return { finish: () => bytes } as unknown as ReturnType<Codec<T>["encode"]>;
      }
      return fns.encode(message, writer);
    },
    decode(input, length) {
      if (input instanceof Uint8Array && length === undefined) {
        const chunk = decodeChunkMessage(input);
        if (chunk !== undefined) return { part: { $case: "chunk", chunk } } as T;
      }
      return fns.decode(input, length);
    },
  };
}

const methods = storeV1.StoreServiceDefinition.methods;

/**
 * storeV1.StoreServiceDefinition with the fast chunk codecs: use it for clients and servers alike
 * (the bytes on the wire are the same as with the generated codecs).
 */
export const StoreServiceDefinition: typeof storeV1.StoreServiceDefinition = {
  ...storeV1.StoreServiceDefinition,
  methods: {
    ...methods,
    putObject: { ...methods.putObject, requestType: withFastChunks(methods.putObject.requestType) as typeof methods.putObject.requestType },
    getObject: { ...methods.getObject, responseType: withFastChunks(methods.getObject.responseType) as typeof methods.getObject.responseType },
  },
};
