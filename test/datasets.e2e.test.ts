// Datasets end to end (issue 3): a real etcd, three real stores and a gateway, driven over REST,
// the public gRPC API and the CLI. Round trips of messy CSVs value for value (rows, CSV and Arrow
// downloads), type inference and promotion across batches, type overrides, the iris fixture's
// schema and statistics, multi-batch datasets replicated R = 3 in the etcd manifest, multipart and
// gRPC and CLI uploads, StreamDatasetBatches, and DELETE removing the manifest and every file.
//
// Expected values are computed here from the uploaded text (generator + @dml/data's parser), never
// read back from the server.
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tableFromIPC } from "apache-arrow";
import { createChannel, createClient, type Channel } from "nice-grpc";
import { datasetV1 } from "@dml/proto";
import { CLIENT_OPTIONS, computeChecksum, StoreClients } from "@dml/runtime";
import { REPO_ROOT } from "@dml/cli";
import { TestCluster, waitFor } from "@dml/testkit";
import type { Etcd3 } from "etcd3";
import {
  allRows,
  ARROW_TYPE,
  arrowRowsOf,
  download,
  getDataset,
  getRows,
  leftovers,
  objectsOnStores,
  readManifest,
  requestJson,
  rng,
  typedRowsOf,
  uploadCsv,
  type Cell,
  type ColumnType,
  type DatasetView,
  type Row,
} from "./helpers/datasets.js";

const CLI = join(REPO_ROOT, "packages", "cli", "dist", "main.js");
const IRIS = join(REPO_ROOT, "test", "fixtures", "iris.csv");

let cluster: TestCluster;
let etcd: Etcd3;
let base: string;
let channel: Channel;
let grpc: datasetV1.DatasetServiceClient;
const stores = new StoreClients();
const storeNodes = () => cluster.byRole("store").map((n) => ({ id: n.id, address: n.address }));

beforeAll(async () => {
  if (!existsSync(IRIS)) {
    mkdirSync(join(REPO_ROOT, "test", "fixtures"), { recursive: true });
    copyFileSync("/work/shared/data/iris.csv", IRIS);
  }
  cluster = await TestCluster.start({ stores: 3, gateways: 1, env: { DML_REPLICATION: "3" } });
  etcd = cluster.client();
  base = cluster.httpUrl;
  channel = createChannel(cluster.byRole("gateway")[0]!.address, undefined, CLIENT_OPTIONS);
  grpc = createClient(datasetV1.DatasetServiceDefinition, channel);
  // Uploads place batches on the stores the gateway sees as live: wait until it sees all three.
  await waitFor(async () => (await uploadCsv(base, "x\n1\n", { name: "warm-up" })).replicas === 3 || undefined, {
    timeoutMs: 10_000,
    message: "the gateway sees three live stores",
  });
});

afterAll(async () => {
  channel?.close();
  stores.close();
  await cluster?.stop();
});

// ---- a messy CSV, generated with the values it stands for ---------------------------------------

interface MessyFile {
  /** The bytes as uploaded: UTF-8 BOM, CRLF line ends, no final line end. */
  bytes: Buffer;
  columns: Array<{ name: string; type: ColumnType }>;
  /** What each row means. */
  rows: Row[];
  missing: Record<string, number>;
}

/** [text as written in the file, value it means]. */
type Spelled = [string, Cell];

const NAMES = [
  "plain",
  "comma, inside",
  'quote "inside" here',
  "multi\nline",
  "crlf\r\ninside",
  "  padded both sides  ",
  "Zoë Ünïcödé",
  "日本語テキスト",
  "emoji 🎉🚀 ok",
  "tab\tinside",
  '"fully quoted"',
  "semi;colon",
  "ends with comma,",
  'all, "of"\nthem\r\nat once',
  "null-ish but not: nullable",
];
const CITIES: Spelled[] = [
  ["Paris", "Paris"],
  ["São Paulo", "São Paulo"],
  ["北京", "北京"],
  ["New York, NY", "New York, NY"],
  ["Zürich", "Zürich"],
  ["N/A", null],
  ["", null],
];
const SCORES: Spelled[] = [
  ["3.14", 3.14],
  ["-2.5", -2.5],
  ["1e3", 1000],
  ["-4.2E-2", -0.042],
  [".5", 0.5],
  ["7.", 7],
  ["6.02e23", 6.02e23],
  ["-1.25e-7", -1.25e-7],
  ["12", 12],
  [" 2.5 ", 2.5],
  ["", null],
  ["NA", null],
  ["NaN", null],
  ["null", null],
  ["#N/A", null],
];
const FLAGS: Spelled[] = [
  ["true", true],
  ["false", false],
  ["TRUE", true],
  ["False", false],
  ["", null],
  ["NA", null],
];
const COUNTS: Spelled[] = [
  ["-12", -12],
  ["0", 0],
  ["42", 42],
  ["007", 7],
  ["9007199254740991", 9007199254740991],
  ["-9007199254740991", -9007199254740991],
  ["", null],
  ["null", null],
  ["n/a", null],
];

