/** Formats rows as left-aligned columns under a header, one string per line. */
export function formatTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const fmt = (r: string[]) => r.map((c, i) => (c ?? "").padEnd(widths[i]!)).join("  ").trimEnd();
  return [fmt(header), ...rows.map(fmt)];
}

/** Prints rows as left-aligned columns under a header. */
export function printTable(header: string[], rows: string[][]): void {
  process.stdout.write(formatTable(header, rows).join("\n") + "\n");
}
