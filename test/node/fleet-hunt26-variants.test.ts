/**
 * The Redis-shared fleet, twenty-sixth round (a real redis-server, started here): what the fleet's link
 * takes of the isolate's clock and of what Redis holds, Redis down or slow, and the coordinator's options.
 */
import { Redis as Upstash } from '@upstash/redis';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';
import { breaker } from '../../src/entries/breaker.js';
import { coordinator, type RedisEvaluate } from '../../src/entries/redis.js';
import type { SyncAnswer } from '../../src/breaker/sync.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { startRedis, type RunningRedis } from '../helpers/redis-server.js';
import { upstashBridge } from '../helpers/upstash-bridge.js';
import { waitFor } from '../helpers/wait-for.js';

let redis: RunningRedis;
let origin: RunningServer;
const plain: RedisEvaluate = async (s, k, a) => redis.client.eval(s, k.length, ...k, ...a);

beforeAll(async () => {
	redis = await startRedis();
	origin = await serve(() => new Response('ok'));
});
beforeEach(async () => {
	await redis.client.flushall();
});
afterAll(async () => {
	await origin?.close();
	await redis?.stop();
});

/** A Redis coordinator whose scripts in flight are counted: a test waits for its syncs to end, never a fixed time. */
const counted = () => {
	const state = { flying: 0, runs: 0 };
	const shared = coordinator(async (s, k, a) => {
		state.flying++;
		state.runs++;
		try {
			return await plain(s, k, a);
		} finally {
			state.flying--;
		}
	});
	return { shared, state };
};

describe('adaptiveThrottle({ shared: coordinator(evaluate) }): the isolate\'s clock', () => {
	it('a clock that stepped back (an hour) neither freezes the fleet\'s last window nor stops the reports: the next sync is due after a tenth of the window', async () => {
		const windowMs = 10_000;
		const scope = new URL(origin.url).origin;
		const clock = new ManualClock(Date.now());
		const { shared, state } = counted();
		const api = createClient({ clock, random: () => 0, retry: 0, adaptiveThrottle: adaptiveThrottle({ windowMs, minRequests: 20, shared }) });
		/** Another process of the fleet reports its attempts of the window. */
		const other = async (requests: number, accepts: number) => shared.sync(scope, { throttle: { windowMs, requests, accepts } });
		const throttle = () => api.stats()[scope]?.['throttle'] as { requests: number; accepts: number } | undefined;
		try {
			await other(40, 0); // the fleet's origin failing
			const call = async () => api.get(origin.url).then((response) => String(response.status), (error: { code?: string }) => String(error.code));
			await call();
			await waitFor(() => state.flying === 0 && (throttle()?.requests ?? 0) >= 40, 'the fleet\'s window');
			expect(await call()).toBe('THROTTLED');
			clock.set(clock.now() - 3_600_000); // the isolate's clock steps back an hour (NTP)
			await other(1000, 1000); // the fleet's origin answers again
			const seen: string[] = [];
			for (let round = 0; round < 5 && !seen.includes('200'); round++) {
				clock.advance(windowMs / 10 + 1); // past the next sync's due time
				const runs = state.runs;
				seen.push(await call());
				await waitFor(() => state.flying === 0, 'the sync to end');
				if (state.runs === runs) {
					seen.push('no sync');
				}
			}

			// Before: ['THROTTLED', 'no sync', …] five times: the last answer read as fresh and no sync made until the clock came back (an hour).
			expect(seen).toContain('200');
			expect(throttle()!.requests).toBeGreaterThanOrEqual(1000);
		} finally {
			api.close();
		}
	});
});

describe('adaptiveThrottle: attempts counted as classify() calls their end', () => {
	it('an attempt ky gave up at its timeout whose fetch never settles (a transport that ignores its signal; Deno and workerd reject late) is a request without an accept, counted at its abort as the breaker counts it', async () => {
		const hung = 'https://hung.example';
		const api = createClient({ retry: 0, timeout: 30, random: () => 0, fetch: async () => new Promise<Response>(() => undefined), adaptiveThrottle: adaptiveThrottle({ minRequests: 3 }) });
		try {
			const seen: string[] = [];
			for (let call = 0; call < 4; call++) {
				seen.push(await api.get(`${hung}/x`).then(() => 'ok', (error: { code?: string; name: string }) => error.code ?? error.name));
			}

			// Before: four 'TimeoutError' and { requests: 0, accepts: 0 }: a hung origin behind such a transport was never throttled.
			expect(seen).toEqual(['TimeoutError', 'TimeoutError', 'TimeoutError', 'THROTTLED']);
			expect(api.stats()[hung]?.['throttle']).toMatchObject({ requests: 4, accepts: 0, rejected: 1 });
		} finally {
			api.close();
		}
	});
});

