// The worker thread side of ThreadedIngest (ingest-thread.ts): one CsvIngest per session, fed
// the upload's bytes, answering each chunk with the batches it completed. Sessions are numbered
// so that messages of an abandoned upload are never mistaken for the next one's.
import { parentPort } from "node:worker_threads";
import { serializeError } from "./errors.js";
import { CsvIngest, type IngestBatch } from "./ingest.js";
import type { FromIngestWorker, ToIngestWorker } from "./ingest-thread.js";

const port = parentPort;
if (port === null) throw new Error("ingest-worker.js runs only as a worker thread");

let session: { id: number; ingest: CsvIngest } | undefined;

/** Posts a message, moving each batch's IPC bytes instead of copying them. */
function post(message: FromIngestWorker, batches: readonly IngestBatch[] = []): void {
  const transfer: ArrayBuffer[] = [];
  for (const b of batches) {
    const whole = b.ipc.byteOffset === 0 && b.ipc.byteLength === b.ipc.buffer.byteLength && b.ipc.buffer instanceof ArrayBuffer;
    if (!whole) b.ipc = b.ipc.slice(); // a view of a larger buffer: send a copy of its own
    transfer.push(b.ipc.buffer as ArrayBuffer);
  }
  port!.postMessage(message, transfer);
}

port.on("message", (m: ToIngestWorker) => {
  if (m.type === "start") {
    session = { id: m.session, ingest: new CsvIngest({ ...m.options, adoptChunks: true }) };
    return;
  }
  if (m.type === "reset") {
    session = undefined;
    return;
  }
  const current = session;
  if (current === undefined || current.id !== m.session) return; // an abandoned session's leftovers
  try {
    if (m.type === "chunk") {
      const batches = current.ingest.push(m.bytes);
      post({ type: "parsed", session: current.id, bytes: m.bytes.byteLength, batches }, batches);
      return;
    }
    // "end": the last batches go out before their statistics are counted.
    const batches = current.ingest.end();
    post({ type: "ended", session: current.id, batches }, batches);
    const result = current.ingest.finish();
    session = undefined;
    post({ type: "result", session: current.id, result });
  } catch (err) {
    session = undefined;
    post({ type: "error", session: current.id, error: serializeError(err) });
  }
});
