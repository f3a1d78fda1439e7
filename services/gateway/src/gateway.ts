import type { Server as HttpServer } from "node:http";
import { once } from "node:events";
import { benchmarkV1, clusterV1, datasetV1, modelV1, predictionV1, trainingV1 } from "@dml/proto";
import {
  createEtcdClient,
  createLogger,
  formatHostPort,
  NodeDirectory,
  startNode,
  StoreClients,
  withUnimplemented,
  type RunningNode,
} from "@dml/runtime";
import { DatasetRepository, ModelRepository, PredictionRepository, TrainingRepository } from "@dml/catalog";
import { Datasets } from "./domain/datasets/datasets.js";
import { Trainings } from "./domain/trainings/trainings.js";
import { Models } from "./domain/models/models.js";
import { TrainerRouter } from "./domain/predict/trainer-router.js";
import { datasetService } from "./grpc/dataset-service.js";
import { trainingService } from "./grpc/training-service.js";
import { modelService } from "./grpc/model-service.js";
import { Predictions } from "./domain/predictions/predictions.js";
import { predictionService } from "./grpc/prediction-service.js";
import type { GatewayConfig } from "./config.js";
import { bearerAuthMiddleware } from "./grpc/auth-middleware.js";
import { clusterService } from "./grpc/cluster-service.js";
import { buildRouter } from "./http/routes.js";
import { createRestServer } from "./http/server.js";

export interface RunningGateway extends RunningNode {
  /** Base URL of the REST API, e.g. http://127.0.0.1:8080 */
  httpUrl: string;
  http: HttpServer;
}

/**
 * Starts the gateway: the REST API on DML_HTTP_LISTEN and the public gRPC API on DML_LISTEN.
 * The HTTP port is bound first so the membership record can carry its URL.
 */
export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  const log = createLogger({ service: "gateway", node: config.nodeId, level: config.logLevel });
  // Created here so the REST edge can be built before the node starts; the node closes it at stop.
  const etcd = createEtcdClient(config.etcd);
  const directory = new NodeDirectory(etcd);
  await directory.start();
  const stores = new StoreClients();
  const datasets = new Datasets({
    etcd,
    repo: new DatasetRepository(etcd),
    directory,
    stores,
    replication: config.replication,
    leaseTtl: config.leaseTtl,
    ingestWorkers: config.ingestWorkers,
    log: log.child({ component: "datasets" }),
  });
  const trainings = new Trainings({ etcd, repo: new TrainingRepository(etcd), datasets: new DatasetRepository(etcd) });
  const predictor = new TrainerRouter({ directory, log: log.child({ component: "predict" }) });
  const models = new Models({ repo: new ModelRepository(etcd), directory, stores, predictor, log: log.child({ component: "models" }) });
  // Result objects go through the datasets' fetcher: one cache of verified, immutable store objects.
  const predictions = new Predictions({ repo: new PredictionRepository(etcd), models: new ModelRepository(etcd), datasets: new DatasetRepository(etcd), fetcher: datasets.fetcher });
  const http = createRestServer({
    router: buildRouter({ etcd, datasets, trainings, models, predictor, predictions, maxUploadBytes: config.maxUploadBytes }),
    apiToken: config.apiToken,
    log: log.child({ component: "http" }),
  });
  http.listen(config.httpListen.port, config.httpListen.host.replace(/^\[|\]$/g, ""));
  await Promise.race([
    once(http, "listening"),
    once(http, "error").then(([err]) => {
      etcd.close();
      throw err;
    }),
  ]);
  const httpPort = (http.address() as { port: number }).port;
  const httpUrl = `http://${formatHostPort({ host: config.httpListen.host, port: httpPort })}`;
  let node: RunningNode;
  try {
    node = await startNode({
      role: "gateway",
      config,
      logger: log,
      etcd,
      middleware: config.apiToken ? bearerAuthMiddleware(config.apiToken) : undefined,
      services: [
        { definition: clusterV1.ClusterServiceDefinition, implementation: clusterService(etcd) },
        { definition: datasetV1.DatasetServiceDefinition, implementation: datasetService(datasets, { maxUploadBytes: config.maxUploadBytes }) },
        { definition: trainingV1.TrainingServiceDefinition, implementation: trainingService(trainings) },
        { definition: modelV1.ModelServiceDefinition, implementation: modelService(models, predictor) },
        { definition: predictionV1.PredictionServiceDefinition, implementation: predictionService(predictions) },
        { definition: benchmarkV1.BenchmarkServiceDefinition, implementation: withUnimplemented(benchmarkV1.BenchmarkServiceDefinition) },
      ],
      record: { http: httpUrl },
      ready: { http: httpUrl },
    });
  } catch (err) {
    http.close();
    await datasets.close();
    await directory.stop();
    stores.close();
    predictor.close();
    etcd.close();
    throw err;
  }
  node.onStop(async () => {
    // Stop taking new HTTP requests; idle keep-alive sockets are closed so close() can finish.
    const closed = new Promise<void>((resolve) => http.close(() => resolve()));
    http.closeIdleConnections();
    setTimeout(() => http.closeAllConnections(), 3_000).unref();
    await closed;
    await datasets.close();
    await directory.stop();
    stores.close();
    predictor.close();
  });
  return Object.assign(node, { httpUrl, http });
}
