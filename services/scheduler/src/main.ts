#!/usr/bin/env node
import { runMain } from "@dml/runtime";
import { loadSchedulerConfig } from "./config.js";
import { startScheduler } from "./scheduler.js";

void runMain("dml-scheduler", () => startScheduler(loadSchedulerConfig({ env: process.env, argv: process.argv.slice(2) })));
