export const DEFAULT_LAYOUT = { schedulers: 2, trainers: 2, stores: 3, gateways: 1 } as const;
