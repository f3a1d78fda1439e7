// Bodies in and out shared by the REST routes: a streamed response that respects backpressure and
// stops when the client goes away, and a JSON request body whose refusal closes the connection.
import type { IncomingMessage, ServerResponse } from "node:http";
import { readJsonBody } from "./json-body.js";

/** Waits for the socket to take more, or for the client to go away (then no drain ever comes). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
  });
}

/** Writes the chunks and ends the response. Leaving early (client gone) ends the chunks' iterator, which closes its source. */
export async function pipeChunks(res: ServerResponse, chunks: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const chunk of chunks) {
    if (!res.write(chunk)) await drained(res);
    if (res.destroyed) return;
  }
  res.end();
}

/** A create request's JSON body; when it is refused unread, the connection is not kept for another request. */
export async function readJsonRequest(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  try {
    return await readJsonBody(req);
  } catch (err) {
    if (!req.complete) res.setHeader("connection", "close");
    throw err;
  }
}
