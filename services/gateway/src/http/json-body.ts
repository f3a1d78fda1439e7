// Small JSON request bodies (create requests): read whole, capped, parsed with an error that says why.
import type { IncomingMessage } from "node:http";
import { DmlError } from "@dml/runtime";

export const MAX_JSON_BYTES = 1024 * 1024;

export async function readJsonBody(req: IncomingMessage, limit = MAX_JSON_BYTES): Promise<unknown> {
  const declared = Number(req.headers["content-length"]);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") throw new DmlError("INVALID_ARGUMENT", "the request body must be a JSON object; it is empty", { field: "body" });
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new DmlError("INVALID_ARGUMENT", `the request body is not valid JSON: ${(err as Error).message}`, { field: "body" });
  }
}

function tooLarge(limit: number): DmlError {
  return new DmlError("INVALID_ARGUMENT", `the request body exceeds ${limit} bytes`, { field: "body", limitBytes: limit });
}
