// Trainings as the gateway returns them, and how the CLI shows them: the leaderboard, the
// per-model table, the list, and the live view of `--watch` (bars redrawn in place on a terminal,
// one line per state change otherwise, so logs and CI output stay readable).
import { formatTable } from "./table.js";

export type RunState = "queued" | "running" | "succeeded" | "failed" | "cancelled";
export const TERMINAL_STATES: ReadonlySet<string> = new Set(["succeeded", "failed", "cancelled"]);

export interface CvMetric {
  mean: number;
  std: number;
  folds: number[];
}

export interface TrainingModel {
  modelId: string;
  algorithm: string;
  params?: Record<string, unknown>;
  state: RunState;
  progress: number;
  progressMessage?: string;
  metrics: Record<string, number>;
  cvMetrics?: Record<string, CvMetric>;
  error?: string;
  trainer?: string;
  attempts: number;
  startedAt?: string;
  finishedAt?: string;
}

export interface Training {
  id: string;
  datasetId: string;
  target: string;
  task: "classification" | "regression";
  state: RunState;
  progress: number;
  models: TrainingModel[];
  leaderboard: string[];
  primaryMetric?: string;
  testFraction?: number;
  cvFolds?: number;
  seed?: number;
  cancelRequested?: boolean;
  error?: string;
  createdAt: string;
  finishedAt?: string;
}

/** Shown next to the primary metric in the leaderboard (the full set is in --json). */
const OTHER_METRICS: Record<string, string[]> = {
  classification: ["f1Macro", "rocAuc", "logLoss"],
  regression: ["rmse", "mae"],
};

export const primaryMetricOf = (t: Training): string => t.primaryMetric ?? (t.task === "regression" ? "r2" : "accuracy");

export function formatMetric(v: number | undefined): string {
  if (v === undefined || v === null) return "-";
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e5 ? v.toExponential(3) : v.toFixed(4);
}

export const formatPercent = (p: number) => `${Math.round(Math.min(Math.max(p, 0), 1) * 100)}%`;

export function progressBar(fraction: number, width = 20): string {
  const filled = Math.round(Math.min(Math.max(fraction, 0), 1) * width);
  return "#".repeat(filled) + ".".repeat(width - filled);
}

/** Wall time of a model's fit, from its timestamps. */
export function modelSeconds(m: TrainingModel): number | undefined {
  if (!m.startedAt || !m.finishedAt) return undefined;
  const s = (Date.parse(m.finishedAt) - Date.parse(m.startedAt)) / 1000;
  return Number.isFinite(s) ? s : undefined;
}

