#!/usr/bin/env node
import { runMain } from "@dml/runtime";
import { loadGatewayConfig } from "./config.js";
import { startGateway } from "./gateway.js";

void runMain("dml-gateway", () => startGateway(loadGatewayConfig({ env: process.env, argv: process.argv.slice(2) })));
