export * from "./datasets.js";
