export { startGateway, type RunningGateway } from "./gateway.js";
export { loadGatewayConfig, gatewayOptions, type GatewayConfig } from "./config.js";
export { HTTP_STATUS_BY_GRPC, toErrorResponse } from "./http/errors.js";
export { openApiDocument } from "./openapi.js";
