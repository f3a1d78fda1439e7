// Bad input to the datasets API (issue 3, point 8), against real processes: every malformed CSV,
// oversized body, unknown or unsafe id and bad parameter gets a clear 4xx JSON error naming the
// problem (the line, where there is one), and leaves nothing behind: no manifest, no upload key,
// no object on any store. There is no scheduler in this cluster, so no orphan cleanup can hide a
// leftover: the gateway must clean up after itself.
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientError, createChannel, createClient, Status, type Channel } from "nice-grpc";
import { datasetV1 } from "@dml/proto";
import { CLIENT_OPTIONS, StoreClients } from "@dml/runtime";
import { TestCluster, waitFor, type TestNode } from "@dml/testkit";
import type { Etcd3 } from "etcd3";
import { leftovers, postCsv, requestJson, uploadCsv, waitUntilNone, type DatasetView, type ErrorBody } from "./helpers/datasets.js";

const MAX_UPLOAD = 100_000;

let cluster: TestCluster;
let etcd: Etcd3;
let base: string;
let small: TestNode;
let valid: DatasetView;
const channels: Channel[] = [];
const stores = new StoreClients();
const known = new Set<string>();

const storeNodes = () => cluster.byRole("store").map((n) => ({ id: n.id, address: n.address }));

/** Waits (briefly: the gateway cleans up before it answers, or just after) until nothing is left. */
function expectNothingLeft(what: string): Promise<void> {
  return waitUntilNone(() => leftovers(etcd, stores, storeNodes(), known), { timeoutMs: 5_000, intervalMs: 100, message: `${what} left nothing behind` });
}

function expectError(res: { status: number; type: string; body: unknown }, status: number, code: string, message: RegExp): ErrorBody["error"] {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.type).toContain("application/json");
  const body = res.body as ErrorBody;
  expect(body.error.code).toBe(code);
  expect(body.error.message).toMatch(message);
  return body.error;
}

function goodRows(n: number, width = 2): string {
  let out = "";
  for (let i = 0; i < n; i++) out += `${Array.from({ length: width }, (_, j) => i * width + j).join(",")}\n`;
  return out;
}

beforeAll(async () => {
  cluster = await TestCluster.start({ stores: 3, gateways: 1, env: { DML_REPLICATION: "3" } });
  small = await cluster.startNode("gateway", { id: "gateway-small", env: { DML_MAX_UPLOAD_BYTES: String(MAX_UPLOAD) } });
  etcd = cluster.client();
  base = cluster.httpUrl;
  valid = await waitFor(
    async () => {
      const d = await uploadCsv(base, "a,b\n1,x\n2,y\n3,z\n", { name: "valid" });
      known.add(d.id);
      return d.replicas === 3 ? d : undefined;
    },
    { timeoutMs: 10_000, message: "an upload placed on three live stores" },
  );
});

afterAll(async () => {
  for (const c of channels) c.close();
  stores.close();
  await cluster?.stop();
});

