#!/usr/bin/env node
import { runMain } from "@dml/runtime";
import { loadStoreConfig } from "./config.js";
import { startStore } from "./store.js";

void runMain("dml-store", async () => startStore(loadStoreConfig({ env: process.env, argv: process.argv.slice(2) })));
