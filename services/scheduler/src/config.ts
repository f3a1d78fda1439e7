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
