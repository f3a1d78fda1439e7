// Server-Sent Events framing over a raw response: events, keepalive comments, backpressure.
import type { ServerResponse } from "node:http";

export const KEEPALIVE_MS = 15_000;

export class SseStream {
  private readonly keepalive: NodeJS.Timeout;

  constructor(
    private readonly res: ServerResponse,
    keepaliveMs = KEEPALIVE_MS,
  ) {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      // Reverse proxies (nginx) buffer responses unless told not to; events must flow as they happen.
      "x-accel-buffering": "no",
    });
    res.flushHeaders();
    // Idle connections through proxies and load balancers get cut; a comment keeps them open.
    this.keepalive = setInterval(() => this.write(": keepalive\n\n"), keepaliveMs);
    this.keepalive.unref();
    res.once("close", () => clearInterval(this.keepalive));
  }

  /** One event; waits while the client reads slowly. `data` must be a single line (JSON is). */
  async send(event: { id?: string | number; event?: string; data: string }): Promise<void> {
    let frame = "";
    if (event.id !== undefined) frame += `id: ${event.id}\n`;
    if (event.event) frame += `event: ${event.event}\n`;
    frame += `data: ${event.data}\n\n`;
    if (!this.write(frame)) await this.drained();
  }

  end(): void {
    clearInterval(this.keepalive);
    if (!this.res.writableEnded) this.res.end();
  }

  private write(text: string): boolean {
    if (this.res.destroyed || this.res.writableEnded) return true;
    return this.res.write(text);
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.res.off("drain", done);
        this.res.off("close", done);
        resolve();
      };
      this.res.once("drain", done);
      this.res.once("close", done);
    });
  }
}
