/**
 * `steadfetch/redis` against a real Redis (Debian's redis-server on a free loopback port), thirty-seventh round: Redis's
 * clock (TIME, the fleet's) stepping back between a sync's read and its write.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { coordinator } from '../../src/entries/redis.js';
import { reads, writes } from '../../src/redis/scripts.js';
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

afterEach(() => {
	vi.restoreAllMocks();
});

const scope = 'https://fleet.example';
const keyOf = (kind: 'breaker' | 'throttle'): string => `steadfetch:${kind}:${createHash('sha256').update(JSON.stringify(['steadfetch redis', 'steadfetch', scope])).digest('hex')}`;

describe('coordinator(evaluate): Redis\'s clock steps back 10 s between a sync\'s read and its write (a failover, an NTP step)', () => {
	/**
	 * The read answers Redis's clock as it read before the step: 10 s ahead of the clock the write then meets, less the
	 * `inTransitMs` the write takes to reach Redis (real redis-server: its TIME is the step's clock). The process's real
	 * elapsed time (`performance.now`) moves on by `inTransitMs` while the write is under way.
	 */
	const stepped = (inTransitMs: number) => {
		const real = performance.now.bind(performance);
		let elapsed = 0;
		vi.spyOn(performance, 'now').mockImplementation(() => real() + elapsed);
		const sent: string[] = [];
		const evaluate = async (script: string, keys: string[], args: string[]): Promise<unknown> => {
			const reply = await client.eval(script, keys.length, ...keys, ...args) as unknown[];
			if (script === reads) {
				sent.push('read');
				return [Number(reply[0]) + 10_000 - inTransitMs, ...reply.slice(1)];
			}

			expect(script).toBe(writes);
			sent.push('write');
			elapsed += inTransitMs; // Under way meanwhile: it lands `inTransitMs` after it was sent.
			return reply;
		};
		return { evaluate, sent };
	};

	it('a throttle report whose write lands 2.5 s after it was sent (the process gave the sync up at 2 s) changes nothing', async () => {
		await client.flushall();
		const { evaluate } = stepped(2_500);
		const shared = coordinator(evaluate);
		const synced = await shared.sync(scope, { throttle: { windowMs: 120_000, requests: 10, accepts: 0 } }).then(() => 'written', () => 'given up');
		// Before: 'written', the key held (1): its deadline, Redis's clock at the read + 1.8 s, is 10 s later once the clock
		// stepped back, so the report the process counted alone (its sync given up) was counted by the fleet too.
		expect([synced, await client.exists(keyOf('throttle'))]).toEqual(['given up', 0]);
	});

	it('a write that lands at once after the step is taken (Redis\'s clock now, its deadline anew)', async () => {
		await client.flushall();
		const { evaluate, sent } = stepped(0);
		const shared = coordinator(evaluate);
		const answer = await shared.sync(scope, { throttle: { windowMs: 120_000, requests: 10, accepts: 0 } });
		expect([answer, await client.exists(keyOf('throttle'))]).toEqual([{ throttle: { requests: 10, accepts: 0 } }, 1]);
		// The first write meets a clock before the read's: answered as a newer version's, decided again and written.
		expect(sent).toEqual(['read', 'write', 'write']);
	});
});
