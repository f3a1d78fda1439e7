// ListObjects page tokens: the last key of the previous page, versioned and base64url-encoded so
// callers treat it as opaque. A token that does not decode to a key under the listing's prefix
// is INVALID_ARGUMENT (it belongs to another listing, or was made up).
import { DmlError } from "@dml/runtime";
import { objectKeyProblem } from "../domain/object-key.js";

const VERSION = "k1.";

export function encodePageToken(lastKey: string): string {
  return VERSION + Buffer.from(lastKey, "utf8").toString("base64url");
}

/** The key to list after, or undefined for the first page (empty token). */
export function decodePageToken(token: string, prefix: string): string | undefined {
  if (token === "") return undefined;
  const key = token.startsWith(VERSION) ? Buffer.from(token.slice(VERSION.length), "base64url").toString("utf8") : "";
  if (objectKeyProblem(key) !== undefined || !key.startsWith(prefix) || encodePageToken(key) !== token) {
    throw new DmlError("INVALID_ARGUMENT", "page_token is not a token of this listing: pass next_page_token of the previous page unchanged");
  }
  return key;
}
