import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { readJsonBody } from "./json-body.js";
import { resumeRevision } from "./trainings-routes.js";

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const url = (q = "") => new URL(`http://gateway/v1/trainings/t-1/events${q}`);

describe("resumeRevision", () => {
  it("is absent without header or query", () => {
    expect(resumeRevision(request({}), url())).toEqual({ fromHeader: false });
    expect(resumeRevision(request({}), url("?fromRevision="))).toEqual({ fromHeader: false });
  });

  it("reads ?fromRevision= and prefers Last-Event-ID", () => {
    expect(resumeRevision(request({}), url("?fromRevision=12"))).toEqual({ revision: 12, fromHeader: false });
    expect(resumeRevision(request({ "last-event-id": "40" }), url("?fromRevision=12"))).toEqual({ revision: 40, fromHeader: true });
  });

  it("refuses what is not a revision, naming where it came from", () => {
    expect(() => resumeRevision(request({}), url("?fromRevision=abc"))).toThrow(/fromRevision must be a revision/);
    expect(() => resumeRevision(request({}), url("?fromRevision=0"))).toThrow(/fromRevision/);
    expect(() => resumeRevision(request({ "last-event-id": "-3" }), url())).toThrow(/Last-Event-ID/);
  });
});

function body(text: string, headers: Record<string, string> = {}): IncomingMessage {
  return Object.assign(Readable.from([Buffer.from(text)]), { headers }) as unknown as IncomingMessage;
}

describe("readJsonBody", () => {
  it("parses JSON", async () => {
    await expect(readJsonBody(body('{"a":1}'))).resolves.toEqual({ a: 1 });
  });

  it("refuses empty bodies and invalid JSON with 400s", async () => {
    await expect(readJsonBody(body(""))).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringMatching(/empty/) });
    await expect(readJsonBody(body("{nope"))).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringMatching(/not valid JSON/) });
  });

  it("refuses bodies over the limit, declared or streamed", async () => {
    await expect(readJsonBody(body("{}", { "content-length": String(2 * 1024 * 1024) }))).rejects.toMatchObject({ code: "INVALID_ARGUMENT", details: { limitBytes: 1048576 } });
    await expect(readJsonBody(body(JSON.stringify({ pad: "x".repeat(100) })), 50)).rejects.toMatchObject({ message: expect.stringMatching(/exceeds 50 bytes/) });
  });
});
