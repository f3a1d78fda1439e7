import { commonOptions, loadConfig, parseInteger, type ConfigOf, type ConfigSource } from "@dml/runtime";

export function schedulerOptions() {
  return {
    ...commonOptions("scheduler"),
    replication: {
      env: "DML_REPLICATION",
      flag: "--replication",
      doc: "replicas per stored batch (capped by live stores); used by repair",
      default: 3,
      parse: parseInteger(1, 16),
    },
    repairIntervalMs: {
      env: "DML_REPAIR_INTERVAL_MS",
      flag: "--repair-interval-ms",
      doc: "how often the leader checks every batch's replica count (it also reacts at once to a store leaving)",
      default: 5000,
      parse: parseInteger(100, 3_600_000),
    },
    orphanIntervalMs: {
      env: "DML_ORPHAN_INTERVAL_MS",
      flag: "--orphan-interval-ms",
      doc: "how often the leader deletes store objects no manifest refers to",
      default: 60_000,
      parse: parseInteger(100, 86_400_000),
    },
    orphanGraceMs: {
      env: "DML_ORPHAN_GRACE_MS",
      flag: "--orphan-grace-ms",
      doc: "an unreferenced object younger than this is left alone (an upload or copy may record it)",
      default: 600_000,
      parse: parseInteger(0, 86_400_000),
    },
    workHeartbeatMs: {
      env: "DML_WORK_HEARTBEAT_MS",
      flag: "--work-heartbeat-ms",
      doc: "how often trainers report the attempts they run on their work stream",
      default: 1000,
      parse: parseInteger(100, 60_000),
    },
    leaderHeartbeatMs: {
      env: "DML_LEADER_HEARTBEAT_MS",
      flag: "--leader-heartbeat-ms",
      doc: "how often the leader writes its fenced leader-state record",
      default: 1000,
      parse: parseInteger(100, 60_000),
    },
  };
}

export type SchedulerConfig = ConfigOf<ReturnType<typeof schedulerOptions>>;

export function loadSchedulerConfig(source: ConfigSource): SchedulerConfig {
  return loadConfig(schedulerOptions(), source);
}
