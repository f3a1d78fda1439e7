// Server-Sent Events over fetch: a parser that takes text in arbitrary chunks (the WHATWG
// event-stream rules: \n, \r\n or \r line ends, `field: value` lines, `:` comments, a blank line
// dispatches) and a reader that reconnects with Last-Event-ID when the connection drops, so a
// watcher sees every event once even across gateway restarts or network blips.
import { call, GatewayError, type GatewayTarget } from "./gateway-client.js";

export interface SseEvent {
  /** The `event:` field; "message" when absent. */
  event: string;
  data: string;
  /** The last `id:` seen on the stream so far (it carries over to later events), if any. */
  id?: string;
}

export class SseParser {
  private buffer = "";
  /** The previous chunk ended with \r: a \n at the start of the next one belongs to it. */
  private skipLf = false;
  private started = false;
  private eventType = "";
  private data: string[] = [];
  private hasData = false;
  lastEventId: string | undefined;
  /** The server's `retry:` hint in ms, if it sent one. */
  retryMs: number | undefined;

  constructor(lastEventId?: string) {
    this.lastEventId = lastEventId;
  }

  /** Feeds a chunk of decoded text; returns the events it completed. */
  push(chunk: string): SseEvent[] {
    if (!this.started && chunk.length > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    if (this.skipLf && chunk.startsWith("\n")) chunk = chunk.slice(1);
    this.skipLf = false;
    this.buffer += chunk;
    const events: SseEvent[] = [];
    let start = 0;
    // Next \r and \n positions, searched again only once passed (a stream without \r stays linear).
    let cr = this.buffer.indexOf("\r");
    let lf = this.buffer.indexOf("\n");
    for (;;) {
      if (cr >= 0 && cr < start) cr = this.buffer.indexOf("\r", start);
      if (lf >= 0 && lf < start) lf = this.buffer.indexOf("\n", start);
      if (cr < 0 && lf < 0) break;
      const end = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
      const line = this.buffer.slice(start, end);
      if (this.buffer[end] === "\r" && end + 1 === this.buffer.length) {
        this.skipLf = true; // can't tell yet whether a \n follows: the next chunk will say
        start = end + 1;
      } else {
        start = this.buffer[end] === "\r" && this.buffer[end + 1] === "\n" ? end + 2 : end + 1;
      }
      const ev = this.line(line);
      if (ev) events.push(ev);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  private line(line: string): SseEvent | undefined {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return undefined; // comment (keepalive)
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.eventType = value;
        break;
      case "data":
        this.data.push(value);
        this.hasData = true;
        break;
      case "id":
        if (!value.includes("\0")) this.lastEventId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default: // unknown fields are ignored, per the spec
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const event: SseEvent | undefined = this.hasData
      ? { event: this.eventType || "message", data: this.data.join("\n"), ...(this.lastEventId !== undefined && { id: this.lastEventId }) }
      : undefined;
    this.eventType = "";
    this.data = [];
    this.hasData = false;
    return event;
  }
}

export interface SseReadOptions {
  /** Resume after this event id (sent as Last-Event-ID on the first request too). */
  lastEventId?: string;
  /** Consecutive failed (re)connections before giving up; reset by every event received. */
  maxRetries?: number;
  /** First reconnect delay; doubles per consecutive failure (the server's `retry:` wins). */
  retryDelayMs?: number;
  /** A connection that delivers no bytes (not even a keepalive) for this long is treated as dropped. */
  idleTimeoutMs?: number;
  /** Called before each reconnect, e.g. to tell the user. */
  onReconnect?: (attempt: number, reason: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Yields the events of GET `path` as they arrive. When the stream ends or breaks, it reconnects with
 * Last-Event-ID and carries on; the consumer stops it by leaving its for-await loop (the server
 * ends a finished stream, so the consumer knows from the data when it has seen the last event).
 * 4xx answers are not retried: they throw the GatewayError at once.
 */
export async function* readSse(target: GatewayTarget, path: string, opts: SseReadOptions = {}): AsyncGenerator<SseEvent> {
  const maxRetries = opts.maxRetries ?? 5;
  const idleTimeoutMs = opts.idleTimeoutMs ?? 60_000;
  let lastEventId = opts.lastEventId;
  let failures = 0;
  let retryMs = opts.retryDelayMs ?? 250;
  for (;;) {
    const abort = new AbortController();
    let idle: NodeJS.Timeout | undefined;
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => abort.abort(new Error(`no data for ${idleTimeoutMs} ms`)), idleTimeoutMs);
    };
    let reason = "the server closed the stream";
    try {
      armIdle();
      const res = await call(target, path, {
        headers: { accept: "text/event-stream", ...(lastEventId !== undefined && { "last-event-id": lastEventId }) },
        signal: abort.signal,
      });
      const parser = new SseParser(lastEventId);
      const decoder = new TextDecoder();
      const reader = res.body!.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          armIdle();
          for (const ev of parser.push(decoder.decode(value, { stream: true }))) {
            lastEventId = ev.id ?? lastEventId;
            failures = 0;
            yield ev;
          }
          if (parser.retryMs !== undefined) retryMs = parser.retryMs;
        }
      } finally {
        // Also runs when the consumer stops early: release the connection.
        await reader.cancel().catch(() => undefined);
      }
    } catch (err) {
      if (err instanceof GatewayError && err.status >= 400 && err.status < 500) throw err;
      reason = (abort.signal.reason as Error | undefined)?.message ?? (err as Error).message;
    } finally {
      clearTimeout(idle);
      abort.abort();
    }
    failures++;
    if (failures > maxRetries) throw new GatewayError(0, `event stream ${path} lost: ${reason} (gave up after ${maxRetries} retries)`);
    opts.onReconnect?.(failures, reason);
    await sleep(Math.min(retryMs * 2 ** (failures - 1), 5_000));
  }
}
