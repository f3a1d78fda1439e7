// Numbers and booleans as text, in forms our own parser reads back to the same value and type.

/**
 * The shortest text that reads back as the same double (JavaScript's own algorithm), with inf and
 * -inf for the infinities. This is what a number becomes when its column is promoted to string.
 */
export function numberText(v: number): string {
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  return String(v);
}

/**
 * A double for a CSV file: like numberText, but a whole number keeps a ".0" so the column is read
 * back as `number`, not `integer` ("151.0", "-0.0"); NaN (never stored: it is a missing value) is
 * written as an empty cell.
 */
export function floatCsvText(v: number): string {
  if (Number.isInteger(v)) {
    if (Object.is(v, -0)) return "-0.0";
    const s = String(v);
    return s.includes("e") ? s : `${s}.0`;
  }
  if (Number.isNaN(v)) return "";
  return numberText(v);
}

export function booleanText(b: boolean): string {
  return b ? "true" : "false";
}
