// REST calls to the gateway for CLI commands: --gateway URL / DML_GATEWAY, token from
// --token / DML_API_TOKEN, and the gateway's JSON errors turned into one readable line.
export interface GatewayTarget {
  url: string;
  token?: string;
}

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function gatewayTarget(flags: { gateway?: string; token?: string }, env: NodeJS.ProcessEnv = process.env): GatewayTarget {
  return {
    url: (flags.gateway ?? env["DML_GATEWAY"] ?? "http://127.0.0.1:8080").replace(/\/+$/, ""),
    token: flags.token ?? env["DML_API_TOKEN"],
  };
}

export interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: RequestInit["body"];
  /** Overall deadline; none for long uploads and downloads. */
  timeoutMs?: number;
  /** Aborts the request (and its body stream), e.g. an event stream the caller stops reading. */
  signal?: AbortSignal;
}

/** Performs a request and returns the response when it is 2xx; otherwise a GatewayError. */
export async function call(target: GatewayTarget, path: string, opts: CallOptions = {}): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(`${target.url}${path}`, {
      method: opts.method ?? "GET",
      headers: { ...(target.token && { authorization: `Bearer ${target.token}` }), ...opts.headers },
      ...(opts.body !== undefined && { body: opts.body, duplex: "half" }),
      ...((opts.timeoutMs !== undefined || opts.signal) && {
        signal: AbortSignal.any([...(opts.signal ? [opts.signal] : []), ...(opts.timeoutMs !== undefined ? [AbortSignal.timeout(opts.timeoutMs)] : [])]),
      }),
    } as RequestInit);
  } catch (err) {
    const cause = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
    throw new GatewayError(0, `cannot reach the gateway at ${target.url}: ${cause} (is the cluster running? \`npm start\`)`);
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => undefined)) as { error?: { code: string; message: string } } | undefined;
    throw new GatewayError(res.status, body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`);
  }
  return res;
}

export async function getJson<T>(target: GatewayTarget, path: string, opts: CallOptions = {}): Promise<T> {
  const res = await call(target, path, { timeoutMs: 30_000, ...opts });
  return (await res.json()) as T;
}
