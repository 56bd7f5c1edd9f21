/**
 * The Redis-shared fleet, twenty-ninth round (a real redis-server, started here): what a process does with
 * values under its keys that are not its own (API.md "Sensitive data": a malformed record read from storage is
 * ignored and reported as `storage:error`), through ioredis and through `@upstash/redis`.
 */
import { Redis as Upstash } from '@upstash/redis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';
import { breaker } from '../../src/entries/breaker.js';
import { coordinator, type RedisEvaluate } from '../../src/entries/redis.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { startRedis, type RunningRedis } from '../helpers/redis-server.js';
import { upstashBridge, type UpstashBridge } from '../helpers/upstash-bridge.js';
import { waitFor } from '../helpers/wait-for.js';

let redis: RunningRedis;
let origin: RunningServer;
let bridge: UpstashBridge;
const plain: RedisEvaluate = async (s, k, a) => redis.client.eval(s, k.length, ...k, ...a);
const token = 'fleet-hunt29-token';

beforeAll(async () => {
	redis = await startRedis();
	origin = await serve(() => new Response('ok'));
	bridge = await upstashBridge(redis.port, token);
});
beforeEach(async () => {
	await redis.client.flushall();
});
afterAll(async () => {
	await bridge?.close();
	await origin?.close();
	await redis?.stop();
});

/** Redis's clock, in epoch ms. */
const redisNow = async (): Promise<number> => {
	const [seconds, micros] = await redis.client.time();
	return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
};

/** The evaluate of each client: ioredis, and `@upstash/redis` (its automatic deserialization) over the loopback bridge. */
const clients = (): Record<string, RedisEvaluate> => {
	const upstash = new Upstash({ url: bridge.url, token });
	return { ioredis: plain, upstash: async (s, k, a) => upstash.eval(s, k, a) };
};

type Plant = (key: string, now: number) => Promise<unknown>;

/** What another program (or a garbled write) may leave at a scope's key: each is not a state of ours. */
const foreign = (ours: (now: number) => number[]): Record<string, Plant> => ({
	'a string key': async (key) => redis.client.set(key, '[1,2,3]'),
	'a list': async (key) => redis.client.rpush(key, 'x'),
	'numbers as strings': async (key, now) => redis.client.hset(key, 'v', '3', 's', JSON.stringify(ours(now).map(String))),
	'nested arrays': async (key, now) => redis.client.hset(key, 'v', '3', 's', JSON.stringify(ours(now).map((n) => [n]))),
	'a JSON string of the numbers': async (key, now) => redis.client.hset(key, 'v', '3', 's', JSON.stringify(JSON.stringify(ours(now)))),
	'cut JSON': async (key, now) => redis.client.hset(key, 'v', '3', 's', JSON.stringify(ours(now)).slice(0, -3)),
	'an object': async (key) => redis.client.hset(key, 'v', '3', 's', '{"url":"https://x.example/?token=1"}'),
	'a version that is no write count': async (key, now) => redis.client.hset(key, 'v', 'abc', 's', JSON.stringify(ours(now))),
	'no version': async (key, now) => redis.client.hset(key, 's', JSON.stringify(ours(now))),
	'negative counts': async (key, now) => redis.client.hset(key, 'v', '3', 's', JSON.stringify(ours(now).map((n, index) => (index ? -Math.abs(n) - 1 : n)))),
});