function quote(field: string, force: boolean): string {
  return force || /[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

function messyFile(rowCount: number, seed: number): MessyFile {
  const random = rng(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const columns: MessyFile["columns"] = [
    { name: "id", type: "integer" },
    { name: "name", type: "string" },
    { name: "city, country", type: "category" },
    { name: "score", type: "number" },
    { name: "flag", type: "boolean" },
    { name: "count", type: "integer" },
  ];
  const lines = [columns.map((c) => quote(c.name, false)).join(",")];
  const rows: Row[] = [];
  const missing: Record<string, number> = Object.fromEntries(columns.map((c) => [c.name, 0]));
  for (let i = 0; i < rowCount; i++) {
    const name = `${NAMES[i % NAMES.length]} (${i})`;
    // The first rows carry every spelling, so each batch-sized stretch sees decimals and booleans.
    const cells: Spelled[] = [
      [String(i + 1), i + 1],
      [name, name],
      i < CITIES.length ? CITIES[i]! : pick(CITIES),
      i < SCORES.length ? SCORES[i]! : pick(SCORES),
      i < FLAGS.length ? FLAGS[i]! : pick(FLAGS),
      i < COUNTS.length ? COUNTS[i]! : pick(COUNTS),
    ];
    const row: Row = {};
    cells.forEach(([, value], j) => {
      row[columns[j]!.name] = value;
      if (value === null) missing[columns[j]!.name]!++;
    });
    rows.push(row);
    // Quote some fields that need no quotes too (a quoted number is still a number).
    lines.push(cells.map(([text]) => quote(text, random() < 0.2)).join(","));
  }
  const text = lines.join("\r\n");
  return { bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, "utf8")]), columns, rows, missing };
}

function expectSchema(dataset: DatasetView, columns: ReadonlyArray<{ name: string; type: ColumnType }>): void {
  expect(dataset.columns.map((c) => ({ name: c.name, type: c.type }))).toEqual(columns);
}

/** Rows, CSV download and Arrow download all equal `expected`. */
async function expectRoundTrip(id: string, expected: Row[]): Promise<void> {
  const dataset = await getDataset(base, id);
  expect(dataset.rows).toBe(expected.length);
  expect(await allRows(base, id, 37)).toEqual(expected);

  const csv = await download(base, id, "csv");
  expect(csv.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])), "no BOM in downloads").toBe(false);
  expect(typedRowsOf(csv, dataset.columns)).toEqual(expected);

  const arrow = arrowRowsOf(await download(base, id, "arrow"));
  expect(arrow.types).toEqual(Object.fromEntries(dataset.columns.map((c) => [c.name, ARROW_TYPE[c.type]])));
  expect(arrow.rows).toEqual(expected);
}

// ---- tests -----------------------------------------------------------------------------------------

