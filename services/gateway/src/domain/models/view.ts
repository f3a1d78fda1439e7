import type { ModelRecord } from "@dml/catalog";
import type { ModelView } from "./types.js";

/** The REST shape of a registry record; `isLive` tells which store ids are up. */
export function modelView(record: ModelRecord, isLive: (storeId: string) => boolean): ModelView {
  const { object, ...rest } = record;
  return { ...rest, replicas: object.replicas.filter(isLive).length };
}
