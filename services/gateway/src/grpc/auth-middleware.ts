import { ServerError, Status, type ServerMiddleware } from "nice-grpc";
import { bearerMatches } from "../auth.js";

/** Health and reflection stay open (probes, grpcurl list); every dml.* call needs the token. */
const OPEN_PREFIXES = ["/grpc.health.v1.", "/grpc.reflection."];

export function bearerAuthMiddleware(token: string): ServerMiddleware {
  return async function* checkToken(call, context) {
    if (!OPEN_PREFIXES.some((p) => call.method.path.startsWith(p))) {
      if (!bearerMatches(context.metadata.get("authorization"), token)) {
        throw new ServerError(Status.UNAUTHENTICATED, "missing or wrong bearer token (metadata authorization: Bearer TOKEN)");
      }
    }
    return yield* call.next(call.request, context);
  };
}
