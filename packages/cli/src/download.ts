// Saving a download: streamed to FILE.part and renamed once complete, so FILE is either the whole
// body or absent; the part file is removed on any error, a body shorter than its Content-Length
// included.
import { createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GatewayError } from "./gateway-client.js";

/** Writes the response body to `output`; returns its size. `what` names the download in errors. */
export async function saveDownload(res: Response, output: string, what: string): Promise<number> {
  const part = `${output}.part`;
  try {
    await pipeline(Readable.fromWeb(res.body as never), createWriteStream(part));
    const expected = Number(res.headers.get("content-length") ?? NaN);
    const { size } = await stat(part);
    if (Number.isFinite(expected) && size !== expected) throw new Error(`the download stopped after ${size} of ${expected} bytes`);
    await rename(part, output);
    return size;
  } catch (err) {
    await rm(part, { force: true });
    throw new GatewayError(0, `download of ${what} failed, nothing written: ${(err as Error).message}`);
  }
}