describe("malformed CSV: 400 INVALID_ARGUMENT naming the problem, nothing left behind", () => {
  // rowsPerBatch=100: in the cases with a late error, batches were already written to the stores
  // when the error is found, so the gateway has to delete them.
  const cases: Array<{ name: string; body: string | Buffer; message: RegExp; line?: number; query?: Record<string, string> }> = [
    { name: "an empty body", body: "", message: /the file is empty/ },
    { name: "only blank lines (no header)", body: "\n\r\n\n", message: /no header row/ },
    { name: "a header and no rows", body: "a,b,c\n", message: /header but no data rows/, line: 1 },
    { name: "a header and no rows, no final newline", body: "a,b,c", message: /header but no data rows/ },
    { name: "duplicate column names", body: "a,b,a\n1,2,3\n", message: /duplicate column name "a" \(columns 1 and 3\)/, line: 1 },
    { name: "an empty column name", body: "a,,c\n1,2,3\n", message: /column 2 of the header has an empty name/, line: 1 },
    { name: "a blank column name", body: 'a," ",c\n1,2,3\n', message: /column 2 of the header has an empty name/, line: 1 },
    { name: "a row with too many fields, late in the file", body: `x,y\n${goodRows(1500)}1,2,3\n${goodRows(10)}`, message: /line 1502 has 3 fields, expected 2/, line: 1502 },
    { name: "a row with too few fields", body: "x,y\n1,2\n3\n4,5\n", message: /line 3 has 1 field, expected 2/, line: 3 },
    {
      name: "a wrong row after a quoted multi-line field (physical line numbers)",
      body: `x,y\n1,"two\nlines"\n${goodRows(300)}1\n`,
      message: /line 304 has 1 field, expected 2/,
      line: 304,
    },
    {
      name: "invalid UTF-8 (a Latin-1 é), late in the file",
      body: Buffer.concat([Buffer.from(`x,y\n${goodRows(1200)}`), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2c, 0x31, 0x0a])]),
      message: /line 1202.*invalid UTF-8 at byte offset \d+/,
      line: 1202,
    },
    { name: "a NUL byte", body: Buffer.concat([Buffer.from(`x,y\n${goodRows(700)}a`), Buffer.from([0]), Buffer.from("b,1\n")]), message: /NUL byte/, line: 702 },
    { name: "a binary file", body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), message: /invalid UTF-8|NUL byte/ },
    { name: "a quoted field never closed", body: `x,y\n${goodRows(400)}1,"open\n${goodRows(5)}`, message: /quoted field is never closed/, line: 402 },
    { name: "text after a closing quote", body: 'x,y\n1,"a"b\n', message: /after the closing quote/, line: 2 },
    { name: "a type override for a column the file lacks", body: "x,y\n1,2\n", query: { types: "z:category" }, message: /no such column/ },
    {
      name: "a value that does not fit the overridden type, late in the file",
      body: `x,y\n${goodRows(1000)}1,abc\n`,
      query: { types: "y:integer" },
      message: /line 1002, column 2 \("y"\): "abc" is not an integer/,
      line: 1002,
    },
  ];

  it.each(cases)("$name", async ({ body, message, line, query }) => {
    const res = await postCsv(base, body, { name: "bad", rowsPerBatch: "100", ...query });
    const error = expectError(res, 400, "INVALID_ARGUMENT", message);
    if (line !== undefined) expect(error.details["line"]).toBe(line);
    await expectNothingLeft("the failed upload");
  });

  it("the same errors through gRPC UploadDataset: INVALID_ARGUMENT with the line, nothing left", async () => {
    const channel = createChannel(cluster.byRole("gateway")[0]!.address, undefined, CLIENT_OPTIONS);
    channels.push(channel);
    const client = createClient(datasetV1.DatasetServiceDefinition, channel);
    const header = (name: string) => ({ part: { $case: "header" as const, header: { name, delimiter: "", typeOverrides: {}, rowsPerBatch: 100, expectedBytes: 0 } } });
    async function* upload(first: datasetV1.UploadDatasetRequest[], csv: string): AsyncIterable<datasetV1.UploadDatasetRequest> {
      yield* first;
      const bytes = Buffer.from(csv);
      for (let off = 0; off < bytes.length; off += 1000) yield { part: { $case: "chunk", chunk: bytes.subarray(off, off + 1000) } };
    }
    const failure = async (requests: AsyncIterable<datasetV1.UploadDatasetRequest>) => {
      const err = await client.uploadDataset(requests).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ClientError);
      return err as ClientError;
    };
    const wrongRow = await failure(upload([header("bad-grpc")], `x,y\n${goodRows(500)}1,2,3\n`));
    expect(Status[wrongRow.code]).toBe("INVALID_ARGUMENT");
    expect(wrongRow.details).toMatch(/line 502 has 3 fields, expected 2/);
    await expectNothingLeft("the failed gRPC upload");

    const noHeader = await failure(upload([], "x,y\n1,2\n"));
    expect(Status[noHeader.code]).toBe("INVALID_ARGUMENT");
    expect(noHeader.details).toMatch(/first UploadDatasetRequest must be a header/);

    const noName = await failure(upload([header("")], "x,y\n1,2\n"));
    expect(Status[noName.code]).toBe("INVALID_ARGUMENT");
    expect(noName.details).toMatch(/name/);

    const empty = await failure(upload([header("empty")], ""));
    expect(Status[empty.code]).toBe("INVALID_ARGUMENT");
    expect(empty.details).toMatch(/empty/);
    await expectNothingLeft("the failed gRPC uploads");
  });
});

