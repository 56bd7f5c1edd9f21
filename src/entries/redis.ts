/** `steadfetch/redis`: the breaker and the throttle shared by every process and isolate through Redis (any client, through one `evaluate` function). */
export { coordinator, type RedisCoordinatorOptions, type RedisEvaluate } from '../redis/index.js';
export type { SharedBreaker, SharedCoordinator } from '../breaker/shared.js';
