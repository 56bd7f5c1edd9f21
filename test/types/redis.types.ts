/**
 * Type tests of `steadfetch/redis` (checked by `npm run typecheck`; nothing here runs): the three
 * `evaluate` functions API.md and the README give, written with each client's own types, are a
 * `RedisEvaluate`, and the coordinator is what `breaker({ shared })` and `adaptiveThrottle({ shared })` take.
 */
import type { Redis as UpstashRedis } from '@upstash/redis';
import type { Redis as IoRedis } from 'ioredis';
import type { RedisClientType } from 'redis';
import { breaker } from '../../src/entries/breaker.js';
import { createClient } from '../../src/entries/core.js';
import { coordinator, type RedisEvaluate } from '../../src/entries/redis.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';

declare const upstash: UpstashRedis;
declare const ioredis: IoRedis;
declare const nodeRedis: RedisClientType;

export const evaluates: RedisEvaluate[] = [
	async (s, k, a) => upstash.eval(s, k, a),
	async (s, k, a) => ioredis.eval(s, k.length, ...k, ...a),
	async (s, k, a) => nodeRedis.eval(s, { keys: k, arguments: a }),
];

const shared = coordinator(evaluates[0]!, { prefix: 'app:', ttlMs: 3_600_000 });
export const api = createClient({ breaker: breaker({ shared }), adaptiveThrottle: adaptiveThrottle({ shared }) });

// @ts-expect-error `evaluate` takes the script, the keys and the arguments.
coordinator((script: number) => Promise.resolve(script));
// @ts-expect-error `ttlMs` is a number of ms.
coordinator(evaluates[0]!, { ttlMs: '1h' });
