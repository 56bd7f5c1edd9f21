/** What the breaker counts, what it never counts, its per-call opt-out, ky's retries, and bad options. */
import { describe, expect, it } from 'vitest';
import { CircuitOpenError, createClient } from '../../src/entries/index.js';
import { flush, origin, setup, times } from './breaker-kit.js';

describe('breaker: what counts', () => {
	// classify()'s vocabulary: every status it calls transient is a failure here too (a 501 and a 408 included).
	it.each([408, 429, 500, 501, 502, 503, 504, 505])('a %i counts as a failure', async (status) => {
		const kit = setup();
		kit.server.answer(status);
		await times(5, async () => kit.call());
		expect(kit.state()).toBe('open');
	});

	it('a timeout (ky aborts the attempt) counts as a failure', async () => {
		const kit = setup({ timeout: 20, breaker: { consecutiveFailures: 2 } });
		kit.server.hang();
		expect(await times(2, async () => kit.call())).toEqual(['TimeoutError', 'TimeoutError']);
		expect(kit.state()).toBe('open');
	});

	it.each([400, 401, 403, 404, 409, 422])('a %i storm never opens it and resets the consecutive count', async (status) => {
		const kit = setup();
		kit.server.down();
		await times(4, async () => kit.call());
		kit.server.answer(status);
		await times(50, async () => kit.call());
		expect(kit.snapshot()).toEqual({ scope: origin, state: 'closed', consecutiveFailures: 0 });
	});

	it('the caller\'s abort never counts', async () => {
		const kit = setup();
		kit.server.hang();
		for (let index = 0; index < 10; index++) {
			const controller = new AbortController();
			const call = kit.call('/x', { signal: controller.signal });
			await flush();
			controller.abort();
			expect(await call).toBe('AbortError');
		}

		expect(kit.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
	});

	it('a CircuitOpenError from the transport (a nested client) never counts', async () => {
		const kit = setup();
		kit.server.script = () => new CircuitOpenError('https://upstream.test', 1000);
		expect(await times(10, async () => kit.call())).toEqual(Array(10).fill('CIRCUIT_OPEN'));
		expect(kit.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
	});

	it('isFailure overrides the default rule; undefined keeps it', async () => {
		const strict = setup({ breaker: { isFailure: ({ response }) => (response?.status === 404 ? true : undefined) } });
		strict.server.answer(404);
		await times(5, async () => strict.call());
		expect(strict.state()).toBe('open');

		const lenient = setup({ breaker: { isFailure: ({ response }) => (response?.status === 503 ? false : undefined) } });
		lenient.server.answer(503, { 'retry-after': '60' });
		await times(20, async () => lenient.call());
		expect(lenient.state()).toBe('closed');
		lenient.server.down();
		await times(5, async () => lenient.call());
		expect(lenient.state()).toBe('open');
	});

	it('breaker: false on a call bypasses it: neither blocked nor counted', async () => {
		const kit = setup();
		kit.server.down();
		await times(10, async () => kit.call('/x', { breaker: false }));
		expect(kit.snapshot().consecutiveFailures).toBe(0);
		await times(5, async () => kit.call());
		kit.server.up();
		expect(await kit.call()).toBe('CIRCUIT_OPEN');
		expect(await kit.call('/x', { breaker: false })).toBe('200');
		expect(kit.state()).toBe('open');
	});

	it('scopes are origins by default and independent; breaker.scope can group them', async () => {
		const kit = setup();
		kit.server.down();
		await times(5, async () => kit.call());
		expect(kit.api.breaker('https://other.test').state).toBe('closed');
		expect(kit.api.breaker(origin + '/any/path?x=1').state).toBe('open');

		const grouped = setup({ breaker: { scope: (url) => new URL(url).pathname.split('/')[1]! } });
		grouped.server.down();
		await times(5, async () => grouped.call('/users/1'));
		expect(grouped.api.breaker('users').state).toBe('open');
		grouped.server.up();
		expect(await grouped.call('/orders/1')).toBe('200');
		expect(await grouped.call('/users/2')).toBe('CIRCUIT_OPEN');
	});
});

describe('breaker and ky retries', () => {
	it('every attempt is counted, and ky does not retry a CircuitOpenError', async () => {
		const kit = setup({ retry: { limit: 5, delay: () => 0 } });
		let retries = 0;
		kit.api.on('retry', () => retries++);
		kit.server.down();
		// One call: attempts 1-5 fail and open the breaker; the 6th attempt (5th retry) is refused by it.
		expect(await kit.call()).toBe('CIRCUIT_OPEN');
		expect(kit.server.requests).toHaveLength(5);
		expect(retries).toBe(5);
		// Open: the next call is not retried at all.
		expect(await kit.call()).toBe('CIRCUIT_OPEN');
		expect(retries).toBe(5);
		expect(kit.server.requests).toHaveLength(5);
		// The 5th retry was told (it started) but never sent: `stats().retries` counts the 4 sent, the budget paid for 4.
		expect(kit.api.stats()[origin]).toMatchObject({ retries: 4, failures: { CIRCUIT_OPEN: 2 }, breaker: { state: 'open' } });
	});
});

describe('breaker: bad options throw a RangeError naming the option and the value, at createClient', () => {
	const cases: [Record<string, unknown>, string, string][] = [
		[{ consecutiveFailures: 0 }, 'breaker.consecutiveFailures', '0'],
		[{ consecutiveFailures: 2.5 }, 'breaker.consecutiveFailures', '2.5'],
		[{ minimumThroughput: -1 }, 'breaker.minimumThroughput', '-1'],
		[{ halfOpenProbes: 0 }, 'breaker.halfOpenProbes', '0'],
		[{ failureRatio: 0 }, 'breaker.failureRatio', '0'],
		[{ failureRatio: 1.5 }, 'breaker.failureRatio', '1.5'],
		[{ failureRatio: Number.NaN }, 'breaker.failureRatio', 'NaN'],
		[{ windowMs: 0 }, 'breaker.windowMs', '0'],
		[{ openMs: Number.POSITIVE_INFINITY }, 'breaker.openMs', 'Infinity'],
		[{ openMs: '30s' }, 'breaker.openMs', '"30s"'],
		[{ maxOpenMs: -1 }, 'breaker.maxOpenMs', '-1'],
		[{ openMs: 60_000, maxOpenMs: 30_000 }, 'breaker.maxOpenMs', '30000'],
		[{ isFailure: 'yes' }, 'breaker.isFailure', '"yes"'],
		// `null` is a value of the wrong type (API.md "Option values"), as for the stale cache's options: only `undefined` means not given.
		[{ openMs: null }, 'breaker.openMs', 'null'],
		[{ consecutiveFailures: null }, 'breaker.consecutiveFailures', 'null'],
	];
	it.each(cases)('%j', (options, name, value) => {
		let thrown: unknown;
		try {
			createClient({ breaker: options as never });
		} catch (error) {
			thrown = error;
		}

		expect(thrown).toBeInstanceOf(RangeError);
		expect((thrown as Error).message).toContain(`\`${name}\``);
		expect((thrown as Error).message).toContain(value);
	});

	it('accepts the boundaries', () => {
		expect(() => createClient({ breaker: { failureRatio: 1, openMs: 1, maxOpenMs: 1, consecutiveFailures: 1, minimumThroughput: 1, halfOpenProbes: 1, windowMs: 1, share: false } })).not.toThrow();
	});
});

describe('breaker: the default scope of an attempt', () => {
	it.each([
		'https://api.test/x?y=1', 'HTTPS://API.Test:443/a/b', 'http://127.0.0.1:8080', 'http://[::1]:3000/x', 'https://xn--bcher-kva.example/', 'https://bücher.example/p',
	])('%s is scoped by its origin', async (url) => {
		const { requestOrigin } = await import('../../src/core/scope.js');
		const request = new Request(url);
		expect(requestOrigin(request.url)).toBe(new URL(url).origin);
	});
});
