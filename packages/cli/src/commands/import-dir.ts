// `dml up --import DIR`: uploads every *.csv in DIR (not recursive), each named after its file.
// A file that fails is reported and skipped; the cluster keeps running.
import { readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { uploadFile } from "../upload.js";
import type { GatewayTarget } from "../gateway-client.js";

export async function importCsvDir(dir: string, target: GatewayTarget, say: (line: string) => void): Promise<{ imported: number; failed: number }> {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.toLowerCase().endsWith(".csv"))
      .sort();
  } catch (err) {
    say(`import: cannot read ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return { imported: 0, failed: 1 };
  }
  if (files.length === 0) say(`import: no .csv files in ${dir}`);
  let imported = 0;
  let failed = 0;
  for (const file of files) {
    const name = basename(file).replace(/\.[^.]*$/, "");
    try {
      const dataset = await uploadFile(target, join(dir, file), { name });
      say(`  imported   ${file} -> ${dataset.id} (${dataset.rows} rows, ${dataset.columns.length} columns)`);
      imported++;
    } catch (err) {
      say(`  import of ${file} failed: ${(err as Error).message}`);
      failed++;
    }
  }
  return { imported, failed };
}
