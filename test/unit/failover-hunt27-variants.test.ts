/**
 * Defect hunt, twenty-seventh round (failover, hedge, health, the service worker handler). API.md: health reports
 * per scope (the origin) what calls that reached its network met, in `classify()`'s vocabulary; failover sends a
 * failed call to a mirror, each mirror in its own scope; a hedge is an attempt like any other and an origin's
 * `Retry-After` is honoured; an offline mirror gets one attempt per 10 s.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import { createClient } from '../../src/entries/core.js';
import { createClient as createPreset, isStale, memoryStore } from '../../src/entries/index.js';
import { failover } from '../../src/entries/failover.js';
import { health } from '../../src/entries/health.js';
import { hedge } from '../../src/entries/hedge.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { held } from './counting-origin-kit.js';

afterEach(() => {
	vi.unstubAllGlobals();
});

const primary = 'https://api.example';
const mirror = 'https://eu.example';

describe('health with failover: each origin\'s outcomes count in its own scope', () => {
	it.each([
		['answers 503', () => new Response('down', { status: 503 }), 'HTTP_5XX'],
		['drops the connection', () => Promise.reject(new TypeError('fetch failed')), 'NETWORK'],
	])('a primary that %s behind a working mirror is scope:unhealthy; the mirror is healthy', async (_, down, code) => {
		const fetch = (async (request: Request) => (new URL(request.url).origin === primary ? down() : new Response('ok'))) as typeof globalThis.fetch;
		const api = createClient({ retry: 0, retryBudget: false, fetch, health: health(), failover: failover({ mirrors: { [primary]: [mirror] } }) });
		const unhealthy: Array<[string, number]> = [];
		api.on('scope:unhealthy', ({ scope, calls }) => unhealthy.push([scope, calls]));
		for (let call = 0; call < 10; call++) {
			expect(await api.get(`${primary}/x`).text()).toBe('ok');
		}

		const stats = api.stats();
		// Before: [[], 0, []]: the mirror's answers were counted as the primary's successes (errorRate 0).
		expect([unhealthy, stats[primary]!.errorRate, stats[primary]!.topErrors]).toEqual([[[primary, 10]], 1, [{ code, count: 10 }]]);
		api.close();
	});

	it('a mirror that fails too counts in its own scope, the next mirror\'s good answer in its own', async () => {
		const second = 'https://us.example';
		const fetch = (async (request: Request) => new Response('x', { status: { [primary]: 503, [mirror]: 502 }[new URL(request.url).origin] ?? 200 })) as typeof globalThis.fetch;
		const api = createClient({ retry: 0, retryBudget: false, fetch, health: health(), failover: failover({ mirrors: { [primary]: [mirror, second] } }) });
		const told: string[] = [];
		api.on('*', (event) => {
			if (event.type.startsWith('scope:') && event.type !== 'scope:back') {
				told.push(`${event.type} ${event.scope} ${(event as { calls?: number }).calls}`);
			}
		});
		for (let call = 0; call < 10; call++) {
			expect((await api.get(`${primary}/x`)).status).toBe(200);
		}

		// Before: []: every call counted once, in the primary's scope, as the second mirror's success.
		expect(told).toEqual([`scope:unhealthy ${primary} 10`, `scope:unhealthy ${mirror} 10`]);
		expect(api.stats()[primary]!.topErrors).toEqual([{ code: 'HTTP_5XX', count: 10 }]);
		api.close();
	});
});

describe('health with failover behind an early stale answer: each origin counted once', () => {
	it('a stale copy answers at networkTimeoutMs; the primary then fails 503 and the mirror answers: one failure of the primary', async () => {
		const { pending, fetch } = held();
		const api = createPreset({
			name: `h27-slow-${Math.random()}`, fetch, retry: 0, timeout: false, retryBudget: false, breaker: false, store: memoryStore,
			staleCache: { networkTimeoutMs: 50 }, health: health(), failover: failover({ mirrors: { [primary]: [mirror] } }),
		} as never);
		const stored: string[] = [];
		api.on('cache:stored', ({ url }) => stored.push(url));
		const failedOver: string[] = [];
		api.on('failover', ({ mirror: to }) => failedOver.push(to));
		const first = api.get(`${primary}/x`).text();
		await waitFor(() => pending.length === 1, 'the first attempt');
		pending[0]!.release(new Response('fresh'));
		expect(await first).toBe('fresh');
		await waitFor(() => stored.length === 1, 'the copy stored');
		const second = await api.get(`${primary}/x`);
		expect([isStale(second), await second.text()]).toEqual([true, 'fresh']);
		pending[1]!.release(new Response('down', { status: 503 }));
		await waitFor(() => pending.length === 3, 'the mirror\'s attempt');
		pending[2]!.release(new Response('from the mirror'));
		await waitFor(() => failedOver.length === 1, 'the mirror\'s answer');
		// With each origin in its own scope, before the fix: errorRate 2/3 ([HTTP_5XX x2]): the primary's 503 counted when its
		// attempt ended (the call was answered) and again as failover moved to the mirror.
		expect([api.stats()[primary]!.errorRate, api.stats()[primary]!.topErrors]).toEqual([0.5, [{ code: 'HTTP_5XX', count: 1 }]]);
		api.close();
	});
});

describe('hedge(): an origin\'s Retry-After holds the race\'s further hedges', () => {
	/** The attempts a GET made with `maxHedges: 2` once its first hedge was answered 429 (`retryAfter`), by the time a later call's first hedge went. */
	const attemptsAfter = async (retryAfter: string | undefined): Promise<number> => {
		const { pending, fetch } = held();
		const api = createClient({ fetch, retry: 0, timeout: false, retryBudget: false, hedge: hedge({ delayMs: 40, maxHedges: 2 }) });
		const hedged: string[] = [];
		api.on('hedge', ({ url, hedge: which }) => hedged.push(`${new URL(url).pathname} ${which}`));
		const call = api.get('https://api.test/slow');
		await waitFor(() => pending.length === 2, 'the first hedge');
		pending[1]!.release(new Response('busy', { status: 429, headers: retryAfter === undefined ? {} : { 'retry-after': retryAfter } }));
		// A later call's first hedge (to another origin) goes 40 ms after its first attempt: the slow call's second hedge, armed before, was due first.
		const later = api.get('https://later.test/later');
		await waitFor(() => hedged.includes('/later 1'), 'the later call\'s hedge');
		const slow = pending.filter(({ request }) => request.url.endsWith('/slow')).length;
		for (const attempt of pending) {
			attempt.release(new Response('ok'));
		}

		expect([await call.text(), await later.text()]).toEqual(['ok', 'ok']);
		api.close();
		return slow;
	};

	it('a hedge answered 429 with Retry-After: no further hedge goes out to the origin before it', async () => {
		// Before: 3 (the second hedge went 40 ms after the first, into the origin's 60 s pause).
		expect(await attemptsAfter('60')).toBe(2);
		// As an HTTP-date too.
		expect(await attemptsAfter(new Date(Date.now() + 60_000).toUTCString())).toBe(2);
	});

	it('Retry-After: 1 defers the second hedge past it (still unanswered then: it goes)', async () => {
		const { pending, fetch } = held();
		const api = createClient({ fetch, retry: 0, timeout: false, retryBudget: false, hedge: hedge({ delayMs: 40, maxHedges: 2 }) });
		const call = api.get('https://api.test/slow');
		await waitFor(() => pending.length === 2, 'the first hedge');
		const answeredAt = Date.now();
		pending[1]!.release(new Response('busy', { status: 503, headers: { 'retry-after': '1' } }));
		await waitFor(() => pending.length === 3, 'the second hedge');
		expect(Date.now() - answeredAt).toBeGreaterThanOrEqual(950);
		pending[2]!.release(new Response('ok'));
		expect(await call.text()).toBe('ok');
		api.close();
	});

	it('another call to the same origin during that pause is not hedged; one to another origin is', async () => {
		const { pending, fetch } = held();
		const api = createClient({ fetch, retry: 0, timeout: false, retryBudget: false, hedge: hedge({ delayMs: 40 }) });
		const hedged: string[] = [];
		api.on('hedge', ({ url }) => hedged.push(url));
		const first = api.get('https://api.test/first');
		await waitFor(() => pending.length === 2, 'the first call\'s hedge');
		pending[1]!.release(new Response('busy', { status: 503, headers: { 'retry-after': '60' } }));
		const calls = [api.get('https://api.test/same'), api.get('https://other.test/x')];
		await waitFor(() => hedged.includes('https://other.test/x'), 'the other origin\'s hedge');
		// The same origin's hedge was due with the other's (both 40 ms after their first attempts, sent in that order).
		await waitFor(() => pending.length >= 4, 'the first attempts');
		// Before: ['https://api.test/first', 'https://api.test/same', 'https://other.test/x'].
		expect(hedged).toEqual(['https://api.test/first', 'https://other.test/x']);
		for (const attempt of pending) {
			attempt.release(new Response('ok'));
		}

		expect(await Promise.all([first, ...calls].map(async (call) => call.text()))).toEqual(['ok', 'ok', 'ok']);
		api.close();
	});

	it('as before without one (or Retry-After: 0): the second hedge goes out', async () => {
		expect(await attemptsAfter(undefined)).toBe(3);
		expect(await attemptsAfter('0')).toBe(3);
	});
});

