/**
 * `steadfetch/redis` against a real Redis (Debian's redis-server on a free loopback port), thirty-fifth round: another
 * program's huge value of another type under a scope's key, which the coordinator writes over.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coordinator } from '../../src/entries/redis.js';
import type { SyncAnswer } from '../../src/breaker/sync.js';
import { startRedis, type RunningRedis } from '../helpers/redis-server.js';

let redis: RunningRedis;
let client: Redis;

beforeAll(async () => {
	redis = await startRedis();
	client = new Redis({ port: redis.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
	await client.connect();
}, 30_000);

afterAll(async () => {
	client?.disconnect();
	await redis?.stop();
});

describe('coordinator(evaluate): a set of a million members (another program\'s) under a scope\'s key', () => {
	it('is written over without holding Redis: the write script runs in well under the 2 s a sync may take (real redis-server)', async () => {
		const scope = 'https://fleet.example';
		const key = `steadfetch:breaker:${createHash('sha256').update(JSON.stringify(['steadfetch redis', 'steadfetch', scope])).digest('hex')}`;
		const members = 'for b = 0, 199 do local t = {} for i = 1, 5000 do t[i] = "member:" .. (b * 5000 + i) end redis.call("SADD", KEYS[1], unpack(t)) end return redis.call("SCARD", KEYS[1])';
		expect(await client.eval(members, 1, key)).toBe(1_000_000);
		await client.config('SET', 'slowlog-log-slower-than', '0');
		await client.slowlog('RESET');
		const shared = coordinator(async (s, k, a) => client.eval(s, k.length, ...k, ...a));
		const answer = await shared.sync(scope, { policy: { consecutiveFailures: 5, openMs: 5_000, maxOpenMs: 60_000, probeTimeoutMs: 10_000 }, outcomes: [1] }) as SyncAnswer;
		expect([answer.record.state, await client.type(key)]).toEqual(['closed', 'hash']);
		const log = await client.slowlog('GET', 100) as Array<[number, number, number, string[]]>;
		const slowest = Math.max(...log.filter(([, , , command]) => command[0]?.toLowerCase() === 'eval').map(([, , micros]) => micros));
		// Before: ~1 700 000 µs (DEL freed the million members inside the script: Redis answered nobody meanwhile, and a
		// set of a few million held it past the 2 s every process gives a sync).
		expect(slowest).toBeLessThan(200_000);
	}, 60_000);
});