describe("round trip of messy CSVs", () => {
  const messy = messyFile(200, 7);

  it("the test's own expectation agrees with @dml/data's parser on the generated file", () => {
    expect(typedRowsOf(messy.bytes, messy.columns.map((c) => ({ ...c, missing: 0, stats: { distinct: 0 } })))).toEqual(messy.rows);
  });

  it("quotes, commas, newlines, CRLF, a BOM, unicode, missing markers, exponents and booleans come back value for value", async () => {
    const dataset = await uploadCsv(base, messy.bytes, { name: "messy", rowsPerBatch: "64" });
    expect(dataset).toMatchObject({ name: "messy", rows: 200, batches: 4, replicas: 3, warnings: [] });
    expectSchema(dataset, messy.columns);
    expect(Object.fromEntries(dataset.columns.map((c) => [c.name, c.missing]))).toEqual(messy.missing);
    await expectRoundTrip(dataset.id, messy.rows);
  });

  it("GET /rows pages agree with the file: within a batch, across a batch boundary, up to and past the end", async () => {
    const dataset = await uploadCsv(base, messy.bytes, { name: "messy-pages", rowsPerBatch: "64" });
    const pages: Array<[number, number]> = [
      [0, 1],
      [10, 20],
      [60, 10], // batch 0 -> batch 1
      [63, 66], // last of batch 0, all of batch 1, first of batch 2
      [128, 64],
      [190, 100], // runs past the end: 10 rows
      [199, 1],
      [200, 5], // at the end: none
      [5000, 10], // far past the end: none
    ];
    for (const [offset, limit] of pages) {
      const page = await getRows(base, dataset.id, offset, limit);
      expect(page.total).toBe(200);
      expect(page.columns).toEqual(messy.columns.map((c) => c.name));
      expect(page.rows, `rows ${offset}..+${limit}`).toEqual(messy.rows.slice(offset, offset + limit));
    }
    // Defaults: offset 0, limit 100.
    const defaults = await requestJson<{ rows: Row[] }>(`${base}/v1/datasets/${dataset.id}/rows`);
    expect(defaults.body.rows).toEqual(messy.rows.slice(0, 100));
  });

  it("another delimiter (?delimiter=tab, and ;) with commas left unquoted in the values", async () => {
    const tsv = "city\tpopulation\tnote\r\nBerlin\t3.7e6\tcapital, big\r\nBonn\t330000\t\r\nKöln\tNA\t\"tab\tquoted\"\r\n";
    const dataset = await uploadCsv(base, tsv, { name: "tsv", delimiter: "tab" });
    expectSchema(dataset, [
      { name: "city", type: "string" },
      { name: "population", type: "number" },
      { name: "note", type: "string" },
    ]);
    const expected = [
      { city: "Berlin", population: 3.7e6, note: "capital, big" },
      { city: "Bonn", population: 330000, note: null },
      { city: "Köln", population: null, note: "tab\tquoted" },
    ];
    expect(typedRowsOf(tsv, dataset.columns, "\t")).toEqual(expected);
    await expectRoundTrip(dataset.id, expected);

    const semi = await uploadCsv(base, "a;b\n1,5;x\n2;y\n", { name: "semicolons", delimiter: ";" });
    expectSchema(semi, [
      { name: "a", type: "string" },
      { name: "b", type: "string" },
    ]);
    expect((await getRows(base, semi.id, 0, 10)).rows).toEqual([
      { a: "1,5", b: "x" },
      { a: "2", b: "y" },
    ]);
  });
});

describe("edge cases of the round trip", () => {
  it("a one-column file with missing values, lone CR line ends, unicode column names, a 1 MB quoted field", async () => {
    const single = "only\r1\r\r2\r\"\"\r3\rNA\r4";
    const one = await uploadCsv(base, single, { name: "one-column" });
    expectSchema(one, [{ name: "only", type: "integer" }]);
    // Blank lines are skipped; a quoted empty cell is a row with a missing value.
    await expectRoundTrip(one.id, [{ only: 1 }, { only: 2 }, { only: null }, { only: 3 }, { only: null }, { only: 4 }]);

    const big = `${"x".repeat(200_000)}\n"with ""quotes"", commas\r\nand lines"\n${"é".repeat(300_000)}`;
    const wide = `"größe 📏","naïve, ok",constructor\n1.5,"${big.replace(/"/g, '""')}",a\n-2,short,b\n`;
    const w = await uploadCsv(base, wide, { name: "wide" });
    expectSchema(w, [
      { name: "größe 📏", type: "number" },
      { name: "naïve, ok", type: "string" },
      { name: "constructor", type: "string" },
    ]);
    await expectRoundTrip(w.id, [
      { "größe 📏": 1.5, "naïve, ok": big, constructor: "a" },
      { "größe 📏": -2, "naïve, ok": "short", constructor: "b" },
    ]);
  });

  it("integers beyond 2^53 stay exact in the CSV and Arrow downloads (rows carry JSON numbers)", async () => {
    const values = ["9223372036854775807", "-9223372036854775808", "9007199254740993", "+5", "0"];
    const dataset = await uploadCsv(base, `n\n${values.join("\n")}\n`, { name: "big-ints" });
    expectSchema(dataset, [{ name: "n", type: "integer" }]);
    const csv = (await download(base, dataset.id)).toString("utf8");
    expect(csv).toBe(`n\n${values.map((v) => BigInt(v).toString()).join("\n")}\n`);
    const column = tableFromIPC(await download(base, dataset.id, "arrow")).getChild("n")!;
    expect(Array.from({ length: values.length }, (_, i) => column.get(i) as bigint)).toEqual(values.map((v) => BigInt(v)));
    expect((await getRows(base, dataset.id, 0, 10)).rows.map((r) => r["n"])).toEqual(values.map((v) => Number(v)));
  });
});

