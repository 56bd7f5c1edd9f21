/** `unavailable(error)` (steadfetch/cloudflare): a Worker's 503 with Retry-After for a call steadfetch refused. */
import { HTTPError } from 'ky';
import { describe, expect, it } from 'vitest';
import { unavailable } from '../../src/entries/cloudflare.js';
import { breaker } from '../../src/entries/breaker.js';
import { createClient } from '../../src/entries/core.js';
import { BulkheadFullError, CircuitOpenError, RateLimitedError } from '../../src/entries/index.js';

const retryAfter = (response: Response | undefined): string | null | undefined => response?.headers.get('retry-after');

describe('unavailable(error)', () => {
	it('an open breaker, a rate limit, a full bulkhead: 503 with Retry-After in whole seconds, rounded up', () => {
		const open = unavailable(new CircuitOpenError('https://api.test', 4_200));
		expect(open?.status).toBe(503);
		expect(retryAfter(open)).toBe('5');
		expect(retryAfter(unavailable(new RateLimitedError('https://api.test', 1_000)))).toBe('1');
		expect(retryAfter(unavailable(new RateLimitedError('https://api.test', 1_001)))).toBe('2');
		const full = unavailable(new BulkheadFullError('https://api.test', 6, 100));
		expect([full?.status, retryAfter(full)]).toEqual([503, '1']);
	});

	it('Retry-After is at least 1 s and at most a day, whatever the wait says', () => {
		expect(retryAfter(unavailable(new CircuitOpenError('https://api.test', 0)))).toBe('1');
		expect(retryAfter(unavailable(new CircuitOpenError('https://api.test', 30)))).toBe('1');
		expect(retryAfter(unavailable(new CircuitOpenError('https://api.test', -5)))).toBe('1');
		expect(retryAfter(unavailable(new CircuitOpenError('https://api.test', Number.NaN)))).toBe('1');
		expect(retryAfter(unavailable(new RateLimitedError('https://api.test', Number.POSITIVE_INFINITY)))).toBe('86400');
	});

	it('an error of another copy of steadfetch counts by its code', () => {
		const foreign = Object.assign(new Error('Circuit open'), { name: 'CircuitOpenError', code: 'CIRCUIT_OPEN', transient: true, retryAfterMs: 2_500 });
		expect(retryAfter(unavailable(foreign))).toBe('3');
	});

	it('any other error: undefined, for the Worker to answer its own way', () => {
		const http = new HTTPError(new Response('down', { status: 503 }), new Request('https://api.test/'), {} as never);
		for (const error of [http, new TypeError('fetch failed'), new DOMException('aborted', 'AbortError'), new Error('x'), 'a string', undefined, null]) {
			expect(unavailable(error)).toBeUndefined();
		}
	});

	it('the refusal of an open breaker, as a client throws it', async () => {
		let calls = 0;
		const api = createClient({
			retry: 0, random: () => 0.5, breaker: breaker({ consecutiveFailures: 1, openMs: 3_000 }), // random 0.5: exactly 3 s open
			fetch: async () => {
				calls++;
				return new Response('down', { status: 503 });
			},
		});
		await expect(api.get('https://api.test/a')).rejects.toThrow();
		const response = await api.get('https://api.test/a').then(() => undefined, unavailable);
		expect(calls).toBe(1);
		expect(response?.status).toBe(503);
		expect(Number(retryAfter(response))).toBeGreaterThanOrEqual(1);
		expect(Number(retryAfter(response))).toBeLessThanOrEqual(3);
		api.close();
	});
});