describe("a body over DML_MAX_UPLOAD_BYTES: 413, the gateway stops reading", () => {
  /**
   * Streams CSV rows to `url` as fast as the connection takes them, up to `total` bytes, and goes
   * on sending after the answer arrives. Reports how much had been sent when the answer arrived,
   * and in all when the connection ended: a gateway that stopped reading never lets the rest in.
   */
  function streamUpload(
    url: string,
    total: number,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: ErrorBody; sentAtResponse: number; sentInAll: number }> {
    return new Promise((resolve, reject) => {
      const line = "12345,abcdefghij\n";
      const chunk = Buffer.from(line.repeat(Math.floor(16_384 / line.length)));
      const req = request(url, { method: "POST", headers: { "content-type": "text/csv", ...headers } });
      let sent = 0;
      let answer: { status: number; body: ErrorBody; sentAtResponse: number } | undefined;
      let ended = false;
      const deadline = setTimeout(() => {
        req.destroy();
        reject(new Error(`the connection was still open after sending ${sent} bytes (answer: ${JSON.stringify(answer)})`));
      }, 20_000);
      const end = () => {
        if (ended) return;
        ended = true;
        clearTimeout(deadline);
        req.destroy();
        if (answer) resolve({ ...answer, sentInAll: sent });
        else reject(new Error(`the connection ended after ${sent} bytes without an answer`));
      };
      req.on("error", end);
      req.on("close", end);
      req.on("response", (res) => {
        const sentAtResponse = sent;
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => (answer = { status: res.statusCode!, body: JSON.parse(text) as ErrorBody, sentAtResponse }));
      });
      req.write("a,b\n");
      sent += 4;
      const more = () => {
        while (!ended && sent < total) {
          const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
          sent += piece.length;
          if (!req.write(piece)) {
            req.once("drain", more);
            return;
          }
        }
        if (!ended) req.end();
      };
      more();
    });
  }

  const TOTAL = 64 * 1024 * 1024;

  it("a streamed (chunked) body: 413 once the limit is passed, while the client still had most to send", async () => {
    const res = await streamUpload(`${small.http}/v1/datasets?name=huge&rowsPerBatch=100`, TOTAL);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("RESOURCE_EXHAUSTED");
    expect(res.body.error.message).toMatch(/upload exceeds the limit of 100000 bytes \(DML_MAX_UPLOAD_BYTES\)/);
    expect(res.body.error.details).toEqual({ limitBytes: MAX_UPLOAD });
    // The answer came long before the 64 MiB were sent, and the gateway never read the rest: the
    // connection ended with most of it unsent (a gateway draining the body would take it all).
    expect(res.sentAtResponse).toBeGreaterThan(MAX_UPLOAD);
    expect(res.sentAtResponse).toBeLessThan(TOTAL / 4);
    expect(res.sentInAll).toBeLessThan(TOTAL / 4);
    await expectNothingLeft("the oversized upload");
  });

  it("a declared Content-Length over the limit: 413 before any byte is read", async () => {
    const res = await streamUpload(`${small.http}/v1/datasets?name=huge`, TOTAL, { "content-length": String(TOTAL) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("RESOURCE_EXHAUSTED");
    expect(res.sentAtResponse).toBeLessThan(TOTAL / 4);
    expect(res.sentInAll).toBeLessThan(TOTAL / 4);
    await expectNothingLeft("the oversized upload");
  });

  it("a multipart body over the limit: 413", async () => {
    const form = new FormData();
    form.append("file", new Blob([`a,b\n${goodRows(20_000)}`], { type: "text/csv" }), "big.csv");
    const res = await requestJson(`${small.http}/v1/datasets?rowsPerBatch=100`, { method: "POST", body: form });
    expectError(res, 413, "RESOURCE_EXHAUSTED", /exceeds the limit of 100000 bytes/);
    await expectNothingLeft("the oversized multipart upload");
  });

  it("gRPC UploadDataset over the limit: RESOURCE_EXHAUSTED", async () => {
    const channel = createChannel(small.address, undefined, CLIENT_OPTIONS);
    channels.push(channel);
    const client = createClient(datasetV1.DatasetServiceDefinition, channel);
    const body = Buffer.from(`a,b\n${goodRows(20_000)}`);
    async function* requests(expectedBytes: number): AsyncIterable<datasetV1.UploadDatasetRequest> {
      yield { part: { $case: "header", header: { name: "huge-grpc", delimiter: "", typeOverrides: {}, rowsPerBatch: 100, expectedBytes } } };
      for (let off = 0; off < body.length; off += 8192) yield { part: { $case: "chunk", chunk: body.subarray(off, off + 8192) } };
    }
    for (const expectedBytes of [0, body.length]) {
      const err = await client.uploadDataset(requests(expectedBytes)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, `expectedBytes=${expectedBytes}`).toBeInstanceOf(ClientError);
      expect(Status[(err as ClientError).code]).toBe("RESOURCE_EXHAUSTED");
      expect((err as ClientError).details).toMatch(/exceeds the limit of 100000 bytes/);
    }
    await expectNothingLeft("the oversized gRPC upload");
  });

  it("a body of exactly the limit is accepted", async () => {
    let csv = `a,b\n${goodRows(5_000)}`;
    csv += `${"z".repeat(MAX_UPLOAD - csv.length - 3)},1\n`;
    expect(Buffer.byteLength(csv)).toBe(MAX_UPLOAD);
    const dataset = await uploadCsv(small.http!, csv, { name: "at-the-limit" });
    known.add(dataset.id);
    expect(dataset.rows).toBe(5_001);
  });
});

describe("ids", () => {
  const routes = (id: string): Array<[string, string]> => [
    ["GET", `/v1/datasets/${id}`],
    ["GET", `/v1/datasets/${id}/rows`],
    ["GET", `/v1/datasets/${id}/download`],
    ["DELETE", `/v1/datasets/${id}`],
  ];

  it.each(["ds_0123456789abcdef", "nope", "x".repeat(64)])("an unknown id %s: 404 NOT_FOUND on get, rows, download and delete", async (id) => {
    for (const [method, path] of routes(id)) {
      const res = await requestJson(`${base}${path}`, { method });
      const error = expectError(res, 404, "NOT_FOUND", new RegExp(`dataset ${id} not found`));
      expect(error.details).toEqual({ datasetId: id });
    }
  });

  it.each(["..%2F..%2Fetc", "..%2F..%2Fetc%2Fpasswd", "a.b", "x".repeat(65), "with%20space", "%2Fdml%2Fnodes%2F", "%00", "%C3%A9t%C3%A9"])(
    "an id that does not match ^[A-Za-z0-9_-]{1,64}$ (%s): 400 on get, rows, download and delete",
    async (raw) => {
      for (const [method, path] of routes(raw)) {
        const res = await requestJson(`${base}${path}`, { method });
        const error = expectError(res, 400, "INVALID_ARGUMENT", /datasetId must match \^\[A-Za-z0-9_-\]\{1,64\}\$/);
        expect(error.details["field"]).toBe("datasetId");
      }
      expect(await leftovers(etcd, stores, storeNodes(), known)).toBeUndefined();
      expect((await requestJson(`${base}/v1/datasets/${valid.id}`)).status).toBe(200);
    },
  );

  it("the same through gRPC: INVALID_ARGUMENT for a bad id, NOT_FOUND for an unknown one", async () => {
    const channel = createChannel(cluster.byRole("gateway")[0]!.address, undefined, CLIENT_OPTIONS);
    channels.push(channel);
    const client = createClient(datasetV1.DatasetServiceDefinition, channel);
    const code = (p: Promise<unknown>) =>
      p.then(
        () => "OK",
        (e: unknown) => Status[(e as ClientError).code],
      );
    expect(await code(client.getDataset({ datasetId: "../../etc" }))).toBe("INVALID_ARGUMENT");
    expect(await code(client.getDataset({ datasetId: "" }))).toBe("INVALID_ARGUMENT");
    expect(await code(client.getDatasetRows({ datasetId: "a/b", offset: 0, limit: 1 }))).toBe("INVALID_ARGUMENT");
    expect(await code(client.deleteDataset({ datasetId: "a b" }))).toBe("INVALID_ARGUMENT");
    expect(await code(client.getDataset({ datasetId: "ds_unknown" }))).toBe("NOT_FOUND");
    expect(await code(client.deleteDataset({ datasetId: "ds_unknown" }))).toBe("NOT_FOUND");
    const stream = async () => {
      for await (const _ of client.streamDatasetBatches({ datasetId: "ds_unknown", batchIndexes: [] })) void _;
    };
    expect(await code(stream())).toBe("NOT_FOUND");
    const outOfRange = async () => {
      for await (const _ of client.streamDatasetBatches({ datasetId: valid.id, batchIndexes: [7] })) void _;
    };
    expect(await code(outOfRange())).toBe("INVALID_ARGUMENT");
  });
});

describe("parameters", () => {
  it.each([
    ["limit=0", /query parameter limit must be an integer between 1 and 10000/],
    ["limit=10001", /query parameter limit must be an integer between 1 and 10000/],
    ["limit=ten", /query parameter limit must be/],
    ["offset=-1", /query parameter offset must be an integer between 0 and/],
    ["offset=1.5", /query parameter offset must be/],
  ])("GET rows?%s: 400 naming the parameter", async (query, message) => {
    const res = await requestJson(`${base}/v1/datasets/${valid.id}/rows?${query}`);
    const error = expectError(res, 400, "INVALID_ARGUMENT", message);
    expect(error.details["field"]).toBe(query.split("=")[0]);
  });

  it("GET download?format=xml: 400 naming the parameter and the choices", async () => {
    const res = await requestJson(`${base}/v1/datasets/${valid.id}/download?format=xml`);
    const error = expectError(res, 400, "INVALID_ARGUMENT", /query parameter format must be one of csv, arrow/);
    expect(error.details).toEqual({ field: "format", value: "xml" });
  });

  it.each([
    [{ types: "a:weird" }, /types must be column:type pairs with type one of integer, number, boolean, category, string; got "a:weird"/],
    [{ types: "nocolon" }, /types must be column:type pairs/],
    [{ types: ":integer" }, /types must be column:type pairs/],
    [{ delimiter: "ab" }, /delimiter must be one character/],
    [{ delimiter: '"' }, /delimiter must be one character other than a quote/],
    [{ rowsPerBatch: "-1" }, /query parameter rowsPerBatch must be an integer/],
    [{ rowsPerBatch: "many" }, /query parameter rowsPerBatch must be an integer/],
    [{ rowsPerBatch: "2000000" }, /query parameter rowsPerBatch must be an integer/],
  ])("POST /v1/datasets?%o: 400, nothing left", async (params, message) => {
    const res = await postCsv(base, `a,b\n${goodRows(500)}`, { name: "params", ...(params as Record<string, string>) });
    expectError(res, 400, "INVALID_ARGUMENT", message);
    await expectNothingLeft("the refused upload");
  });

  it("POST /v1/datasets without a name (or with one too long): 400 naming the field", async () => {
    const noName = await requestJson(`${base}/v1/datasets`, { method: "POST", headers: { "content-type": "text/csv" }, body: "a,b\n1,2\n" });
    const error = expectError(noName, 400, "INVALID_ARGUMENT", /name is required/);
    expect(error.details).toEqual({ field: "name" });
    const empty = await postCsv(base, "a,b\n1,2\n", { name: "" });
    expectError(empty, 400, "INVALID_ARGUMENT", /name is required/);
    const long = await postCsv(base, "a,b\n1,2\n", { name: "n".repeat(257) });
    expectError(long, 400, "INVALID_ARGUMENT", /1 to 256 characters/);
    const form = new FormData();
    form.append("other", new Blob(["a,b\n1,2\n"]), "x.csv");
    const noFile = await requestJson(`${base}/v1/datasets?name=x`, { method: "POST", body: form });
    expectError(noFile, 400, "INVALID_ARGUMENT", /multipart upload has no "file" field/);
    await expectNothingLeft("the refused uploads");
  });

  it("the valid dataset is untouched by all of the above", async () => {
    const list = await requestJson<{ datasets: DatasetView[] }>(`${base}/v1/datasets`);
    expect(new Set(list.body.datasets.map((d) => d.id))).toEqual(known);
    const rows = await requestJson<{ rows: unknown[] }>(`${base}/v1/datasets/${valid.id}/rows`);
    expect(rows.body.rows).toEqual([
      { a: 1, b: "x" },
      { a: 2, b: "y" },
      { a: 3, b: "z" },
    ]);
    await expectNothingLeft("everything");
  });
});