describe("type inference and promotion", () => {
  it("promotes across batches: integer -> number, integer -> string, boolean -> text, all-missing -> integer", async () => {
    // rowsPerBatch=5: batch 0 = rows 1-5, batch 1 = rows 6-10, batch 2 = rows 11-15.
    const header = "int_then_dec,int_then_text,bool_then_text,missing_then_int,dec_then_int,stays_int";
    const body = [
      "1,10,true,,0.5,1",
      "2,20,false,NA,1.5,2",
      "3,30,true,,2.5,3",
      "4,40,false,,3.5,4",
      "5,50,true,,4.5,5",
      "6,60,false,7,5,6",
      "7,70,true,8,6,7",
      "8,80,false,,7,8",
      "9,90,true,9,8,9",
      "10.25,100,false,10,9,10",
      "11,hello,maybe,11,10,11",
      "12,0042,TRUE,12,11,12",
      "-13,-13.50,no,-13,-12,-13",
      "14,,,14,13,14",
      "15,x y,true,15,14,15",
    ];
    const csv = `${header}\n${body.join("\n")}\n`;
    const dataset = await uploadCsv(base, csv, { name: "promotion", rowsPerBatch: "5" });
    expect(dataset.batches).toBe(3);
    expectSchema(dataset, [
      { name: "int_then_dec", type: "number" },
      { name: "int_then_text", type: "string" },
      // Text with 5 distinct values in 14 cells: a category.
      { name: "bool_then_text", type: "category" },
      { name: "missing_then_int", type: "integer" },
      { name: "dec_then_int", type: "number" },
      { name: "stays_int", type: "integer" },
    ]);
    // Batches 0-1 were typed before the promotion and rewritten from their Arrow data: their
    // integers and booleans become text in canonical form; batch 2's cells keep their spelling.
    const textOfEarlier = (i: number) => (i < 10 ? String((i + 1) * 10) : undefined);
    const expected: Row[] = body.map((line, i) => {
      const f = line.split(",");
      return {
        int_then_dec: Number(f[0]),
        int_then_text: textOfEarlier(i) ?? (f[1] === "" ? null : f[1]!),
        bool_then_text: i < 10 ? String(i % 2 === 0) : f[2] === "" ? null : f[2]!,
        missing_then_int: f[3] === "" || f[3] === "NA" ? null : Number(f[3]),
        dec_then_int: Number(f[4]),
        stays_int: Number(f[5]),
      };
    });
    expect(expected[11]!["int_then_text"]).toBe("0042");
    expect(expected[12]!["int_then_text"]).toBe("-13.50");
    await expectRoundTrip(dataset.id, expected);

    // The stale batches were rewritten under new keys and their first versions deleted everywhere.
    const manifest = (await readManifest(etcd, dataset.id))!;
    expect(manifest.batches.map((b) => b.objectKey)).toEqual([
      `datasets/${dataset.id}/batch-000000.v1.arrow`,
      `datasets/${dataset.id}/batch-000001.v1.arrow`,
      `datasets/${dataset.id}/batch-000002.arrow`,
    ]);
    for (const [store, keys] of await objectsOnStores(stores, storeNodes(), `datasets/${dataset.id}/`)) {
      expect(keys.sort(), `objects on ${store}`).toEqual(manifest.batches.map((b) => b.objectKey).sort());
    }
    const stats = Object.fromEntries(dataset.columns.map((c) => [c.name, c]));
    expect(stats["int_then_dec"]!.stats).toMatchObject({ min: -13, max: 15 });
    expect(stats["missing_then_int"]).toMatchObject({ missing: 6, stats: { min: -13, max: 15 } });
  });

  it("?types= overrides inference: numbers as category and string, yes/no as boolean, integers as number", async () => {
    const csv = "code,zip,active,level,label\n1,02134,yes,1,a\n2,10001,no,2,b\n1,94105,Y,3,a\n3,02134,n,,b\n1,60601,1,5,a\n2,NA,0,6,b\n";
    const dataset = await uploadCsv(base, csv, { name: "overrides", types: "code:category,zip:string,active:boolean,level:number" });
    expectSchema(dataset, [
      { name: "code", type: "category" },
      { name: "zip", type: "string" },
      { name: "active", type: "boolean" },
      { name: "level", type: "number" },
      { name: "label", type: "category" },
    ]);
    const expected: Row[] = [
      { code: "1", zip: "02134", active: true, level: 1, label: "a" },
      { code: "2", zip: "10001", active: false, level: 2, label: "b" },
      { code: "1", zip: "94105", active: true, level: 3, label: "a" },
      { code: "3", zip: "02134", active: false, level: null, label: "b" },
      { code: "1", zip: "60601", active: true, level: 5, label: "a" },
      { code: "2", zip: null, active: false, level: 6, label: "b" },
    ];
    expect(await allRows(base, dataset.id)).toEqual(expected);
    const arrow = arrowRowsOf(await download(base, dataset.id, "arrow"));
    expect(arrow.types).toEqual({ code: "Utf8", zip: "Utf8", active: "Bool", level: "Float", label: "Utf8" });
    expect(arrow.rows).toEqual(expected);
    // The CSV download reads back as the same values once typed as the dataset says.
    expect(typedRowsOf(await download(base, dataset.id), dataset.columns)).toEqual(expected);
    const code = dataset.columns.find((c) => c.name === "code")!;
    expect(code.stats.distinct).toBe(3);
    expect(code.stats.topValues?.[0]).toEqual({ value: "1", count: 3 });
  });

  it("iris: four number columns and a category species with three values, stats as computed from the file", async () => {
    const text = readFileSync(IRIS, "utf8");
    const dataset = await uploadCsv(base, text, { name: "iris" });
    const lines = text.trim().split(/\r?\n/);
    const header = lines[0]!.split(",");
    const records = lines.slice(1).map((l) => l.split(","));
    expect(dataset.rows).toBe(records.length);
    expectSchema(dataset, [
      ...header.slice(0, 4).map((name) => ({ name, type: "number" as const })),
      { name: header[4]!, type: "category" },
    ]);
    for (let j = 0; j < 4; j++) {
      const values = records.map((r) => Number(r[j]));
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
      const column = dataset.columns[j]!;
      expect(column.missing).toBe(0);
      expect(column.stats.min).toBe(Math.min(...values));
      expect(column.stats.max).toBe(Math.max(...values));
      expect(column.stats.mean).toBeCloseTo(mean, 10);
      expect(column.stats.std).toBeCloseTo(std, 10);
      expect(column.stats.distinct).toBe(new Set(values).size);
    }
    const species = dataset.columns[4]!;
    const counts = new Map<string, number>();
    for (const r of records) counts.set(r[4]!, (counts.get(r[4]!) ?? 0) + 1);
    expect(species.stats.distinct).toBe(3);
    expect(species.missing).toBe(0);
    expect(new Map(species.stats.topValues!.map((t) => [t.value, t.count]))).toEqual(counts);
    await expectRoundTrip(dataset.id, typedRowsOf(text, dataset.columns));
  });
});

