#!/usr/bin/env node
import { runMain } from "@dml/runtime";
import { loadTrainerConfig } from "./config.js";
import { startTrainer } from "./trainer.js";

void runMain("dml-trainer", () => startTrainer(loadTrainerConfig({ env: process.env, argv: process.argv.slice(2) })));