describe('failover: an offline mirror gets one attempt per 10 s', () => {
	it('a mirror\'s run that went out and was then refused (its breaker opened by that failure) keeps the mirror\'s slot taken', async () => {
		vi.stubGlobal('navigator', { onLine: false });
		const clock = new ManualClock();
		const sent: string[] = [];
		const fetch = (async (request: Request) => {
			sent.push(new URL(request.url).origin);
			throw new TypeError('fetch failed');
		}) as typeof globalThis.fetch;
		const api = createClient({
			name: `h27-offline-${Math.random()}`, clock, random: () => 0.5, fetch, retry: { limit: 1, delay: () => 0 }, retryBudget: false,
			breaker: breaker({ consecutiveFailures: 1, openMs: 1000 }), failover: failover({ mirrors: { [primary]: [mirror] } }),
		} as never);
		await expect(api.get(`${primary}/a`)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
		expect(sent).toEqual([primary, mirror]);
		// Both breakers half-open 2 s later, the mirror's slot still taken (8 s to go).
		clock.advance(2000);
		await expect(api.get(`${primary}/b`)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
		// Before: [primary, mirror, primary, mirror]: the mirror's CircuitOpenError after its attempt went out freed its slot.
		expect(sent).toEqual([primary, mirror, primary]);
		// 10 s after its attempt: the mirror's slot again.
		clock.advance(8000);
		await expect(api.get(`${primary}/c`)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
		expect(sent).toEqual([primary, mirror, primary, primary, mirror]);
		api.close();
	});
});