describe('coordinator(evaluate): a value under a scope\'s key that is not the coordinator\'s own is reported as storage:error', { timeout: 60_000 }, () => {
	const cases = [
		{
			kind: 'breaker',
			// Open, opened now for a minute, 5 failures in a row: what a process of the fleet writes.
			ours: (now: number) => [1, now, now + 60_000, 1, now, 0, 0, 5, 0, 0],
			make: (shared: ReturnType<typeof coordinator>) => createClient({ retry: 0, breaker: breaker({ shared, share: false, sharedTimeoutMs: 1000 }) }),
		},
		{
			kind: 'throttle',
			// The window of 10 s, its ten buckets: a request counted in each.
			ours: (now: number) => [10_000, ...Array.from({ length: 10 }, (_, slot) => Math.floor(now / 1000) - slot), ...Array<number>(10).fill(1), ...Array<number>(10).fill(0)],
			make: (shared: ReturnType<typeof coordinator>) => createClient({ retry: 0, adaptiveThrottle: adaptiveThrottle({ windowMs: 10_000, shared }) }),
		},
	] as const;
	for (const { kind, ours, make } of cases) {
		it(`${kind}: each foreign value, through ioredis and @upstash/redis, is reported once as storage:error, the call answered, the key written over with numbers`, async () => {
			const seen: Record<string, string> = {};
			for (const [client, evaluate] of Object.entries(clients())) {
				for (const [name, plant] of Object.entries(foreign(ours))) {
					await redis.client.flushall();
					let runs = 0;
					const shared = coordinator(async (s, k, a) => {
						runs++;
						return evaluate(s, k, a);
					});
					// The key as a process of the fleet writes it, then the foreign value in its place.
					const scope = new URL(origin.url).origin;
					const message = kind === 'breaker' ? { policy: { consecutiveFailures: 5, openMs: 1000, maxOpenMs: 60_000, probeTimeoutMs: 1000 }, outcomes: [] } : { throttle: { windowMs: 10_000, requests: 0, accepts: 0 } };
					await coordinator(plain).sync(scope, message);
					const [key] = await redis.client.keys(`steadfetch:${kind}:*`);
					await redis.client.del(key!);
					await plant(key!, await redisNow());
					const api = make(shared);
					const errors: Array<{ part: string; error: unknown }> = [];
					api.on('storage:error', (event) => errors.push(event));
					try {
						const answered = await api.get(origin.url).then((response) => String(response.status), (error: { code?: string }) => String(error.code));
						await waitFor(async () => (await redis.client.type(key!)) === 'hash' && /^\[[-0-9.,e]*\]$/.test(await redis.client.hget(key!, 's') ?? '') && /^[1-9]\d*$/.test(await redis.client.hget(key!, 'v') ?? ''), `the key written over: ${client} ${name}`);
						await waitFor(() => runs >= 2, 'the sync\'s write');
						seen[`${client} ${name}`] = `${answered} ${errors.filter((event) => event.part === kind).length}`;
					} finally {
						api.close();
					}
				}
			}

			// Before: every one '200 0': the value dropped silently (API.md: "a malformed record is ignored and reported as storage:error").
			expect(seen).toEqual(Object.fromEntries(Object.keys(seen).map((name) => [name, '200 1'])));
		});
	}

	it('what is the coordinator\'s own is not reported: a missing key, its numbers, the nine numbers of an older process, the counts of another windowMs (a client of the name with other options)', async () => {
		const errors: string[] = [];
		const breakers = createClient({ retry: 0, breaker: breaker({ shared: coordinator(plain), share: false, sharedCacheMs: 50, sharedTimeoutMs: 1000 }) });
		const throttles = createClient({ retry: 0, adaptiveThrottle: adaptiveThrottle({ windowMs: 10_000, shared: coordinator(plain) }) });
		for (const api of [breakers, throttles]) {
			api.on('storage:error', ({ part, error }) => errors.push(`${part} ${String(error)}`));
		}

		try {
			expect((await breakers.get(origin.url)).status).toBe(200); // a missing key
			expect((await throttles.get(origin.url)).status).toBe(200);
			await waitFor(async () => (await redis.client.keys('steadfetch:*')).length === 2, 'both keys written');
			const [breakerKey] = await redis.client.keys('steadfetch:breaker:*');
			const [throttleKey] = await redis.client.keys('steadfetch:throttle:*');
			const now = await redisNow();
			await redis.client.hset(breakerKey!, 's', JSON.stringify([0, 0, 0, 0, now, 0, 0, 1, 0])); // nine numbers, one failure counted
			await redis.client.hset(throttleKey!, 's', JSON.stringify([60_000, ...Array<number>(10).fill(-1), ...Array<number>(20).fill(0)])); // another window's
			const runs = await redis.client.hget(breakerKey!, 'v');
			await waitFor(async () => {
				await breakers.get(origin.url);
				return (await redis.client.hget(breakerKey!, 'v')) !== runs;
			}, 'the breaker\'s next sync');
			await waitFor(async () => {
				await throttles.get(origin.url);
				return JSON.parse((await redis.client.hget(throttleKey!, 's'))!)[0] === 10_000;
			}, 'the throttle\'s next sync');
		} finally {
			breakers.close();
			throttles.close();
		}

		expect(errors).toEqual([]);
	});
});

