// Bearer-token check shared by the REST and gRPC edges (DML_API_TOKEN). Health checks stay open
// so probes need no secret; everything else needs the token when one is configured.
import { timingSafeEqual } from "node:crypto";

export function bearerMatches(authorization: string | undefined, token: string): boolean {
  // The auth scheme name is case-insensitive (RFC 9110 §11.1).
  const m = /^bearer\s+(.+)$/i.exec(authorization?.trim() ?? "");
  if (!m) return false;
  const given = Buffer.from(m[1]!.trim());
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
