/**
 * Defect hunt, thirty-second round (area: recovery — the breaker shared across tabs, its probe, health). API.md "One
 * vocabulary of failure" (`classify()` / `originFailed` decide: a steadfetch service worker's `NETWORK` or `TIMEOUT`
 * answer is an attempt that got no answer of the origin's), "Recovery without waiting", "Reachability and recovery".
 * Scripted transports on injected clocks; the fakes of recovery-hunt31-variants.test.ts.
 */
import { describe, expect, it, vi } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import { staleCache } from '../../src/entries/cache.js';
import { failover } from '../../src/entries/failover.js';
import { health } from '../../src/entries/health.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { origin, sharedTabs, windowEachTest } from './breaker-kit.js';
import { outcomeOf } from '../../src/outbox/outcome.js';
import type { FakeWindow } from './outbox-helpers.js';

/** A steadfetch service worker's answer for a call whose attempts got no answer of the origin's (`NETWORK`: 503, `TIMEOUT`: 504). */
const unanswered = (code: 'NETWORK' | 'TIMEOUT'): Response =>
	new Response(JSON.stringify({ error: code }), { status: code === 'TIMEOUT' ? 504 : 503, headers: { 'content-type': 'application/json', 'steadfetch-error': code } });

describe('a steadfetch service worker\'s NETWORK 503 / TIMEOUT 504 is named by what its attempts met (classify(), one vocabulary)', () => {
	it('health topErrors, stats failures and classify() of the call\'s error say NETWORK and TIMEOUT, not HTTP_5XX', async () => {
		const clock = new ManualClock();
		let next: 'NETWORK' | 'TIMEOUT' = 'NETWORK';
		const api = createClient({ clock, fetch: (async () => unanswered(next)) as typeof fetch, retry: 0, breaker: false, health: health() });
		const codes: string[] = [];
		await api.get(`${origin}/x`).catch((error: unknown) => codes.push(classify(error).code));
		next = 'TIMEOUT';
		await api.get(`${origin}/x`).catch((error: unknown) => codes.push(classify(error).code));
		const stats = api.stats()[origin]!;
		// Before: ['HTTP_5XX', 'HTTP_5XX'], failures { HTTP_5XX: 2 }, topErrors [{ HTTP_5XX, 2 }] (the error rate was right: 1).
		expect([codes, stats.failures, stats.topErrors, stats.errorRate]).toEqual([['NETWORK', 'TIMEOUT'], { NETWORK: 1, TIMEOUT: 1 }, [{ code: 'NETWORK', count: 1 }, { code: 'TIMEOUT', count: 1 }], 1]);
		api.close();
	});

	it('with throwHttpErrors: false (the answer resolves the call), health counts it as NETWORK too', async () => {
		const clock = new ManualClock();
		const api = createClient({ clock, fetch: (async () => unanswered('NETWORK')) as typeof fetch, retry: 0, breaker: false, health: health() });
		await api.get(`${origin}/x`, { throwHttpErrors: false });
		expect(api.stats()[origin]?.topErrors).toEqual([{ code: 'NETWORK', count: 1 }]);
		api.close();
	});

	it('failover\'s event names the primary\'s failure so (code NETWORK where HTTP_5XX)', async () => {
		const mirror = 'https://mirror.test';
		const fetch = (async (request: Request) => (request.url.startsWith(mirror) ? new Response('{}') : unanswered('NETWORK'))) as typeof globalThis.fetch;
		const api = createClient({ fetch, retry: 0, breaker: false, failover: failover({ mirrors: { [origin]: [mirror] } }) });
		const codes: string[] = [];
		api.on('failover', (event) => codes.push(event.code));
		expect((await api.get(`${origin}/x`)).status).toBe(200);
		expect((await api.get(`${origin}/x`, { throwHttpErrors: false })).status).toBe(200);
		expect(codes).toEqual(['NETWORK', 'NETWORK']);
		api.close();
	});

	it('a stored copy answering it says detail=network, whether the answer threw or resolved (throwHttpErrors: false)', async () => {
		let next = (): Response => new Response('{"v":1}', { headers: { 'content-type': 'application/json' } });
		const api = createClient({ fetch: (async () => next()) as typeof fetch, retry: 0, breaker: false, staleCache: staleCache() });
		await (await api.get(`${origin}/x`)).text();
		next = () => unanswered('NETWORK');
		const thrown = (await api.get(`${origin}/x`)).headers.get('cache-status');
		const resolved = (await api.get(`${origin}/x`, { throwHttpErrors: false })).headers.get('cache-status');
		expect([thrown, resolved].map((status) => status?.replace(/ttl=-?\d+/, 'ttl'))).toEqual(['steadfetch; hit; ttl; detail=network', 'steadfetch; hit; ttl; detail=network']);
		api.close();
	});
});

