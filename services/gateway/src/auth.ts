// Bearer-token check shared by the REST and gRPC edges (DML_API_TOKEN). Health checks stay open
// so probes need no secret; everything else needs the token when one is configured.
import { timingSafeEqual } from "node:crypto";

export function bearerMatches(authorization: string | undefined, token: string): boolean {
  if (!authorization?.startsWith("Bearer ")) return false;
  const given = Buffer.from(authorization.slice("Bearer ".length).trim());
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