function compactParams(params: Record<string, unknown> | undefined, max = 40): string {
  if (!params || Object.keys(params).length === 0) return "";
  const s = Object.entries(params)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(",");
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** The primary metric as ranked: CV mean ± std when cross-validation ran, else the test value. */
export function formatPrimary(t: Training, m: TrainingModel): string {
  const metric = primaryMetricOf(t);
  const cv = (t.cvFolds ?? 0) > 1 ? m.cvMetrics?.[metric] : undefined;
  return cv ? `${formatMetric(cv.mean)} ± ${formatMetric(cv.std)}` : formatMetric(m.metrics[metric]);
}

/** The leaderboard (best first), then the models that failed or were cancelled, with their errors. */
export function formatLeaderboard(t: Training): string[] {
  const metric = primaryMetricOf(t);
  const cv = (t.cvFolds ?? 0) > 1;
  const others = OTHER_METRICS[t.task] ?? [];
  const byId = new Map(t.models.map((m) => [m.modelId, m]));
  const ranked = t.leaderboard.map((id) => byId.get(id)).filter((m): m is TrainingModel => m !== undefined);
  const lines: string[] = [];
  if (ranked.length === 0) {
    lines.push("no model succeeded");
  } else {
    const header = ["RANK", "MODEL", "ALGORITHM", cv ? `${metric} (cv ${t.cvFolds})` : metric, ...(cv ? [`test ${metric}`] : []), ...others, "TIME", "PARAMS"];
    const rows = ranked.map((m, i) => {
      const secs = modelSeconds(m);
      return [
        String(i + 1),
        m.modelId,
        m.algorithm,
        formatPrimary(t, m),
        ...(cv ? [formatMetric(m.metrics[metric])] : []),
        ...others.map((k) => formatMetric(m.metrics[k])),
        secs === undefined ? "-" : `${secs.toFixed(1)}s`,
        compactParams(m.params),
      ];
    });
    lines.push(...formatTable(header.map((h) => h.toUpperCase()), rows));
  }
  for (const m of t.models) {
    if (m.state !== "failed" && m.state !== "cancelled") continue;
    const attempts = m.attempts > 1 ? ` (after ${m.attempts} attempts)` : "";
    lines.push(`${m.state}: ${m.modelId} ${m.algorithm}${m.error ? `: ${m.error}` : ""}${attempts}`);
  }
  return lines;
}

/** `dml trainings get`: a summary, every model, then the leaderboard. */
export function formatTraining(t: Training): string[] {
  const cv = (t.cvFolds ?? 0) > 1 ? `, ${t.cvFolds}-fold cv` : "";
  const lines = [
    `${t.id}  ${t.state}${t.cancelRequested && t.state !== "cancelled" ? " (cancel requested)" : ""}  ${formatPercent(t.progress)}`,
    `  dataset ${t.datasetId}, target ${t.target}, ${t.task}, test fraction ${t.testFraction ?? "-"}${cv}, seed ${t.seed ?? "-"}`,
    `  created ${t.createdAt}${t.finishedAt ? `, finished ${t.finishedAt}` : ""}`,
  ];
  if (t.error) lines.push(`  error: ${t.error}`);
  lines.push("");
  lines.push(
    ...formatTable(
      ["MODEL", "ALGORITHM", "STATE", "PROGRESS", "TRAINER", "ATTEMPTS", primaryMetricOf(t).toUpperCase(), "MESSAGE"],
      t.models.map((m) => [
        m.modelId,
        m.algorithm,
        m.state,
        formatPercent(m.progress),
        m.trainer ?? "",
        String(m.attempts),
        m.state === "succeeded" ? formatPrimary(t, m) : "",
        m.error ?? m.progressMessage ?? "",
      ]),
    ),
  );
  lines.push("", "leaderboard:", ...formatLeaderboard(t).map((l) => `  ${l}`));
  return lines;
}

export function formatTrainingList(trainings: Training[]): string[] {
  return formatTable(
    ["ID", "STATE", "PROGRESS", "MODELS", "DATASET", "CREATED"],
    trainings.map((t) => {
      const ended = t.models.filter((m) => TERMINAL_STATES.has(m.state)).length;
      const failed = t.models.filter((m) => m.state === "failed").length;
      return [
        t.id,
        t.state,
        formatPercent(t.progress),
        `${ended}/${t.models.length} done${failed ? `, ${failed} failed` : ""}`,
        t.datasetId,
        t.createdAt,
      ];
    }),
  );
}

export interface WatchStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * The live view of a training being watched. On a terminal: a header and one bar per model,
 * redrawn in place (cursor up, clear line) at most every 100 ms and on every state change.
 * Otherwise: a plain line whenever the training or a model changes state, trainer or attempt.
 */
export class TrainingWatchView {
  private drawnLines = 0;
  private lastDraw = 0;
  private lastTraining: Training | undefined;
  private readonly seen = new Map<string, string>();
  private readonly started = Date.now();

  constructor(private readonly stream: WatchStream = process.stderr) {}

  private get tty(): boolean {
    return Boolean(this.stream.isTTY);
  }

  update(t: Training): void {
    const prev = this.lastTraining;
    this.lastTraining = t;
    if (this.tty) {
      const changed = !prev || prev.state !== t.state || t.models.some((m, i) => prev.models[i]?.state !== m.state);
      if (changed || Date.now() - this.lastDraw >= 100) this.draw(t);
    } else {
      this.logChanges(t);
    }
  }

  /** Draws the last state for good (the terminal one) and leaves the cursor below it. */
  finish(): void {
    if (this.tty && this.lastTraining) this.draw(this.lastTraining);
  }

  /** A message that must not be overwritten by the next redraw (e.g. a reconnect notice). */
  note(message: string): void {
    if (this.tty && this.drawnLines > 0) {
      this.stream.write(`\x1b[${this.drawnLines}A\x1b[0J`);
      this.drawnLines = 0;
    }
    this.stream.write(`${message}\n`);
    if (this.tty && this.lastTraining) this.draw(this.lastTraining);
  }

  private elapsed(): string {
    return `${((Date.now() - this.started) / 1000).toFixed(1)}s`;
  }

  private draw(t: Training): void {
    this.lastDraw = Date.now();
    const width = Math.max((this.stream.columns ?? 100) - 1, 20);
    const idWidth = Math.max(...t.models.map((m) => m.modelId.length), 5);
    const algoWidth = Math.max(...t.models.map((m) => m.algorithm.length), 9);
    const lines = [`training ${t.id}  ${t.state}${t.cancelRequested && t.state !== "cancelled" ? " (cancelling)" : ""}  ${formatPercent(t.progress)}  ${this.elapsed()}`];
    for (const m of t.models) {
      const where = m.trainer ? ` on ${m.trainer}` : "";
      const attempt = m.attempts > 1 ? ` attempt ${m.attempts}` : "";
      const detail = m.state === "failed" ? (m.error ?? "") : m.state === "succeeded" ? `${primaryMetricOf(t)} ${formatPrimary(t, m)}` : (m.progressMessage ?? "");
      lines.push(
        `  ${m.modelId.padEnd(idWidth)} ${m.algorithm.padEnd(algoWidth)} [${progressBar(m.progress)}] ${formatPercent(m.progress).padStart(4)} ${m.state.padEnd(9)}${where}${attempt}  ${detail}`.trimEnd(),
      );
    }
    // Lines are cut to the terminal width: a wrapped line would break the cursor-up count.
    const up = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A` : "";
    this.stream.write(up + lines.map((l) => `\x1b[2K${l.length > width ? l.slice(0, width) : l}\n`).join(""));
    this.drawnLines = lines.length;
  }

  private logChanges(t: Training): void {
    const log = (s: string) => this.stream.write(`[${this.elapsed().padStart(7)}] ${s}\n`);
    const trainingKey = `${t.state}|${t.cancelRequested ? 1 : 0}`;
    const logTraining = () => {
      if (this.seen.get("") === trainingKey) return;
      this.seen.set("", trainingKey);
      log(`training ${t.id} ${t.state}${t.cancelRequested && t.state !== "cancelled" ? " (cancel requested)" : ""}`);
    };
    // The training's end is told after its last model's, its start before its first model's.
    const ended = TERMINAL_STATES.has(t.state);
    if (!ended) logTraining();
    for (const m of t.models) {
      const key = `${m.state}|${m.trainer ?? ""}|${m.attempts}`;
      if (this.seen.get(m.modelId) === key) continue;
      const first = !this.seen.has(m.modelId);
      this.seen.set(m.modelId, key);
      if (first && m.state === "queued") continue; // every model starts queued: no news
      let what: string = m.state;
      if (m.state === "running") what = `running${m.trainer ? ` on ${m.trainer}` : ""}${m.attempts > 1 ? ` (attempt ${m.attempts})` : ""}`;
      else if (m.state === "queued" && m.attempts > 0) what = `queued again after attempt ${m.attempts}${m.error ? `: ${m.error}` : ""}`;
      else if (m.state === "succeeded") {
        const secs = modelSeconds(m);
        what = `succeeded, ${primaryMetricOf(t)} ${formatPrimary(t, m)}${secs === undefined ? "" : ` (${secs.toFixed(1)} s)`}`;
      } else if (m.state === "failed") what = `failed${m.error ? `: ${m.error}` : ""}`;
      log(`${m.modelId} ${m.algorithm} ${what}`);
    }
    if (ended) logTraining();
  }
}