describe('coordinator(evaluate): a sync given up never changes the fleet\'s state later', () => {
	it('the wall clock stepping back 10 s while a sync runs (NTP) does not stretch its write\'s deadline: a write held 2.1 s is refused by Redis', async () => {
		const scope = 'https://stepped.example';
		const policy = { consecutiveFailures: 100, openMs: 200, maxOpenMs: 200, probeTimeoutMs: 10_000 };
		await coordinator(plain).sync(scope, { policy, outcomes: [1] });
		const [key] = await redis.client.keys('steadfetch:breaker:*');
		const numbers = await redis.client.hget(key!, 's');
		const real = Date.now.bind(Date);
		const stepped = coordinator(async (s, k, a) => {
			if (s.includes('HSET')) {
				await new Promise((resolve) => setTimeout(resolve, 2100)); // past the 2 000 ms a process waits for a sync
				return plain(s, k, a);
			}

			const reply = await plain(s, k, a);
			vi.spyOn(Date, 'now').mockImplementation(() => real() - 10_000); // the read answered, then the clock steps back
			return reply;
		});
		try {
			// Before: it resolved, and Redis held 2 failures in a row: the write's deadline was Redis's now + 11 800 ms.
			await expect(stepped.sync(scope, { policy, outcomes: [1] })).rejects.toThrow(/could not be written/);
		} finally {
			vi.restoreAllMocks();
		}

		expect(await redis.client.hget(key!, 's')).toBe(numbers);
	});
});

describe('breaker({ shared: coordinator(evaluate) }): the isolate\'s clock', () => {
	it('a clock that stepped back (half an hour) does not keep the process on its last adopted state: the fleet\'s opening is adopted at the next call past sharedCacheMs', async () => {
		const scope = new URL(origin.url).origin;
		const clock = new ManualClock(Date.now());
		const shared = coordinator(plain);
		const settings = { consecutiveFailures: 1, openMs: 60_000, maxOpenMs: 60_000 };
		const api = createClient({ clock, retry: 0, breaker: breaker({ shared, sharedCacheMs: 100, sharedTimeoutMs: 1000, share: false, ...settings }) });
		const call = async () => api.get(origin.url).then((response) => String(response.status), (error: { code?: string }) => String(error.code));
		try {
			expect(await call()).toBe('200'); // synced: the fleet's scope closed
			// The process's clock steps back half an hour (NTP): Redis's answers stay well within the hour ahead an isolate takes.
			clock.set(clock.now() - 1_800_000);
			await shared.sync(scope, { policy: { ...settings, probeTimeoutMs: 10_000 }, outcomes: [1] }); // another process opens the fleet's breaker
			const seen: string[] = [];
			for (let round = 0; round < 3; round++) {
				clock.advance(200); // past sharedCacheMs
				seen.push(await call());
			}

			// Before: ['200', '200', '200']: no sync until the clock came back (half an hour), every call sent to a scope the fleet held open.
			expect(seen).toEqual(['CIRCUIT_OPEN', 'CIRCUIT_OPEN', 'CIRCUIT_OPEN']);
		} finally {
			api.close();
		}
	});
});

describe('coordinator(evaluate): what Redis holds reads the same whichever client decodes it', () => {
	it('numbers stored as a JSON string of their JSON (a garbled write, another program\'s) are none for @upstash/redis (which parses each reply string once more) as for ioredis: a closed scope, written over', async () => {
		const bridge = await upstashBridge(redis.port, 'fleet-token');
		const upstash = new Upstash({ url: bridge.url, token: 'fleet-token' });
		const clients = { upstash: coordinator(async (s, k, a) => upstash.eval(s, k, a)), ioredis: coordinator(plain) };
		const scope = 'https://encoded.example';
		const policy = { consecutiveFailures: 5, openMs: 1000, maxOpenMs: 600_000, probeTimeoutMs: 1000 };
		try {
			const states: Record<string, string> = {};
			for (const [name, shared] of Object.entries(clients)) {
				await redis.client.flushall();
				await shared.sync(scope, { policy, outcomes: [] });
				const [key] = await redis.client.keys('steadfetch:breaker:*');
				const [seconds] = await redis.client.time();
				const now = Number(seconds) * 1000;
				// Open for 10 minutes, failures in a row 5: encoded twice.
				await redis.client.hset(key!, 's', JSON.stringify(JSON.stringify([1, now, now + 600_000, 1, now, 0, 0, 5, 0, 0])));
				const { record } = await shared.sync(scope, { policy, outcomes: [] }) as SyncAnswer;
				states[name] = `${record.state} ${JSON.parse((await redis.client.hget(key!, 's'))!)[0]}`;
			}

			// Before: { upstash: 'open 1', ioredis: 'closed 0' }: a fleet of both clients split, and the Upstash process wrote the planted opening back as its own.
			expect(states).toEqual({ upstash: 'closed 0', ioredis: 'closed 0' });
		} finally {
			await bridge.close();
		}
	});
});
