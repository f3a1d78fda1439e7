import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { GatewayError } from "./gateway-client.js";
import { readSse, SseParser, type SseEvent } from "./sse.js";

const STREAM =
  ": keepalive\n\n" +
  "id: 7\nevent: snapshot\ndata: {\"a\":1}\n\n" +
  ": another comment\n" +
  "id: 8\r\nevent: progress\r\ndata: line one\r\ndata: line two\r\n\r\n" +
  "data:no-space\rdata:  two spaces\r\r" +
  "id: 9\nevent: state\ndata\n\n";

const EXPECTED: SseEvent[] = [
  { event: "snapshot", data: '{"a":1}', id: "7" },
  { event: "progress", data: "line one\nline two", id: "8" },
  { event: "message", data: "no-space\n two spaces", id: "8" },
  { event: "state", data: "", id: "9" },
];

function feed(chunks: string[]): SseEvent[] {
  const p = new SseParser();
  return chunks.flatMap((c) => p.push(c));
}

describe("SseParser", () => {
  it("parses a whole stream: ids, event types, multi-line data, comments, \\r\\n and \\r line ends", () => {
    expect(feed([STREAM])).toEqual(EXPECTED);
  });

  it("gives the same events however the stream is split into chunks", () => {
    for (let i = 0; i <= STREAM.length; i++) {
      expect(feed([STREAM.slice(0, i), STREAM.slice(i)]), `split at ${i}`).toEqual(EXPECTED);
    }
    expect(feed([...STREAM])).toEqual(EXPECTED); // one character at a time
  });

  it("treats a \\r at the end of a chunk followed by \\n as one line end", () => {
    expect(feed(["data: x\r", "\n\r", "\n"])).toEqual([{ event: "message", data: "x" }]);
  });

  it("ignores comments and blank lines without data, and keeps an unfinished event pending", () => {
    const p = new SseParser();
    expect(p.push(": keepalive\n\n\n: again\n\n")).toEqual([]);
    expect(p.push("event: state\ndata: {}\n")).toEqual([]);
    expect(p.push("\n")).toEqual([{ event: "state", data: "{}" }]);
  });

  it("carries the last id over to later events and starts from the given one", () => {
    const p = new SseParser("41");
    expect(p.push("data: a\n\nid: 42\n\ndata: b\n\n")).toEqual([
      { event: "message", data: "a", id: "41" },
      { event: "message", data: "b", id: "42" },
    ]);
    expect(p.lastEventId).toBe("42");
  });

  it("reads retry hints, ignores unknown fields and a leading BOM", () => {
    const p = new SseParser();
    expect(p.push("\uFEFFretry: 1500\nfoo: bar\ndata: x\n\n")).toEqual([{ event: "message", data: "x" }]);
    expect(p.retryMs).toBe(1500);
  });
});

describe("readSse", () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
  });

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
    server = createServer(handler);
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  }

  it("reconnects after a dropped connection with Last-Event-ID and misses nothing", async () => {
    const seenIds: Array<string | undefined> = [];
    const url = await serve((req, res) => {
      const last = req.headers["last-event-id"] as string | undefined;
      seenIds.push(last);
      res.writeHead(200, { "content-type": "text/event-stream" });
      const from = last === undefined ? 1 : Number(last) + 1;
      if (from === 1) {
        // Two events, half of a third, then the connection dies.
        res.write("id: 1\ndata: one\n\nid: 2\ndata: two\n\nid: 3\nda");
        setTimeout(() => res.socket?.destroy(), 20);
      } else {
        for (let i = from; i <= 4; i++) res.write(`id: ${i}\ndata: ${i}\n\n`);
        res.end();
      }
    });
    const got: string[] = [];
    let reconnects = 0;
    for await (const ev of readSse({ url }, "/events", { retryDelayMs: 10, onReconnect: () => reconnects++ })) {
      got.push(`${ev.id}:${ev.data}`);
      if (ev.id === "4") break;
    }
    expect(got).toEqual(["1:one", "2:two", "3:3", "4:4"]);
    expect(seenIds).toEqual([undefined, "2"]);
    expect(reconnects).toBe(1);
  });

  it("treats a connection that goes silent as dropped and resumes it", async () => {
    let requests = 0;
    const url = await serve((req, res) => {
      requests++;
      res.writeHead(200, { "content-type": "text/event-stream" });
      if (req.headers["last-event-id"] === "1") res.end("id: 2\ndata: two\n\n");
      else res.write("id: 1\ndata: one\n\n"); // then nothing, not even a keepalive
    });
    const got: string[] = [];
    for await (const ev of readSse({ url }, "/events", { retryDelayMs: 1, idleTimeoutMs: 150 })) {
      got.push(ev.data);
      if (ev.id === "2") break;
    }
    expect(got).toEqual(["one", "two"]);
    expect(requests).toBe(2);
  });

  it("does not retry a 4xx and surfaces the gateway's error", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "NOT_FOUND", message: "no training t1", details: {} } }));
    });
    const it = readSse({ url }, "/v1/trainings/t1/events", { retryDelayMs: 10 });
    await expect(it.next()).rejects.toThrow("NOT_FOUND: no training t1");
  });

  it("gives up after maxRetries consecutive failures", async () => {
    let requests = 0;
    const url = await serve((_req, res) => {
      requests++;
      res.writeHead(503);
      res.end();
    });
    const it = readSse({ url }, "/events", { retryDelayMs: 1, maxRetries: 2 });
    await expect(it.next()).rejects.toBeInstanceOf(GatewayError);
    expect(requests).toBe(3);
  });
});
