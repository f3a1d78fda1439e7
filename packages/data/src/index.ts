// @dml/data: the data plane's pure library. CSV bytes in, typed Arrow IPC batches, schema and
// statistics out; batches back to rows and CSV. No I/O: the gateway feeds it and stores its output.
export { DataError, CsvError, type CsvErrorPlace } from "./errors.js";
export { CsvParser, CsvScanner, parseCsv, type CsvParserOptions, type CsvRecord, type FieldSink, type SinkFactory } from "./csv-parser.js";
export { MISSING_TOKENS, isMissing } from "./cells.js";
export {
  ALL_MISSING_TYPE,
  CATEGORY_MAX_DISTINCT,
  CATEGORY_MAX_DISTINCT_RATIO,
  COLUMN_TYPES,
  checkTypeOverrides,
  isColumnType,
  parseTypeOverrides,
  physicalType,
  promote,
  samePhysicalSchema,
  textType,
  type ColumnSchema,
  type ColumnType,
  type DatasetSchema,
  type PhysicalType,
  type TypeOverrides,
} from "./schema.js";
export {
  ColumnStatsBuilder,
  DISTINCT_EXACT_LIMIT,
  NUMBER_DISTINCT_EXACT_LIMIT,
  TOP_VALUES,
  type ColumnStats,
  type ColumnSummary,
  type StatsOptions,
  type TopValue,
} from "./stats.js";
export {
  BatchBuilder,
  CsvIngest,
  DEFAULT_MAX_BATCH_CELLS,
  DEFAULT_MAX_BATCH_CHARS,
  DEFAULT_ROWS_PER_BATCH,
  type BatchBuilderOptions,
  type CsvIngestOptions,
  summarizeIngest,
  type IngestBatch,
  type IngestPart,
  type IngestResult,
} from "./ingest.js";
export { IngestThreads, type ThreadedIngestOptions } from "./ingest-pool.js";
export { ParallelIngest } from "./parallel-ingest.js";
export { arrowSchema } from "./arrow.js";
export { conformBatch } from "./conform.js";
export { batchToRows, type CellValue, type Row, type RowRange } from "./rows.js";
export { CsvWriter, type CsvWriterOptions } from "./csv-writer.js";
export { floatCsvText, numberText } from "./format.js";
export { concatArrowStreams } from "./arrow-stream.js";
export { batchesToColumns, type ColumnValues, type DecodedColumn } from "./columns.js";
