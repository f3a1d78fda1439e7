// Joins standalone Arrow IPC streams that share one schema into a single IPC stream, by framing
// alone: the first stream's schema message once, then every stream's record-batch messages, then
// one end-of-stream marker. Nothing is decoded or copied (apache-arrow's stream writer keeps every
// byte it ever wrote, so it cannot serve a large download). Used for `download?format=arrow`.
//
// IPC stream framing: each message is 0xFFFFFFFF, an int32 metadata length, the metadata
// (flatbuffer, padded), then the body; a schema message has no body. End of stream: 0xFFFFFFFF
// followed by int32 0. Stored batches hold no dictionaries (text is plain Utf8).
import { DataError } from "./errors.js";

const CONTINUATION = 0xffffffff;
const EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** Length of the first message (the schema): 8 framing bytes plus its metadata, no body. */
function schemaMessageLength(ipc: Uint8Array): number {
  const view = new DataView(ipc.buffer, ipc.byteOffset, ipc.byteLength);
  if (ipc.byteLength < 8 || view.getUint32(0, true) !== CONTINUATION) {
    throw new DataError("not an Arrow IPC stream (no continuation marker)");
  }
  const metadataLength = view.getInt32(4, true);
  if (metadataLength <= 0 || 8 + metadataLength > ipc.byteLength) throw new DataError("truncated Arrow IPC schema message");
  return 8 + metadataLength;
}

/** The record-batch messages of a stream: what follows the schema, without the end marker. */
function bodyMessages(ipc: Uint8Array, schemaLength: number): Uint8Array {
  const endsWithEos =
    ipc.byteLength >= schemaLength + 8 && EOS.every((b, i) => ipc[ipc.byteLength - 8 + i] === b);
  return ipc.subarray(schemaLength, endsWithEos ? ipc.byteLength - 8 : ipc.byteLength);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);
}

export async function* concatArrowStreams(streams: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  let schema: Uint8Array | undefined;
  for await (const ipc of streams) {
    const length = schemaMessageLength(ipc);
    const thisSchema = ipc.subarray(0, length);
    if (schema === undefined) {
      schema = thisSchema;
      yield schema;
    } else if (!sameBytes(schema, thisSchema)) {
      throw new DataError("Arrow IPC streams with different schemas cannot be joined into one stream");
    }
    const body = bodyMessages(ipc, length);
    if (body.byteLength > 0) yield body;
  }
  if (schema !== undefined) yield EOS;
}
