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

export async function getJson<T>(target: GatewayTarget, path: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${target.url}${path}`, {
      headers: target.token ? { authorization: `Bearer ${target.token}` } : {},
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new GatewayError(0, `cannot reach the gateway at ${target.url}: ${(err as Error).message} (is the cluster running? \`npm start\`)`);
  }
  const body = (await res.json().catch(() => undefined)) as { error?: { code: string; message: string } } | undefined;
  if (!res.ok) {
    throw new GatewayError(res.status, body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`);
  }
  return body as T;
}
