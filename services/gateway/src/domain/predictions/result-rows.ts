// Result objects (Arrow IPC streams with columns row, prediction and, for classifiers,
// probability_<class>) as the API's rows and as CSV text.
import { batchToRows, CsvWriter, numberText, type CellValue, type Row, type RowRange } from "@dml/data";

const PROBABILITY_PREFIX = "probability_";

export interface PredictionResultRow {
  /** 0-based index of the row in the dataset. */
  row: number;
  prediction: CellValue;
  /** Class label (as text) -> probability; classifiers only. */
  probabilities?: Record<string, number>;
}

function toResultRow(r: Row, probabilityColumns: readonly string[]): PredictionResultRow {
  const out: PredictionResultRow = { row: Number(r["row"]), prediction: r["prediction"] ?? null };
  if (probabilityColumns.length > 0) {
    out.probabilities = {};
    for (const c of probabilityColumns) out.probabilities[c.slice(PROBABILITY_PREFIX.length)] = r[c] as number;
  }
  return out;
}

/** Rows of one result object (a range of them when given). */
export function resultRows(ipc: Uint8Array, range: RowRange = {}): PredictionResultRow[] {
  const rows = batchToRows(ipc, range);
  if (rows.length === 0) return [];
  const probabilityColumns = Object.keys(rows[0]!).filter((k) => k.startsWith(PROBABILITY_PREFIX));
  return rows.map((r) => toResultRow(r, probabilityColumns));
}

/**
 * CSV of result rows: "row,prediction[,probability_<class>...]". The row index is written as an
 * integer (it is stored as a double), numbers in their shortest exact form, labels quoted when
 * they need it.
 */
export class ResultCsv {
  private readonly quoter = new CsvWriter(["row", "prediction"]);
  private classes: string[] | undefined;

  /** The header, fixed by the first batch's classes (every batch of a prediction has the same). */
  header(first: PredictionResultRow | undefined): string {
    this.classes = Object.keys(first?.probabilities ?? {});
    return ["row", "prediction", ...this.classes.map((c) => PROBABILITY_PREFIX + c)].map((n) => this.quoter.field(n)).join(",") + "\n";
  }

  lines(rows: readonly PredictionResultRow[]): string {
    const classes = this.classes ?? [];
    let out = "";
    for (const r of rows) {
      let line = `${r.row},${this.cell(r.prediction)}`;
      for (const c of classes) line += `,${this.cell(r.probabilities?.[c] ?? null)}`;
      out += `${line}\n`;
    }
    return out;
  }

  private cell(v: CellValue | undefined): string {
    if (v === null || v === undefined) return "";
    if (typeof v === "number") return Number.isNaN(v) ? "" : numberText(v);
    if (typeof v === "boolean") return v ? "true" : "false";
    return this.quoter.field(v);
  }
}
