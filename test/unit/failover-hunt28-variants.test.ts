/**
 * Defect hunt, twenty-eighth round (hedge, failover, health). API.md: `retry.maxRetryAfter` (30 000 ms) bounds
 * how long a server's Retry-After makes anything wait; the rate limiter learns a pause from `RateLimit` as from
 * `Retry-After`; failover takes GET/HEAD and calls the caller keyed ("not one the outbox made"); `stats()` has
 * a row per scope with each policy's view of it, a failover mirror being a scope of its own.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { auth } from '../../src/entries/auth.js';
import { breaker } from '../../src/entries/breaker.js';
import { createClient } from '../../src/entries/core.js';
import { failover } from '../../src/entries/failover.js';
import { health } from '../../src/entries/health.js';
import { hedge } from '../../src/entries/hedge.js';
import { createClient as createPreset, memoryStore, outbox } from '../../src/entries/index.js';
import { hedgedAfter } from '../helpers/hedge-pause.js';
import { waitFor } from '../helpers/wait-for.js';
import { held } from './counting-origin-kit.js';

afterEach(() => {
	vi.unstubAllGlobals();
});

describe('hedge(): the pause an origin asks for is bounded as ky bounds it', () => {
	it('a Retry-After of an hour, or an HTTP-date a year ahead, pauses the origin\'s hedges for retry.maxRetryAfter (30 s) at most', async () => {
		// Before: false, false (no hedge to the origin for an hour, a year: up to 2^31 - 1 ms, 24.8 days).
		expect(await hedgedAfter(503, { 'retry-after': '3600' }, 30_001)).toBe(true);
		expect(await hedgedAfter(429, { 'retry-after': new Date(1_700_000_000_000 + 365 * 86_400_000).toUTCString() }, 30_001)).toBe(true);
		// Within it the pause holds.
		expect(await hedgedAfter(503, { 'retry-after': '3600' }, 29_000)).toBe(false);
	});

	it('the client\'s retry.maxRetryAfter bounds it', async () => {
		// Before: false (an hour).
		expect(await hedgedAfter(503, { 'retry-after': '3600' }, 5001, { retry: { limit: 0, maxRetryAfter: 5000 } })).toBe(true);
		expect(await hedgedAfter(503, { 'retry-after': '3600' }, 4000, { retry: { limit: 0, maxRetryAfter: 5000 } })).toBe(false);
	});
});

describe('stats(): a mirror failover sent calls to has a row of its own', () => {
	const primary = 'https://api.example';
	const mirror = 'https://eu.example';

	it('its calls, its health and its breaker, the primary\'s row as before', async () => {
		const fetch = (async (request: Request) => (new URL(request.url).origin === primary ? new Response('down', { status: 503 }) : new Response('ok'))) as typeof globalThis.fetch;
		const api = createClient({ retry: 0, retryBudget: false, fetch, health: health(), breaker: breaker({ consecutiveFailures: 10 }), failover: failover({ mirrors: { [primary]: [mirror] } }) });
		for (let call = 0; call < 3; call++) {
			expect(await api.get(`${primary}/x`).text()).toBe('ok');
		}

		const stats = api.stats();
		// Before: undefined (the mirror's health and breaker only in events).
		expect(stats[mirror]).toMatchObject({ requests: 3, successes: 0, failures: {}, errorRate: 0, topErrors: [], breaker: { state: 'closed' } });
		expect(stats[primary]).toMatchObject({ requests: 3, successes: 3, errorRate: 1, topErrors: [{ code: 'HTTP_5XX', count: 3 }], failover: { answered: 3 } });
		api.close();
	});
});

describe('failover({ replays: true }): a replay goes to a mirror only when the caller keyed its write (API.md: "not one the outbox made")', () => {
	it('the replay of a write the outbox keyed stays on its origin; one the caller keyed goes to the mirror', async () => {
		const mirror = 'https://eu.example';
		const seen: string[] = [];
		// Every origin down: each write is queued, and replayed.
		const fetch = (async (request: Request) => {
			const { host, pathname } = new URL(request.url);
			seen.push(`${host}${pathname}`);
			return new Response('x', { status: 503 });
		}) as typeof globalThis.fetch;
		const api = createPreset({
			name: `h28-replays-${Math.random()}`, fetch, retry: 0, retryBudget: false, breaker: false, staleCache: false, store: memoryStore,
			outbox: outbox({ networkTimeoutMs: false, baseBackoffMs: 1 }),
			failover: failover({ mirrors: { 'https://outbox.example': [mirror], 'https://caller.example': [mirror] }, replays: true }),
		} as never);
		await expect(api.post('https://outbox.example/a', { json: { a: 1 } })).rejects.toMatchObject({ code: 'QUEUED' });
		await expect(api.post('https://caller.example/b', { json: { a: 2 }, idempotencyKey: 'mine-1' })).rejects.toMatchObject({ code: 'QUEUED' });
		const count = (line: string): number => seen.filter((each) => each === line).length;
		await waitFor(async () => {
			await api.outbox.flush();
			return count('outbox.example/a') >= 3 && count('caller.example/b') >= 3;
		}, 'both replayed twice');
		// Before: 3 or more: the outbox's key taken for the caller's, its replays sent to the mirror.
		expect(count('eu.example/a')).toBe(0);
		expect(count('eu.example/b')).toBeGreaterThanOrEqual(3);
		api.close();
	});
});

describe('neighbours: a hedge under a sign-out, and a loser\'s abort in the vocabulary', () => {
	it('a hedge due after the identity changed (or the client was cleared) does not go out, under either token', async () => {
		for (const change of ['identity', 'clear'] as const) {
			const { pending, fetch } = held();
			let user = 'alice';
			const api = createClient({
				fetch, retry: 0, timeout: false, retryBudget: false, identity: () => user,
				auth: auth({ token: () => `token-${user}`, refresh: async () => undefined, origins: '*' }), hedge: hedge({ delayMs: 30 }),
			} as never);
			const hedged: string[] = [];
			api.on('hedge', ({ url }) => hedged.push(url));
			const call = api.get('https://api.test/slow');
			await waitFor(() => pending.length === 1, 'the first attempt');
			if (change === 'identity') {
				user = 'bob';
			} else {
				user = 'bob';
				await api.clear();
			}

			// A call of the new identity, to another origin, whose hedge is due after the first one's.
			const later = api.get('https://other.test/x');
			await waitFor(() => hedged.includes('https://other.test/x'), 'the later call\'s hedge');
			expect([change, pending.map(({ request }) => `${new URL(request.url).host} ${request.headers.get('authorization')}`)]).toEqual([change, ['api.test Bearer token-alice', 'other.test Bearer token-bob', 'other.test Bearer token-bob']]);
			for (const attempt of pending) {
				attempt.release(new Response('ok'));
			}

			await Promise.allSettled([call, later]);
			api.close();
		}
	});

	it('a hedge\'s loser aborted by us is no failure of the breaker, the health or the retry budget', async () => {
		const { pending, fetch } = held();
		const api = createClient({
			fetch, retry: 0, timeout: false, health: health(), breaker: breaker({ consecutiveFailures: 1 }), hedge: hedge({ delayMs: 30 }),
		} as never);
		for (let index = 0; index < 3; index++) {
			const call = api.get(`https://api.test/${index}`);
			await waitFor(() => pending.length === 2 * index + 2, 'the hedge');
			pending[2 * index + 1]!.release(new Response('winner'));
			expect(await call.text()).toBe('winner');
		}

		const stats = api.stats()['https://api.test']!;
		expect([stats.breaker, stats.errorRate, stats.topErrors, stats.failures, stats.retriesRefused]).toEqual([expect.objectContaining({ state: 'closed', consecutiveFailures: 0 }), 0, [], {}, 0]);
		api.close();
	});

	it('a hedge is paid once from the retry budget: with room for two, a retry after one hedge still goes', async () => {
		const { pending, fetch } = held();
		const api = createClient({ fetch, retry: { limit: 1, delay: () => 0 }, timeout: false, retryBudget: { ratio: 0, minRetries: 2 }, hedge: hedge({ delayMs: 30 }) } as never);
		const hedged = api.get('https://api.test/hedged');
		await waitFor(() => pending.length === 2, 'the hedge');
		pending[1]!.release(new Response('winner'));
		expect(await hedged.text()).toBe('winner');
		const retried = api.get('https://api.test/retried', { hedge: false });
		await waitFor(() => pending.length === 3, 'the first attempt');
		pending[2]!.release(new Response('busy', { status: 503 }));
		await waitFor(() => pending.length === 4, 'the retry');
		pending[3]!.release(new Response('ok'));
		expect(await retried.text()).toBe('ok');
		expect(api.stats()['https://api.test']).toMatchObject({ retries: 1, retriesRefused: 0, hedge: { hedges: 1 } });
		api.close();
	});


	it('a call whose primary fails after the identity changed (or the client was cleared) is not sent to a mirror', async () => {
		for (const change of ['identity', 'clear'] as const) {
			const { pending, fetch } = held();
			let user = 'alice';
			const api = createClient({
				fetch, retry: 0, timeout: false, retryBudget: false, identity: () => user,
				auth: auth({ token: () => `token-${user}`, refresh: async () => undefined, origins: '*' }),
				failover: failover({ mirrors: { 'https://api.test': ['https://eu.test'] } }),
			} as never);
			const call = api.get('https://api.test/x');
			await waitFor(() => pending.length === 1, 'the first attempt');
			user = 'bob';
			if (change === 'clear') {
				await api.clear();
			}

			pending[0]!.release(new Response('down', { status: 503 }));
			await expect(call).rejects.toBeDefined();
			expect([change, pending.map(({ request }) => request.url)]).toEqual([change, ['https://api.test/x']]);
			api.close();
		}
	});

});