describe('an outbox replay answered by a steadfetch service worker\'s NETWORK 503 (outcomeOf: its attempt met a network failure)', () => {
	it('is recorded as NETWORK and goes again at most maxNetworkBackoffMs ahead, as a network failure of its own', () => {
		const rules = { maxAttempts: 20, baseBackoffMs: 1_000, maxBackoffMs: 300_000, maxNetworkBackoffMs: 30_000, retentionMs: 7 * 86_400_000 };
		const now = 1_700_000_000_000;
		const outcome = outcomeOf(unanswered('NETWORK'), undefined, { attempts: 9, createdAt: now }, rules, now, () => 0.99) as { kind: string; failure: { code: string }; at: number };
		// Before: ['retry', 'HTTP_5XX', 297000] (the backoff of an origin's 503, not capped).
		expect([outcome.kind, outcome.failure.code, outcome.at - now]).toEqual(['retry', 'NETWORK', 30_000]);
	});
});

let win: FakeWindow;
const clients = windowEachTest((made) => {
	win = made;
});
const tabsOf = sharedTabs(clients, 'h32-tabs');

/** What a browser fires at a page restored from the back/forward cache (its BroadcastChannel got nothing meanwhile). */
const restoredFromBfcache = (): void => {
	win.dispatch(Object.assign(new Event('pageshow'), { persisted: true }));
	win.document.dispatchEvent(new Event('visibilitychange'));
};

describe('breaker across tabs: a page restored from the back/forward cache, a scope it knows only from another tab\'s message', () => {
	it('reads that scope\'s stored state too: it no longer shows, nor tells an asking tab, the open state another tab\'s reset ended', async () => {
		const { open, clock, store, other } = tabsOf();
		const a = open(); // never calls the scope: it knows it from b's message only
		const b = open({ consecutiveFailures: 1 });
		const elsewhere = 'https://other.test';
		b.server.answer(503);
		expect([await b.call(), await b.call(`${elsewhere}/x`)]).toEqual(['HTTPError', 'HTTPError']);
		await vi.waitFor(() => expect([a.api.breaker(origin).state, a.api.breaker(elsewhere).state]).toEqual(['open', 'open']));
		// The page goes into the bfcache; 10 s later a tab still running resets the scope (its record stored, its message missed).
		clock.advance(10_000);
		const stored = await store.get(origin) as { at: number };
		await store.set(origin, { v: 2, scope: origin, state: 'closed', openedAt: 0, reopensAt: 0, opens: 0, at: stored.at + 10_000 });
		clock.advance(1_000);
		restoredFromBfcache();
		await vi.waitFor(() => expect(b.api.breaker(origin).state).toBe('closed'));
		// Before: 'open' (a's record from b's message, kept through the restore).
		await vi.waitFor(() => expect(a.api.breaker(origin).state).toBe('closed'));
		// A tab whose read of the scopes failed asks the others for them: the scope still open is told by both tabs, the one
		// reset by none (a tab answers asks in order: a's answer for `origin` would come before its answer for `elsewhere`).
		const asker = other();
		const told: string[] = [];
		asker.onmessage = (event: MessageEvent) => told.push(`${(event.data as { scope?: unknown }).scope} ${(event.data as { state?: unknown }).state}`);
		asker.postMessage({ ask: origin });
		asker.postMessage({ ask: elsewhere });
		await vi.waitFor(() => expect(told.filter((each) => each.startsWith(elsewhere))).toHaveLength(2));
		// Before: a told the asker `${origin} open`.
		expect(told).toEqual([`${elsewhere} open`, `${elsewhere} open`]);
	});
});
