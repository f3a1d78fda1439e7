// The worker thread side of a PartSession (ingest-pool.ts): one CsvIngest per session over a
// part of an upload (the header, then a run of its records), answering each chunk with the
// batches it completed and the end with what the part saw (IngestPart). Sessions are numbered so
// that messages of an abandoned session are never mistaken for the next one's.
import { parentPort } from "node:worker_threads";
import { serializeError } from "./errors.js";
import { CsvIngest, type IngestBatch } from "./ingest.js";
import type { FromIngestWorker, ToIngestWorker } from "./ingest-pool.js";

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

function handle(m: Exclude<ToIngestWorker, { type: "reset" }>, current: { id: number; ingest: CsvIngest }): void {
  switch (m.type) {
    case "start":
      current.ingest.push(m.header);
      return;
    case "chunk": {
      const batches = current.ingest.push(m.bytes);
      post({ type: "parsed", session: current.id, bytes: m.bytes.byteLength, batches }, batches);
      return;
    }
    case "end": {
      // The last batches go out before their statistics are counted.
      const batches = current.ingest.end();
      post({ type: "ended", session: current.id, batches, floors: current.ingest.floorTypes }, batches);
      const part = current.ingest.part();
      session = undefined;
      post({ type: "part", session: current.id, part, header: [...current.ingest.header!] });
      return;
    }
  }
}

port.on("message", (m: ToIngestWorker) => {
  if (m.type === "reset") {
    session = undefined;
    return;
  }
  if (m.type === "start") {
    const ingest = new CsvIngest({ ...m.options, adoptChunks: true });
    session = { id: m.session, ingest };
  }
  const current = session;
  if (current === undefined || current.id !== m.session) return; // an abandoned session's leftovers
  try {
    handle(m, current);
  } catch (err) {
    session = undefined;
    post({ type: "error", session: current.id, error: serializeError(err) });
  }
});
