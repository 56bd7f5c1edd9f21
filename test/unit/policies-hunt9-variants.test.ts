/** The policies outside the breaker, the cache and the outbox: round-9 variants. */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { logger, type LogRecord } from '../../src/entries/logger.js';
import { breaker } from '../../src/entries/breaker.js';
import { rateLimit } from '../../src/entries/rate-limit.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';
import { ManualClock } from '../helpers/manual-clock.js';

describe('logger() options', () => {
	it('a level that is a name of Object.prototype (toString, constructor, __proto__) is a RangeError at the factory, never read as "write everything"', () => {
		for (const level of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
			expect(() => logger(console, { level: level as never }), level).toThrow(RangeError);
		}
	});

	it('level: \'error\' writes no info record (the levels still rank)', async () => {
		const records: LogRecord[] = [];
		const sink = { info: (record: LogRecord) => records.push(record), warn: (record: LogRecord) => records.push(record), error: (record: LogRecord) => records.push(record) };
		const api = createClient({ retry: 0, logger: logger(sink, { level: 'error' }), fetch: async () => new Response('ok') });
		expect(await api.get('https://api.test/a').text()).toBe('ok');
		expect(records).toEqual([]);
		api.close();
	});
});

describe('rateLimit() and a refusal below it without I/O', () => {
	it('calls an open breaker refused (no request sent) spend no token: once it is reset, the next call goes at once, no wait, no RateLimitedError', async () => {
		const clock = new ManualClock(1_700_000_000_000);
		const sent: string[] = [];
		const api = createClient({ clock, retry: 0, breaker: breaker(), rateLimit: rateLimit({ perSecond: 0.001, burst: 1 }), fetch: async (input) => {
			sent.push(new Request(input).url);
			return new Response('ok');
		} });
		const waits: unknown[] = [];
		api.on('ratelimit:wait', (event) => waits.push(event));
		await api.breaker.isolate('https://api.test');
		for (const path of ['a', 'b', 'c']) {
			await expect(api.get(`https://api.test/${path}`)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
		}

		await api.breaker.reset('https://api.test');
		const outcome = await api.get('https://api.test/d').text().catch((error: unknown) => (error as { code?: string }).code);
		expect([outcome, sent, waits.length]).toEqual(['ok', ['https://api.test/d'], 0]);
		api.close();
	});

	it('nor one of the requests the server said are left: one refused by an open breaker leaves it for the next call', async () => {
		const clock = new ManualClock(1_700_000_000_000);
		const sent: string[] = [];
		const api = createClient({ clock, retry: 0, breaker: breaker(), rateLimit: rateLimit(), fetch: async (input) => {
			sent.push(new URL(new Request(input).url).pathname);
			return new Response('ok', { headers: { 'x-ratelimit-remaining': '1', 'x-ratelimit-reset': '60' } });
		} });
		expect(await api.get('https://api.test/first').text()).toBe('ok');
		await api.breaker.isolate('https://api.test');
		await expect(api.get('https://api.test/refused')).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
		await api.breaker.reset('https://api.test');
		const outcome = await api.get('https://api.test/last').text().catch((error: unknown) => (error as { code?: string }).code);
		expect([outcome, sent]).toEqual(['ok', ['/first', '/last']]);
		api.close();
	});
});

describe('adaptiveThrottle(): one vocabulary of failure', () => {
	it('an error of the app\'s own fetch (classify(): UNKNOWN, says nothing about the origin) is counted as neither a request nor an accept: it never gets the origin throttled', async () => {
		const clock = new ManualClock(1_700_000_000_000);
		let broken = true;
		const api = createClient({ clock, random: () => 0, retry: 0, adaptiveThrottle: adaptiveThrottle({ minRequests: 5 }), fetch: async () => {
			if (broken) {
				throw new Error('the app\'s fetch wrapper failed');
			}

			return new Response('ok');
		} });
		for (let index = 0; index < 10; index++) {
			await expect(api.get('https://api.test/a')).rejects.toThrow('the app\'s fetch wrapper failed');
		}

		broken = false;
		const outcome = await api.get('https://api.test/a').text().catch((error: unknown) => (error as { code?: string }).code);
		expect([outcome, (api.stats()['https://api.test'] as { throttle?: { requests: number } }).throttle?.requests]).toEqual(['ok', 1]);
		api.close();
	});
});
