/**
 * src/redis/ against a real Redis (started here): the compare-and-set under contention (no update
 * lost, one probe granted), a write that would land after the sync was given up (refused by Redis),
 * each client's decoding of replies, and what it does with values that are not its own.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import { createClient } from '../../src/entries/core.js';
import { coordinator, type RedisEvaluate } from '../../src/entries/redis.js';
import type { SyncAnswer } from '../../src/breaker/sync.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { startRedis, type RunningRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { sha256 } from '../../src/utils/digest.js';

let redis: RunningRedis;
let origin: RunningServer;
let hits = 0;
const policy = { consecutiveFailures: 100, openMs: 200, maxOpenMs: 200, probeTimeoutMs: 10_000 };
const scope = 'https://contended.example';
const plain: RedisEvaluate = async (s, k, a) => redis.client.eval(s, k.length, ...k, ...a);
const numbersOf = async (): Promise<number[]> => {
	const [key] = await redis.client.keys('steadfetch:breaker:*');
	return JSON.parse((await redis.client.hget(key!, 's'))!) as number[];
};

beforeAll(async () => {
	redis = await startRedis();
	origin = await serve(() => {
		hits++;
		return new Response('ok');
	});
});

beforeEach(async () => {
	await redis.client.flushall();
});

afterAll(async () => {
	await origin?.close();
	await redis?.stop();
});

describe('the Redis coordinator', { timeout: 30_000 }, () => {
	it('16 processes reporting a failure at once: each counted once (no update lost); then one probe granted among 8 asking', async () => {
		const fleet = Array.from({ length: 16 }, () => coordinator(plain));
		await Promise.all(fleet.map(async (shared) => shared.sync(scope, { policy, outcomes: [1] })));
		expect((await numbersOf())[7]).toBe(16); // consecutive failures

		const opening = { ...policy, consecutiveFailures: 17 };
		const opened = await fleet[0]!.sync(scope, { policy: opening, outcomes: [1] }) as SyncAnswer;
		expect(opened.record.state).toBe('open');
		for (let tries = 0; Date.now() < opened.record.reopensAt + 5; tries++) {
			expect(tries).toBeLessThan(100);
			await new Promise((resolve) => setTimeout(resolve, 10));
		}

		const answers = await Promise.all(fleet.slice(0, 8).map(async (shared) => shared.sync(scope, { policy: opening, outcomes: [], probe: true }) as Promise<SyncAnswer>));
		expect(answers.filter(({ granted }) => granted !== undefined)).toHaveLength(1);
	});

	it('a probe granted with its call\'s own timeout (probeMs, longer than probeTimeoutMs) holds the fleet\'s slot that long: no second grant past probeTimeoutMs, and its success closes the scope', async () => {
		const shared = coordinator(plain);
		const short = { ...policy, consecutiveFailures: 1, probeTimeoutMs: 100 };
		const opened = await shared.sync(scope, { policy: short, outcomes: [1] }) as SyncAnswer;
		const redisNow = async (): Promise<number> => {
			const [seconds, micros] = await redis.client.time();
			return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
		};

		await waitFor(async () => await redisNow() > opened.record.reopensAt, 'the open period over');
		const { granted } = await shared.sync(scope, { policy: short, outcomes: [], probe: true, probeMs: 10_000 }) as SyncAnswer;
		expect(granted).toBeGreaterThan(0);
		await waitFor(async () => await redisNow() > granted! + 150, 'past probeTimeoutMs');
		// Before: the tenth number was not kept, the grant expired at probeTimeoutMs: a second probe granted (and the first one's success ignored).
		expect((await shared.sync(scope, { policy: short, outcomes: [], probe: true }) as SyncAnswer).granted).toBeUndefined();
		expect((await shared.sync(scope, { policy: short, outcomes: [], probed: { at: granted!, failed: false } }) as SyncAnswer).record.state).toBe('closed');
	});

	it('a write that would land after the process gave the sync up is refused by Redis: the fleet\'s state is unchanged', async () => {
		await coordinator(plain).sync(scope, { policy, outcomes: [1] });
		const [key] = await redis.client.keys('steadfetch:breaker:*');
		const version = await redis.client.hget(key!, 'v');
		// The write script (the one that sets) is held 2 s before it reaches Redis: past the 2 000 ms budget.
		const late = coordinator(async (s, k, a) => {
			if (s.includes('HSET')) {
				await new Promise((resolve) => setTimeout(resolve, 2000));
			}

			return plain(s, k, a);
		});
		await expect(late.sync(scope, { policy, outcomes: [1] })).rejects.toThrow(/could not be written/);
		expect(await redis.client.hget(key!, 'v')).toBe(version);
		expect((await numbersOf())[7]).toBe(1);
	});

	it('takes each client\'s decoding of the reply: integers as strings, JSON already parsed; anything else is a failed sync', async () => {
		const asStrings = coordinator(async (s, k, a) => {
			const reply = await plain(s, k, a);
			return Array.isArray(reply) ? reply.map((item) => typeof item === 'number' ? String(item) : item) : reply;
		});
		const parsed = coordinator(async (s, k, a) => {
			const reply = await plain(s, k, a);
			return Array.isArray(reply) ? reply.map((item) => typeof item === 'string' && item.startsWith('[') ? JSON.parse(item) as unknown : item) : reply;
		});
		await asStrings.sync(scope, { policy, outcomes: [1] });
		const answer = await parsed.sync(scope, { policy, outcomes: [1] }) as SyncAnswer;
		expect(answer.record.scope).toBe(scope);
		expect((await numbersOf())[7]).toBe(2);

		for (const garbage of ['OK', {}, [1], ['x', 1, ''], null]) {
			await expect(coordinator(async () => garbage).sync(scope, { policy, outcomes: [] })).rejects.toThrow(TypeError);
		}

		// Through a client: a coordinator that answers garbage, or throws at once, never fails a call.
		for (const evaluate of [async () => 'OK', () => {
			throw new Error('no connection');
		}] as RedisEvaluate[]) {
			const api = createClient({ retry: 0, breaker: breaker({ shared: coordinator(evaluate) }) });
			const errors: unknown[] = [];
			api.on('storage:error', ({ error }) => errors.push(error));
			hits = 0;
			expect((await api.get(origin.url)).status).toBe(200);
			expect(hits).toBe(1);
			expect(errors.length).toBeGreaterThan(0);
			api.close();
		}
	});

	it('a sync\'s compare-and-set retries stop when the call\'s request context has no subrequest left (each write is a fetch over Upstash): what steadfetch sends stays within subrequests − 5, and all of it is counted', async () => {
		// Another process writes the key before each of this one's writes (a busy fleet): every write is refused and decided again.
		let sent = 0;
		const contended: RedisEvaluate = async (s, k, a) => {
			sent++;
			if (s.includes('HSET')) {
				await redis.client.hincrby(k[0]!, 'v', 1);
			}

			return plain(s, k, a);
		};
		const api = createClient({ retry: 0, breaker: breaker({ shared: coordinator(contended) }) });
		const errors: unknown[] = [];
		api.on('storage:error', ({ error }) => errors.push(error));
		const request = api.withContext({ waitUntil: () => undefined }, { subrequests: 10 });
		hits = 0;
		expect((await request.get(origin.url)).status).toBe(200);
		await waitFor(() => errors.length > 0, 'the sync given up');
		// The sync's read and 4 writes reach the context's stop (10 − 5); then the caller's own first attempt, which is never refused.
		// Before: the read and 16 writes went out, 12 of them past the stop and uncounted: { fetches: 18, counted: 6 }.
		expect({ fetches: sent + hits, counted: request.stats().subrequests }).toEqual({ fetches: 6, counted: 6 });
		api.close();
	});

	it('two fleets (two client names) opened at the same moment with different randoms: each fleet\'s period jittered once by the random its opener sent (API.md: no herd on recovery), so they reopen apart', async () => {
		const down = await serve(() => new Response('down', { status: 503 }));
		const shared = coordinator(plain);
		const fleets = [['fleet-a', 0.1], ['fleet-b', 0.9]] as const;
		const clients = fleets.map(([name, random]) => createClient({ name, random: () => random, retry: 0, breaker: breaker({ shared, consecutiveFailures: 1, openMs: 10_000, maxOpenMs: 60_000 }) }));
		/** The open record Redis holds for a name's scope, as stored (`[open, openedAt, reopensAt, …]`), if any. */
		const held = async (name: string): Promise<number[] | undefined> => {
			const stored = await redis.client.hget(`steadfetch:breaker:${await sha256(JSON.stringify(['steadfetch redis', name, down.url]))}`, 's');
			const numbers = stored ? JSON.parse(stored) as number[] : undefined;
			return numbers?.[0] === 1 ? numbers : undefined;
		};

		try {
			// Each client's first failure opens its fleet's breaker in Redis (consecutiveFailures 1), at the same moment.
			expect(await Promise.all(clients.map(async (api) => api.get(down.url).then(() => 'ok', (error: { response?: Response }) => String(error.response?.status))))).toEqual(['503', '503']);
			await waitFor(async () => (await Promise.all(fleets.map(async ([name]) => held(name)))).every(Boolean), 'both fleets open in Redis');
			const records = await Promise.all(fleets.map(async ([name]) => (await held(name))!));
			// 10 000 ms × (0.8 + 0.4 × random): 8 400 and 11 600 (both 10 000 before: every fleet reopened at the same nominal time).
			expect(records.map(([, openedAt, reopensAt]) => Math.round(reopensAt! - openedAt!))).toEqual([8_400, 11_600]);
			expect(Math.abs(records[0]![1]! - records[1]![1]!)).toBeLessThan(1_000);
			expect(records[1]![2]! - records[0]![2]!).toBeGreaterThan(2_000);
		} finally {
			for (const api of clients) {
				api.close();
			}

			await down.close();
		}
	});

	it('a fleet is its client name and scope, whatever characters they hold: "fleet\\nx" of scope "y" and "fleet" of scope "x\\ny" keep two keys (one text, one key, before)', async () => {
		const down = await serve(() => new Response('down', { status: 503 }));
		const shared = coordinator(plain);
		const clients = [['fleet\nx', 'y'], ['fleet', 'x\ny']].map(([name, scope]) => createClient({ name, retry: 0, breaker: breaker({ shared, scope: () => scope!, consecutiveFailures: 1 }) }));
		try {
			for (const api of clients) {
				await api.get(down.url).catch(() => undefined);
			}

			await waitFor(async () => (await redis.client.keys('steadfetch:breaker:*')).length === 2, 'a key for each fleet');
			const keys = (await redis.client.keys('steadfetch:breaker:*')).sort();
			expect(keys).toEqual(await Promise.all([['fleet\nx', 'y'], ['fleet', 'x\ny']].map(async ([name, scope]) => `steadfetch:breaker:${await sha256(JSON.stringify(['steadfetch redis', name, scope]))}`)).then((list) => list.sort()));
		} finally {
			for (const api of clients) {
				api.close();
			}

			await down.close();
		}
	});

	it('ttlMs takes any positive finite value from 1 000 ms (API.md "Option values"): a fraction or one beyond what Redis holds still writes, its key expiring', async () => {
		for (const ttlMs of [1500.5, 1e20, Number.MAX_VALUE]) {
			await redis.client.flushall();
			const { record } = await coordinator(plain, { ttlMs }).sync(scope, { policy: { ...policy, consecutiveFailures: 1 }, outcomes: [1] }) as SyncAnswer;
			expect(record.state).toBe('open');
			const [key] = await redis.client.keys('steadfetch:breaker:*');
			expect(await redis.client.pttl(key!)).toBeGreaterThan(1000);
		}

		expect(() => coordinator(plain, { ttlMs: Number.POSITIVE_INFINITY })).toThrow(/ttlMs/);
	});

	it('an isolated scope\'s key does not expire (API.md: isolate opens a scope "until reset", as a Durable Object and Deno KV keep it): kept through later syncs, its expiry back once reset', async () => {
		const shared = coordinator(plain, { ttlMs: 1000 });
		const pttl = async (): Promise<number> => redis.client.pttl((await redis.client.keys('steadfetch:breaker:*'))[0]!);
		await shared.sync(scope, { policy, outcomes: [1] });
		expect(await pttl()).toBeGreaterThan(0);
		expect(((await shared.sync(scope, { policy, outcomes: [], command: 'isolate' })) as SyncAnswer).record).toMatchObject({ state: 'open', isolated: true });
		// Before: 1000 (the kill switch lifted by a quiet second: the key gone, the scope closed without a reset).
		expect(await pttl()).toBe(-1);
		await shared.sync(scope, { policy, outcomes: [1, 0] });
		expect(await pttl()).toBe(-1);
		expect(((await shared.sync(scope, { policy, outcomes: [], command: 'reset' })) as SyncAnswer).record.state).toBe('closed');
		expect(await pttl()).toBeGreaterThan(0);
	});

	it('a value that is not its own (another program\'s, a corrupt one) is a closed scope, overwritten with numbers', async () => {
		await coordinator(plain).sync(scope, { policy, outcomes: [] });
		const [key] = await redis.client.keys('steadfetch:breaker:*');
		for (const foreign of ['{"url":"https://x.example/?token=1"}', '[1,9e99,"x"]', 'not json', '[1,0,0,0,0,0,0,0,0,0,0]']) {
			await redis.client.hset(key!, 's', foreign);
			const { record } = await coordinator(plain).sync(scope, { policy, outcomes: [] }) as SyncAnswer;
			expect(record.state).toBe('closed');
			expect(await redis.client.hget(key!, 's')).toMatch(/^\[[-0-9.,e]*\]$/);
		}

		// An open record far in the future is bounded as the isolates bound it (at most an hour from now).
		const now = Date.now();
		await redis.client.hset(key!, 's', JSON.stringify([1, now, now + 1e12, 1, now, 0, 0, 0, 0]));
		const { record } = await coordinator(plain).sync(scope, { policy, outcomes: [] }) as SyncAnswer;
		expect(record.reopensAt - record.openedAt).toBeLessThanOrEqual(3_600_000);
	});

	it('an open record planted longer than the syncing breaker\'s maxOpenMs is bounded by it (API.md Sensitive data: "no time read from one (reopensAt …) is used beyond the bounds its options allow (maxOpenMs…)"): its probe is granted once maxOpenMs has passed', async () => {
		await coordinator(plain).sync(scope, { policy, outcomes: [] });
		const [key] = await redis.client.keys('steadfetch:breaker:*');
		const [seconds, micros] = await redis.client.time();
		const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
		// Open 50 minutes from Redis's now (another program's, or a client of the name with another maxOpenMs): under the hour's bound.
		await redis.client.hset(key!, 's', JSON.stringify([1, now, now + 3_000_000, 1, now, 0, 0, 0, 0, 0]));
		// The syncing breaker's maxOpenMs is 200 ms: past it, its probe is due.
		await new Promise((resolve) => setTimeout(resolve, 300));
		const answer = await coordinator(plain).sync(scope, { policy, outcomes: [], probe: true }) as SyncAnswer;
		// Before: { state: 'open', granted: undefined } (the probe refused for 50 minutes).
		expect({ state: answer.record.state, granted: typeof answer.granted }).toEqual({ state: 'open', granted: 'number' });
		expect(answer.record.reopensAt - answer.record.openedAt).toBeLessThanOrEqual(200);
	});

	it('a state dated far ahead of Redis\'s clock (planted, or a garbled write) is none: a process that synced it still adopts the fleet\'s opening once Redis lost the key (a restart without persistence)', async () => {
		let status = 200;
		const flaky = await serve(() => new Response('', { status }));
		const make = () => createClient({ retry: 0, breaker: breaker({ consecutiveFailures: 1, openMs: 60_000, maxOpenMs: 60_000, sharedCacheMs: 50, sharedTimeoutMs: 1000, share: false, shared: coordinator(plain) }) });
		const [a, b] = [make(), make()];
		const get = async (api: typeof a): Promise<string> => api.get(flaky.url).then((response) => String(response.status), (error: { code?: string; response?: Response }) => String(error.code ?? error.response?.status));
		try {
			expect(await get(a)).toBe('200'); // the scope's key exists
			const [key] = await redis.client.keys('steadfetch:breaker:*');
			const [seconds] = await redis.client.time();
			// Closed, dated 30 years ahead of Redis's clock.
			await redis.client.hset(key!, 's', JSON.stringify([0, 0, 0, 0, Number(seconds) * 1000 + 1e12, 0, 0, 0, 0, 0]));
			await new Promise((resolve) => setTimeout(resolve, 60)); // past sharedCacheMs: a's next call syncs
			expect(await get(a)).toBe('200');
			await redis.client.del(key!); // Redis lost the key
			status = 503;
			expect(await get(b)).toBe('503'); // the fleet opens (as of Redis's clock now)
			await new Promise((resolve) => setTimeout(resolve, 60));
			status = 200;
			// Before: '200' (a held the closed state dated 30 years ahead and took no state of the fleet's older than it).
			expect(await get(a)).toBe('CIRCUIT_OPEN');
		} finally {
			a.close();
			b.close();
			await flaky.close();
		}
	});

	it('a version that is no write count (-5, 1.5, 1e20, 20 digits, "abc") is as none: the next sync writes over it, for the breaker and the throttle', async () => {
		for (const kind of ['breaker', 'throttle'] as const) {
			const message = kind === 'breaker' ? { policy, outcomes: [1] } : { throttle: { windowMs: 10_000, requests: 1, accepts: 0 } };
			for (const version of ['-5', '1.5', '1e20', '99999999999999999999', 'abc']) {
				await redis.client.flushall();
				await coordinator(plain).sync(scope, message);
				const [key] = await redis.client.keys(`steadfetch:${kind}:*`);
				await redis.client.hset(key!, 'v', version);
				// Before: 'could not be written to Redis in time', or a reply not the script's, on every sync until the key expired.
				await expect(coordinator(plain).sync(scope, message), `${kind} ${version}`).resolves.toBeTypeOf('object');
				expect(await redis.client.hget(key!, 'v')).toBe('1');
			}
		}
	});

	it('a key of another type at a scope\'s key (a string, a list: another program\'s, or a future version\'s) is as none: the next sync writes over it, for the breaker and the throttle', async () => {
		for (const kind of ['breaker', 'throttle'] as const) {
			const message = kind === 'breaker' ? { policy, outcomes: [1] } : { throttle: { windowMs: 10_000, requests: 1, accepts: 0 } };
			for (const write of [async (key: string) => redis.client.set(key, '[1,2,3]'), async (key: string) => redis.client.rpush(key, 'x'), async (key: string) => redis.client.sadd(key, 'y')]) {
				await redis.client.flushall();
				await coordinator(plain).sync(scope, message);
				const [key] = await redis.client.keys(`steadfetch:${kind}:*`);
				await redis.client.del(key!);
				await write(key!);
				// Before: WRONGTYPE from HMGET on every sync of the scope, until the key expired (never, for a key written without expiry).
				await expect(coordinator(plain).sync(scope, message), `${kind} ${await redis.client.type(key!)}`).resolves.toBeTypeOf('object');
				expect([await redis.client.type(key!), await redis.client.hget(key!, 'v')]).toEqual(['hash', '1']);
				expect(await redis.client.pttl(key!)).toBeGreaterThan(1000);
			}
		}
	});

	it('after an unreachable episode a process adopts what Redis holds, even when what it decided alone meanwhile is newer', async () => {
		let down = false;
		const shared = coordinator(async (s, k, a) => {
			if (down) {
				throw new Error('Redis unreachable');
			}

			return plain(s, k, a);
		});
		let status = 200;
		const flaky = await serve(() => new Response('', { status }));
		const api = createClient({ retry: 0, breaker: breaker({ consecutiveFailures: 2, openMs: 60_000, maxOpenMs: 60_000, sharedCacheMs: 50, sharedTimeoutMs: 1000, shared }) });
		const errors: unknown[] = [];
		api.on('storage:error', ({ error }) => errors.push(error));
		const get = async (): Promise<string> => api.get(flaky.url).then((response) => String(response.status), (error: { code?: string }) => String(error.code));
		try {
			expect(await get()).toBe('200'); // Redis holds the scope closed
			down = true;
			status = 503;
			const alone: string[] = [];
			while (!alone.includes('CIRCUIT_OPEN')) {
				expect(alone.length).toBeLessThan(10);
				alone.push(await get()); // this process's own breaker opens (for a minute)
			}

			expect(errors.length).toBeGreaterThan(0);
			down = false;
			status = 200;
			// Redis answers again, still holding the scope closed (older than this process's open record).
			const after: string[] = [];
			while (!after.includes('200')) {
				expect(after.length).toBeLessThan(20);
				await new Promise((resolve) => setTimeout(resolve, 60)); // past sharedCacheMs: the next call syncs
				after.push(await get());
			}

			expect(api.breaker(flaky.url).state).toBe('closed');
		} finally {
			api.close();
			await flaky.close();
		}
	});

	// Eleventh round: a command the one sync could not tell was lost, the fleet's state adopted over it.
	it('isolate() while Redis was unreachable, then Redis back without the key (a restart without persistence): the process\'s first sync isolates the fleet; another process fails fast, until reset()', async () => {
		let down = false;
		const shared = coordinator(async (s, k, a) => {
			if (down) {
				throw new Error('Redis unreachable');
			}

			return plain(s, k, a);
		});
		const live = await serve(() => new Response('ok'));
		const make = () => createClient({ retry: 0, breaker: breaker({ consecutiveFailures: 2, openMs: 60_000, maxOpenMs: 60_000, sharedCacheMs: 50, sharedTimeoutMs: 1000, shared }) });
		const [api, other] = [make(), make()];
		const get = async (client: typeof api): Promise<string> => client.get(live.url).then((response) => String(response.status), (error: { code?: string }) => String(error.code));
		try {
			expect(await get(api)).toBe('200');
			expect(await get(other)).toBe('200');
			down = true;
			await api.breaker.isolate(live.url);
			expect(await get(api)).toBe('CIRCUIT_OPEN');
			await redis.client.flushall();
			down = false;
			// Its calls until one past sharedCacheMs has synced (Redis holds the scope's key again).
			await waitFor(async () => (await get(api)) !== '' && (await redis.client.keys('steadfetch:breaker:*')).length > 0, 'the first sync after the episode');
			// Before: '200' (the fleet's closed state adopted over the kill switch, with no reset), and Redis held it closed.
			expect(await get(api)).toBe('CIRCUIT_OPEN');
			const numbers = await numbersOf();
			expect([numbers[0], numbers[5]]).toEqual([1, 1]); // open, isolated
			await waitFor(async () => (await get(other)) === 'CIRCUIT_OPEN', 'the other process to fail fast');
			await api.breaker.reset(live.url);
			await waitFor(async () => (await get(other)) === '200', 'the reset to reach the other process');
		} finally {
			api.close();
			other.close();
			await live.close();
		}
	});

	it('a process that adopts the fleet\'s opening after the sync that opened it shows the failures in a row it opened with, as the opener and a Durable Object\'s fleet do (its snapshot said 0)', async () => {
		const failing = await serve(() => new Response('', { status: 503 }));
		const make = () => createClient({ retry: 0, breaker: breaker({ consecutiveFailures: 3, openMs: 60_000, maxOpenMs: 60_000, sharedCacheMs: 50, share: false, shared: coordinator(plain) }) });
		const [a, b] = [make(), make()];
		const get = async (api: typeof a): Promise<string> => api.get(failing.url).then((response) => String(response.status), (error: { code?: string }) => String(error.code));
		try {
			const seen: string[] = [];
			while (!seen.includes('CIRCUIT_OPEN')) {
				expect(seen.length).toBeLessThan(10);
				seen.push(await get(a));
			}

			expect(a.breaker(failing.url)).toMatchObject({ state: 'open', consecutiveFailures: 3 });
			// What the opening sync answered carries the count; what Redis holds must too (a Durable Object keeps the record whole).
			// `a` reports its outcomes without waiting (`BreakerLink.report`): its third failure may reach Redis after `a` opened.
			const read = async () => (await coordinator(plain).sync(new URL(failing.url).origin, { policy: { consecutiveFailures: 3, openMs: 60_000, maxOpenMs: 60_000, probeTimeoutMs: 10_000 }, outcomes: [] }) as SyncAnswer).record;
			await waitFor(async () => (await read()).state === 'open', 'the opening in Redis');
			expect(await read()).toMatchObject({ state: 'open', failures: 3 });
			expect(await get(b)).toBe('CIRCUIT_OPEN');
			// Before: 0 (the record Redis held had lost its failures in a row).
			expect(b.breaker(failing.url)).toMatchObject({ state: 'open', consecutiveFailures: 3 });
		} finally {
			a.close();
			b.close();
			await failing.close();
		}
	});

	it('a fleet probe answered 503 with Retry-After re-opens the fleet for that long (API.md: "never shorter than a Retry-After that opened it"), not for the doubled period', async () => {
		let retryAfter: string | undefined;
		const failing = await serve(() => new Response('', { status: 503, headers: retryAfter ? { 'retry-after': retryAfter } : {} }));
		const api = createClient({ retry: 0, random: () => 0.5, breaker: breaker({ consecutiveFailures: 1, openMs: 200, maxOpenMs: 120_000, sharedCacheMs: 50, share: false, shared: coordinator(plain) }) });
		const get = async (): Promise<string> => api.get(failing.url).then((response) => String(response.status), (error: { code?: string; name: string }) => error.code ?? error.name);
		try {
			expect(await get()).toBe('HTTPError');
			await waitFor(async () => (await redis.client.keys('steadfetch:breaker:*')).length === 1 && (await numbersOf())[0] === 1, 'the fleet open');
			await waitFor(async () => api.breaker(failing.url).state === 'half-open', 'the open period over');
			retryAfter = '60';
			expect(await get()).toBe('HTTPError'); // the fleet's probe: the origin asks for a minute
			await waitFor(async () => (await numbersOf())[3] === 2, 'the probe\'s failure in Redis');
			const [, openedAt, reopensAt] = await numbersOf();
			expect(reopensAt! - openedAt!).toBe(60_000); // before: 400 (the doubled period, the Retry-After dropped)
			await waitFor(async () => Date.now() > openedAt! + 450, 'past the doubled period (400 ms) and sharedCacheMs: the process syncs again');
			expect(await get()).toBe('CIRCUIT_OPEN'); // before: a probe 400 ms after the origin asked for a minute
			expect(api.breaker(failing.url)).toMatchObject({ state: 'open', reopensAt });
		} finally {
			api.close();
			await failing.close();
		}
	});
});
