// Memory stays bounded whatever the upload's size: a gateway whose V8 heap is capped well below
// the file's size ingests it (streamed, parsed batch by batch, written, forgotten).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Readable } from "node:stream";
import { TestCluster } from "@dml/testkit";

const HEAP_MB = 96;
const ROWS = 2_000_000;
const COLS = 10;

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await TestCluster.start({ stores: 3 });
  await cluster.startNode("gateway", { env: { NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}` } });
});

afterAll(async () => {
  await cluster?.stop();
});

/** A numeric CSV generated on the fly, ~1 MB at a time: the test never holds the whole file. */
function* csvChunks(): Iterable<Buffer> {
  yield Buffer.from(Array.from({ length: COLS }, (_, j) => `c${j}`).join(",") + "\n");
  const rowsPerChunk = 10_000;
  for (let start = 0; start < ROWS; start += rowsPerChunk) {
    let text = "";
    for (let i = start; i < start + rowsPerChunk; i++) {
      text += `${i},${(i * 0.5).toFixed(3)},${i % 97},${(i % 1000) / 7},${-i},${i * 3},${(i % 13) * 1.25},${i % 2},${i + 0.125},${i % 7}\n`;
    }
    yield Buffer.from(text);
  }
}

describe("upload memory", () => {
  it(`ingests a CSV larger than the gateway's ${HEAP_MB} MB heap`, async () => {
    let bytes = 0;
    const body = Readable.from(
      (function* () {
        for (const chunk of csvChunks()) {
          bytes += chunk.byteLength;
          yield chunk;
        }
      })(),
    );
    const res = await fetch(`${cluster.httpUrl}/v1/datasets?name=big`, {
      method: "POST",
      headers: { "content-type": "text/csv" },
      body: Readable.toWeb(body) as unknown as RequestInit["body"],
      duplex: "half",
    } as RequestInit);
    const dataset = (await res.json()) as { rows: number; batches: number; columns: Array<{ type: string }> };
    expect(res.status).toBe(201);
    expect(bytes).toBeGreaterThan(1.3 * HEAP_MB * 1024 * 1024);
    expect(dataset.rows).toBe(ROWS);
    expect(dataset.batches).toBeGreaterThan(20);
    expect(dataset.columns).toHaveLength(COLS);
    // The gateway is still alive and serving.
    expect((await fetch(`${cluster.httpUrl}/healthz`)).status).toBe(200);
  }, 180_000);
});