describe("multi-batch datasets and every way in", () => {
  function numericCsv(rows: number, seed: number): string {
    const random = rng(seed);
    const lines = ["i,x,y,group,ok"];
    for (let i = 0; i < rows; i++) {
      const x = Math.round((random() - 0.5) * 2e6) / 1000;
      lines.push(`${i},${x},${Math.floor(random() * 1000) - 500},${["red", "green", "blue"][i % 3]},${random() < 0.5}`);
    }
    return `${lines.join("\n")}\n`;
  }

  it("10k rows at rowsPerBatch=1000: 10 batches, each on 3 distinct stores in the etcd manifest, each copy really there", async () => {
    const csv = numericCsv(10_000, 11);
    const dataset = await uploadCsv(base, csv, { name: "ten-k", rowsPerBatch: "1000" });
    expect(dataset).toMatchObject({ rows: 10_000, batches: 10, replicas: 3 });
    expectSchema(dataset, [
      { name: "i", type: "integer" },
      { name: "x", type: "number" },
      { name: "y", type: "integer" },
      { name: "group", type: "category" },
      { name: "ok", type: "boolean" },
    ]);

    const manifest = (await readManifest(etcd, dataset.id))!;
    expect(manifest.batches).toHaveLength(10);
    const storeIds = storeNodes().map((s) => s.id);
    manifest.batches.forEach((b, k) => {
      expect(b.index).toBe(k);
      expect(b.rows).toBe(1000);
      expect(new Set(b.replicas).size, `batch ${k} replicas ${b.replicas.join(",")}`).toBe(3);
      for (const id of b.replicas) expect(storeIds).toContain(id);
    });
    expect(manifest.batches.reduce((s, b) => s + b.bytes, 0)).toBe(dataset.bytes);
    for (const b of manifest.batches) {
      for (const id of b.replicas) {
        const head = await stores.headObject(cluster.node(id).address, b.objectKey, { verify: true });
        expect(head, `${b.objectKey} on ${id}`).toMatchObject({ exists: true, object: { size: b.bytes, checksum: { value: b.checksum.value } } });
      }
    }

    const expected = typedRowsOf(csv, dataset.columns);
    expect((await getRows(base, dataset.id, 995, 10)).rows).toEqual(expected.slice(995, 1005));
    expect((await getRows(base, dataset.id, 8_999, 2)).rows).toEqual(expected.slice(8_999, 9_001));
    expect((await getRows(base, dataset.id, 0, 10_000)).rows).toEqual(expected);
    expect(typedRowsOf(await download(base, dataset.id), dataset.columns)).toEqual(expected);
    expect(arrowRowsOf(await download(base, dataset.id, "arrow")).rows).toEqual(expected);
  });

  it("multipart/form-data with the CSV in field `file` (name from ?name=, from a form field, or from the file name)", async () => {
    const csv = "day,temp,rain\nmon,21.5,false\ntue,19,true\nwed,NA,\n";
    const expected = [
      { day: "mon", temp: 21.5, rain: false },
      { day: "tue", temp: 19, rain: true },
      { day: "wed", temp: null, rain: null },
    ];
    const post = async (form: FormData, query = "") => {
      const res = await requestJson<DatasetView>(`${base}/v1/datasets${query}`, { method: "POST", body: form });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body;
    };
    const fileOnly = new FormData();
    fileOnly.append("file", new Blob([csv], { type: "text/csv" }), "weather.csv");
    const byFilename = await post(fileOnly);
    expect(byFilename.name).toBe("weather");
    expect(await allRows(base, byFilename.id)).toEqual(expected);

    const withFields = new FormData();
    withFields.append("name", "from-field");
    withFields.append("types", "day:category");
    withFields.append("file", new Blob([csv], { type: "text/csv" }), "ignored.csv");
    const byField = await post(withFields);
    expect(byField.name).toBe("from-field");
    expect(byField.columns[0]).toMatchObject({ name: "day", type: "category" });

    const byQuery = await post(fileOnly, "?name=from-query&rowsPerBatch=2");
    expect(byQuery).toMatchObject({ name: "from-query", batches: 2, rows: 3 });
    await expectRoundTrip(byQuery.id, expected);
  });

  it("gRPC: UploadDataset (chunks split anywhere), GetDataset, GetDatasetRows, StreamDatasetBatches, DownloadDataset", async () => {
    const messy = messyFile(150, 23);
    async function* requests(): AsyncIterable<datasetV1.UploadDatasetRequest> {
      yield { part: { $case: "header", header: { name: "grpc-messy", delimiter: "", typeOverrides: {}, rowsPerBatch: 40, expectedBytes: messy.bytes.length } } };
      // 7-byte chunks split CRLFs, quoted fields and multi-byte characters.
      for (let off = 0; off < messy.bytes.length; off += 7) yield { part: { $case: "chunk", chunk: messy.bytes.subarray(off, off + 7) } };
    }
    const { dataset } = await grpc.uploadDataset(requests());
    expect(dataset).toMatchObject({ name: "grpc-messy", rows: 150, replicas: 3 });
    expect(dataset!.batches.map((b) => b.rows)).toEqual([40, 40, 40, 30]);
    const TYPE = datasetV1.ColumnType;
    const protoType: Record<ColumnType, datasetV1.ColumnType> = {
      integer: TYPE.COLUMN_TYPE_INTEGER,
      number: TYPE.COLUMN_TYPE_NUMBER,
      boolean: TYPE.COLUMN_TYPE_BOOLEAN,
      category: TYPE.COLUMN_TYPE_CATEGORY,
      string: TYPE.COLUMN_TYPE_STRING,
    };
    expect(dataset!.columns.map((c) => [c.name, c.type])).toEqual(messy.columns.map((c) => [c.name, protoType[c.type]]));
    for (const b of dataset!.batches) expect(new Set(b.replicaNodeIds).size).toBe(3);
    const id = dataset!.id;

    const got = await grpc.getDataset({ datasetId: id });
    expect(got.dataset?.batches).toEqual(dataset!.batches);
    // The same statistics as REST, whether each distinct count is exact included.
    const rest = (await (await fetch(`${base}/v1/datasets/${id}`)).json()) as { columns: Array<{ stats: { distinct: number; distinctApproximate?: boolean } }> };
    expect(got.dataset!.columns.map((c) => [c.stats!.distinct, c.stats!.distinctApproximate])).toEqual(
      rest.columns.map((c) => [c.stats.distinct, c.stats.distinctApproximate === true]),
    );

    // Rows: Struct values come back as JSON-like objects; a page across the first boundary.
    const page = await grpc.getDatasetRows({ datasetId: id, offset: 35, limit: 10 });
    expect(page.total).toBe(150);
    expect(page.columns).toEqual(messy.columns.map((c) => c.name));
    expect(page.rows).toEqual(messy.rows.slice(35, 45));
    expect((await grpc.getDatasetRows({ datasetId: id, offset: 0, limit: 0 })).rows).toEqual(messy.rows.slice(0, 100));

    // Every batch: a header, then chunks adding up to header.bytes, verified and decoded alone.
    const batches: Array<{ index: number; rows: number; data: Buffer }> = [];
    let current: { index: number; rows: number; bytes: number; checksum: unknown; parts: Buffer[] } | undefined;
    const closeBatch = () => {
      if (!current) return;
      const data = Buffer.concat(current.parts);
      expect(data.length, `batch ${current.index} size`).toBe(current.bytes);
      expect(computeChecksum(data), `batch ${current.index} checksum`).toEqual(current.checksum);
      batches.push({ index: current.index, rows: current.rows, data });
    };
    for await (const msg of grpc.streamDatasetBatches({ datasetId: id, batchIndexes: [] })) {
      if (msg.part?.$case === "header") {
        closeBatch();
        const h = msg.part.header;
        current = { index: h.index, rows: h.rows, bytes: h.bytes, checksum: h.checksum, parts: [] };
      } else if (msg.part?.$case === "chunk") {
        current!.parts.push(Buffer.from(msg.part.chunk));
      }
    }
    closeBatch();
    expect(batches.map((b) => [b.index, b.rows])).toEqual([
      [0, 40],
      [1, 40],
      [2, 40],
      [3, 30],
    ]);
    expect(batches.flatMap((b) => arrowRowsOf(b.data).rows)).toEqual(messy.rows);

    // Chosen batches, in the order asked.
    const picked: number[] = [];
    for await (const msg of grpc.streamDatasetBatches({ datasetId: id, batchIndexes: [3, 1] })) {
      if (msg.part?.$case === "header") picked.push(msg.part.header.index);
    }
    expect(picked).toEqual([3, 1]);

    const viaGrpc = async (format: datasetV1.DatasetFormat) => {
      const parts: Buffer[] = [];
      for await (const msg of grpc.downloadDataset({ datasetId: id, format })) parts.push(Buffer.from(msg.chunk));
      return Buffer.concat(parts);
    };
    const csv = await viaGrpc(datasetV1.DatasetFormat.DATASET_FORMAT_CSV);
    expect(csv.equals(await download(base, id))).toBe(true);
    expect(typedRowsOf(csv, (await getDataset(base, id)).columns)).toEqual(messy.rows);
    expect(arrowRowsOf(await viaGrpc(datasetV1.DatasetFormat.DATASET_FORMAT_ARROW)).rows).toEqual(messy.rows);
  });

  it("`dml datasets upload FILE --json` through the CLI", async () => {
    const file = join(cluster.dir, "cli-upload.csv");
    const csv = numericCsv(2_500, 5);
    writeFileSync(file, csv);
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, "datasets", "upload", file, "--gateway", base, "--json", "--rows-per-batch", "1000"], {
      timeout: 30_000,
    });
    const dataset = JSON.parse(stdout) as DatasetView;
    expect(dataset).toMatchObject({ name: "cli-upload", rows: 2_500, batches: 3, replicas: 3 });
    expect(await getDataset(base, dataset.id)).toEqual(dataset);
    expect(typedRowsOf(await download(base, dataset.id), dataset.columns)).toEqual(typedRowsOf(csv, dataset.columns));
  });

  it("statistics of a 12,000-row upload: numbers' distinct counts estimated past 10,000 (and marked so by the CLI), text exact", async () => {
    const lines = ["x,code"];
    for (let i = 0; i < 12_000; i++) lines.push(`${i * 0.5},c${i % 4000}`);
    const dataset = await uploadCsv(base, lines.join("\n") + "\n", { name: "distinct", rowsPerBatch: "3000" });
    const [x, code] = dataset.columns;
    expect(x!.stats.distinctApproximate).toBe(true);
    expect(Math.abs(x!.stats.distinct - 12_000) / 12_000).toBeLessThan(0.03);
    expect(x!.stats).toMatchObject({ min: 0, max: 5999.5, mean: 2999.75 });
    expect(code!.stats.distinct).toBe(4000);
    expect(code!.stats.distinctApproximate).toBeUndefined();
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, "datasets", "get", dataset.id, "--gateway", base], { timeout: 30_000 });
    expect(stdout).toMatch(new RegExp(`\\s~${x!.stats.distinct}\\s`));
    expect(stdout).toMatch(/\s4000\s/);
  });

  it("GET /v1/datasets lists every dataset; DELETE removes the manifest at once, then the files from every store", async () => {
    const dataset = await uploadCsv(base, "a,b\n1,x\n2,y\n3,z\n4,w\n", { name: "doomed", rowsPerBatch: "2" });
    const listed = await requestJson<{ datasets: DatasetView[] }>(`${base}/v1/datasets`);
    expect(listed.status).toBe(200);
    expect(listed.body.datasets.map((d) => d.id)).toContain(dataset.id);
    expect(listed.body.datasets.find((d) => d.id === dataset.id)).toEqual(dataset);
    const prefix = `datasets/${dataset.id}/`;
    for (const [store, keys] of await objectsOnStores(stores, storeNodes(), prefix)) expect(keys, store).toHaveLength(2);

    const res = await fetch(`${base}/v1/datasets/${dataset.id}`, { method: "DELETE" });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    expect(await readManifest(etcd, dataset.id)).toBeUndefined();
    expect((await requestJson(`${base}/v1/datasets/${dataset.id}`)).status).toBe(404);
    await waitFor(
      async () => {
        for (const keys of (await objectsOnStores(stores, storeNodes(), prefix)).values()) if (keys.length > 0) return false;
        return true;
      },
      { timeoutMs: 10_000, message: `every store deleted ${prefix}*` },
    );
    expect((await fetch(`${base}/v1/datasets/${dataset.id}`, { method: "DELETE" })).status).toBe(404);
    // Nothing but the datasets still listed remains on the stores.
    const remaining = new Set((await requestJson<{ datasets: DatasetView[] }>(`${base}/v1/datasets`)).body.datasets.map((d) => d.id));
    expect(await leftovers(etcd, stores, storeNodes(), remaining)).toBeUndefined();
  });
});