describe('coordinator(evaluate): a write the Redis client delivers twice (its first reply lost: ioredis resends what was in flight after a reconnect, @upstash/redis retries a fetch that failed) is counted once', () => {
	/**
	 * An evaluate whose first write reaches Redis twice: the first delivery runs, its reply is lost, then `between` runs
	 * (another process's sync), then the same write is delivered again and its reply is the one the coordinator gets.
	 */
	const twice = (between: () => Promise<unknown> = async () => undefined): RedisEvaluate => {
		let writes = 0;
		return async (s, k, a) => {
			if (s.includes('HSET') && writes++ === 0) {
				await plain(s, k, a);
				await between();
			}

			return plain(s, k, a);
		};
	};
	const scope = 'https://twice.example';
	const windowMs = 10_000;
	const counts = async (): Promise<number> => {
		const [key] = await redis.client.keys('steadfetch:throttle:*');
		return (JSON.parse((await redis.client.hget(key!, 's'))!) as number[]).slice(1 + 10, 1 + 20).reduce((sum, count) => sum + count, 0);
	};
	const consecutive = async (): Promise<number> => {
		const [key] = await redis.client.keys('steadfetch:breaker:*');
		return (JSON.parse((await redis.client.hget(key!, 's'))!) as number[])[7]!;
	};
	const policy = { consecutiveFailures: 100, openMs: 1000, maxOpenMs: 1000, probeTimeoutMs: 1000 };

	it('the throttle\'s report: its attempts summed once, also when another process wrote between the two deliveries', async () => {
		const seen: Record<string, number> = {};
		await coordinator(twice()).sync(scope, { throttle: { windowMs, requests: 10, accepts: 10 } });
		seen['alone'] = await counts();
		await redis.client.flushall();
		const other = coordinator(plain);
		await coordinator(twice(async () => other.sync(scope, { throttle: { windowMs, requests: 3, accepts: 3 } }))).sync(scope, { throttle: { windowMs, requests: 10, accepts: 10 } });
		seen['another between'] = await counts();
		// Before: { alone: 20, 'another between': 23 }: the resent write found the key written since (by itself) and added the report again.
		expect(seen).toEqual({ alone: 10, 'another between': 13 });
		// What the key keeps of its writes is random digits, no more than 8 of them (no URL, header or token of the app).
		const [key] = await redis.client.keys('steadfetch:throttle:*');
		expect(await redis.client.hget(key!, 'w')).toMatch(/^\d{12} \d{12}$/);
		for (let write = 0; write < 10; write++) {
			await other.sync(scope, { throttle: { windowMs, requests: 0, accepts: 0 } });
		}

		expect(await redis.client.hget(key!, 'w')).toMatch(/^\d{12}( \d{12}){7}$/);
	});

	it('the breaker\'s outcomes: a failure counted once in the fleet\'s failures in a row', async () => {
		await coordinator(twice()).sync(scope, { policy, outcomes: [1] });
		const seen = [await consecutive()];
		const other = coordinator(plain);
		await coordinator(twice(async () => other.sync(scope, { policy, outcomes: [1] }))).sync(scope, { policy, outcomes: [1] });
		seen.push(await consecutive());
		// Before: [2, 5]: each failure the process reported counted twice.
		expect(seen).toEqual([1, 3]);
	});
});
