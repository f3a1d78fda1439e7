// The bytes of an upload, streamed: either the raw request body (text/csv) or the `file` field
// of a multipart/form-data form. Never buffered whole; the size limit is enforced while reading,
// so an oversized body is refused without reading it all (RESOURCE_EXHAUSTED -> 413).
import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import busboy from "busboy";
import { DmlError } from "@dml/runtime";

export interface UploadBody {
  /** The multipart file's name without extension, when the client sent one. */
  filename?: string;
  /** Other multipart fields sent before the file (e.g. name, types). */
  fields: Record<string, string>;
  chunks: AsyncIterable<Uint8Array>;
}

function tooLarge(limit: number): DmlError {
  return new DmlError("TOO_LARGE", `upload exceeds the limit of ${limit} bytes (DML_MAX_UPLOAD_BYTES)`, { limitBytes: limit });
}

/** Counts bytes as they pass and fails the stream once they exceed `limit`. */
async function* limited(source: AsyncIterable<Uint8Array>, limit: number): AsyncIterable<Uint8Array> {
  let seen = 0;
  for await (const chunk of source) {
    seen += chunk.byteLength;
    if (seen > limit) throw tooLarge(limit);
    yield chunk;
  }
}

export async function readUploadBody(req: IncomingMessage, maxBytes: number): Promise<UploadBody> {
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const type = req.headers["content-type"] ?? "";
  if (!type.toLowerCase().startsWith("multipart/form-data")) {
    return { fields: {}, chunks: limited(req, maxBytes) };
  }
  return new Promise<UploadBody>((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { files: 1, fields: 20, fieldSize: 64 * 1024 } });
    } catch (err) {
      reject(new DmlError("INVALID_ARGUMENT", `bad multipart request: ${(err as Error).message}`));
      return;
    }
    const fields: Record<string, string> = {};
    let found = false;
    bb.on("field", (name, value) => (fields[name] = value));
    bb.on("file", (name: string, stream: Readable, info: busboy.FileInfo) => {
      if (name !== "file" || found) {
        stream.resume();
        return;
      }
      found = true;
      const filename = info.filename ? info.filename.replace(/\.[^.]*$/, "") : undefined;
      resolve({ ...(filename && { filename }), fields, chunks: limited(stream, maxBytes) });
    });
    bb.on("error", (err) => reject(new DmlError("INVALID_ARGUMENT", `bad multipart request: ${(err as Error).message}`)));
    bb.on("close", () => {
      if (!found) reject(new DmlError("INVALID_ARGUMENT", 'multipart upload has no "file" field', { field: "file" }));
    });
    req.pipe(bb);
  });
}
