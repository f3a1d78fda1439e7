#!/usr/bin/env node
// `dml`: the DML command line. Commands that talk to a running cluster go through the gateway.
import { UsageError } from "./args.js";
import { clusterCommand } from "./commands/cluster.js";
import { datasetsCommand } from "./commands/datasets.js";
import { healthCommand } from "./commands/health.js";
import { modelsCommand } from "./commands/models.js";
import { predictionsCommand } from "./commands/predictions.js";
import { predictCommand } from "./commands/predict.js";
import { trainCommand, trainingsCommand } from "./commands/trainings.js";
import { upCommand } from "./commands/up.js";
import { GatewayError } from "./gateway-client.js";

const USAGE = `usage: dml <command> [options]

commands:
  up [--schedulers N] [--trainers N] [--stores N] [--http-port 8080] [--grpc-port 8081]
     [--etcd-port 23790] [--state-dir .dml] [--lease-ttl 3] [--import DIR]
                         start a whole local cluster (npm start runs this)
  datasets upload FILE [--name NAME] [--types col:type,...] [--delimiter ,] [--rows-per-batch N]
                         upload a CSV (with a progress bar) and show its schema
  datasets ls|get ID|rows ID [--offset N --limit N]|download ID [-o FILE] [--format csv|arrow]|rm ID
  train --dataset ID --target COLUMN --task classification|regression --models ALGO,...
        [--params JSON] [--test-fraction 0.2] [--cv N] [--seed N] [--watch]
                         start a training job; prints its id (--watch: live progress per model,
                         then the leaderboard; exit 1 unless it succeeded). Algorithms:
                         random_forest, gradient_boosting, decision_tree, logistic_regression,
                         linear_regression, svm, naive_bayes, knn. --params: scikit-learn names,
                         by algorithm '{"random_forest":{"n_estimators":50}}' or one object per
                         model '[{"n_estimators":50},null]'
  trainings ls [--dataset ID]|get ID|cancel ID|watch ID
                         list, inspect (models and leaderboard), cancel or follow trainings
  models ls [--training ID] [--dataset ID]|get ID|download ID [-o FILE]|rm ID
                         list and inspect trained models (metrics, confusion matrix, importances,
                         ROC AUC), download a model document (default FILE: ID.json), delete one
  predict MODEL --row '{"column": value, ...}' | --file rows.csv [--top 3]
                         online prediction: one row, or every row of a CSV file (with a
                         header; sent 1000 rows at a time); prints each row's prediction and
                         most likely classes
  predictions create --model ID --dataset ID [--watch]|ls [--model ID] [--dataset ID]|get ID
              |results ID [--offset N] [--limit N]|download ID [-o FILE]
                         batch predictions over a stored dataset: start one (--watch: progress,
                         then rows and metrics), page through its results, download them as CSV
  cluster [--json]       list the cluster's nodes and the leader scheduler
  health HOST:PORT       gRPC health check of any node (exit 0 when SERVING)

common options: --json (machine-readable output), --gateway URL (or DML_GATEWAY, default
                http://127.0.0.1:8080), --token TOKEN (or DML_API_TOKEN)
`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  up: upCommand,
  cluster: clusterCommand,
  datasets: datasetsCommand,
  health: healthCommand,
  models: modelsCommand,
  predictions: predictionsCommand,
  predict: predictCommand,
  train: trainCommand,
  trainings: trainingsCommand,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  const run = COMMANDS[command];
  if (!run) {
    process.stderr.write(`dml: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`dml ${command}: ${err.message}\n`);
      return 2;
    }
    if (err instanceof GatewayError) {
      process.stderr.write(`dml ${command}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`dml: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
