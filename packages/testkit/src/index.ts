export { TestCluster, type TestNode, type ClusterSpec, type StartNodeOptions } from "./cluster.js";
export { waitFor } from "./wait.js";
