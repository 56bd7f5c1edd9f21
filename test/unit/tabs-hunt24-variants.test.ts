/**
 * Defect hunt, twenty-fourth round (area: recovery seen across tabs). API.md "Reachability and recovery" (a breaker
 * opened on attempts without an HTTP answer turns half-open at once on `online` and on a page visible again, one
 * probe across the tabs of a name), "Outbox" (every tab is told). A scope another tab opened, known here only from
 * its messages and forgotten past `maxScopes`, is still this tab's to recover: it told its `breaker:open`.
 */
import { describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { maxScopes } from '../../src/utils/scopes.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeOrigin, origin, t0, windowEachTest } from './breaker-kit.js';
import type { FakeWindow } from './outbox-helpers.js';

let win: FakeWindow;
const clients = windowEachTest((made) => {
	win = made;
});
let names = 0;

/** Tabs of one name and store on one clock (at `t0`), breakers shared (`openMs` 30 000); `events` lists `type scope reason`. */
const tabsOf = () => {
	const clock = new ManualClock(t0);
	const name = `h24-tabs-${names++}`;
	const store = memoryStore(name);
	const open = (breakerOptions: object = {}) => {
		const server = new FakeOrigin();
		server.down();
		const events: string[] = [];
		const api = createClient({ clock, random: () => 0.5, name, store: () => store, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, breaker: { share: true, openMs: 30_000, ...breakerOptions } });
		clients.push(api);
		for (const type of ['breaker:open', 'breaker:half-open', 'breaker:closed'] as const) {
			api.on(type, (event) => events.push(`${type} ${event.scope} ${event.reason}`));
		}

		const call = async (url = `${origin}/x`): Promise<string> => api.get(url).then((response) => String(response.status), (error: { code?: unknown; name: string }) => (typeof error.code === 'string' ? error.code : error.name));
		/** This tab meets `count` other scopes (its idle ones past `maxScopes`, 1 000, are forgotten). */
		const meet = (count: number): void => {
			for (let index = 0; index < count; index++) {
				api.breaker(`https://other-${index}.test`);
			}
		};

		return { api, server, events, call, meet };
	};

	/** `a` opens the origin's breaker on network failures (5 in a row); `b` hears it, never having called the origin, then meets 1 100 other scopes. */
	const openedThenForgotten = async (breakerOptions: object = {}) => {
		const a = open(breakerOptions);
		const b = open(breakerOptions);
		for (let index = 0; index < 5; index++) {
			expect(await a.call()).toBe('NetworkError');
		}

		await vi.waitFor(() => expect(b.events).toEqual([`breaker:open ${origin} shared`]));
		b.meet(1_100);
		return { a, b };
	};

	return { clock, name, open, openedThenForgotten };
};

describe('breaker: recovery of a scope another tab opened, that this tab forgot past maxScopes', () => {
	it('`online` turns it half-open here too (`breaker:half-open`, online), and this tab\'s next call is the probe', async () => {
		const { openedThenForgotten } = tabsOf();
		const { a, b } = await openedThenForgotten();
		a.api.close(); // the tab that opened it is gone: only this one can recover it
		win.setOnline(true);
		// Before: [`breaker:open ${origin} shared`] (the forgotten circuit skipped by the trigger).
		expect(b.events).toEqual([`breaker:open ${origin} shared`, `breaker:half-open ${origin} online`]);
		expect(b.api.breaker(origin).state).toBe('half-open');
		b.server.up();
		expect(await b.call()).toBe('200');
		expect(b.events.at(-1)).toBe(`breaker:closed ${origin} probe-succeeded`);
	});

	it('a page visible again does the same, and with `breaker.probe` its probe goes at once', async () => {
		const { openedThenForgotten } = tabsOf();
		const { a, b } = await openedThenForgotten({ probe: '/health' });
		a.api.close();
		b.server.up();
		win.document.dispatchEvent(new Event('visibilitychange'));
		// Before: no event, no probe (b.server.requests empty).
		expect(b.events).toEqual([`breaker:open ${origin} shared`, `breaker:half-open ${origin} visible`]);
		await vi.waitFor(() => expect(b.events.at(-1)).toBe(`breaker:closed ${origin} probe-succeeded`));
		expect(b.server.requests.map((request) => new URL(request.url).pathname)).toEqual(['/health']);
	});
});

describe('breaker: what a page remembers of the scopes its start read', () => {
	it('is bounded by maxScopes however many scopes the page meets (a crawler in a page, a `scope` per path)', async () => {
		let stores: Map<string, unknown> | undefined;
		// An app's policy sees the client's shared stores (API.md: no private door): where that memory lives.
		const peek = {
			slot: 'peek', create: (context: { stores: Map<string, unknown> }) => {
				stores = context.stores;
				return {};
			},
		};
		const api = createClient({ clock: new ManualClock(t0), name: `h24-started-${names++}`, store: () => memoryStore('h24-started'), retry: 0, staleCache: false, breaker: { share: true }, fetch: (async () => new Response('')) as typeof fetch, peek } as never);
		clients.push(api);
		for (let done = 0; done < maxScopes + 200; done += 50) {
			await Promise.all(Array.from({ length: 50 }, async (_, index) => api.get(`https://s${done + index}.test/`)));
		}

		// Before: 1200 (one per scope the page ever read, for its life).
		expect((stores!.get('breaker:started') as Set<string>).size).toBeLessThanOrEqual(maxScopes);
	});
});

describe('reachability: another tab\'s breaker probe that got an HTTP answer', () => {
	it('a probe answered 503 (re-opening the breaker) makes the scope `reachable` here too, as a probe answered 200 does', async () => {
		const { clock, open } = tabsOf();
		const a = open();
		const b = open();
		const told: string[] = [];
		b.api.on('reachability', ({ state }) => told.push(state));
		// Down for both: b's two attempts without an answer (unreachable), then a's three open the shared breaker.
		expect([await b.call(), await b.call()]).toEqual(['NetworkError', 'NetworkError']);
		await vi.waitFor(() => expect(b.api.reachability(origin)).toBe('unreachable'));
		for (let index = 0; index < 3; index++) {
			expect(await a.call()).toBe('NetworkError');
		}

		await vi.waitFor(() => expect(b.events).toEqual([`breaker:open ${origin} shared`]));
		// The origin answers again, 503 for now: a's probe gets that answer, and re-opens the breaker.
		clock.advance(30_000 * 1.2);
		a.server.answer(503);
		expect(await a.call()).toBe('HTTPError');
		expect(a.api.reachability(origin)).toBe('reachable');
		await vi.waitFor(() => expect(b.events).toEqual([`breaker:open ${origin} shared`, `breaker:open ${origin} shared`]));
		// Before: 'unreachable' (only a closing told this tab that another tab's probe got an answer).
		expect(b.api.reachability(origin)).toBe('reachable');
		expect(told).toEqual(['unreachable', 'reachable']);
	});
});

describe('reachability: another tab\'s attempt that got an HTTP answer, the breaker closed throughout', () => {
	it('makes the scope `reachable` in a tab whose own attempts found it unreachable (fewer failures than open the breaker)', async () => {
		const { open } = tabsOf();
		const a = open();
		const b = open();
		const told: string[] = [];
		b.api.on('reachability', ({ state }) => told.push(state));
		expect([await b.call(), await b.call()]).toEqual(['NetworkError', 'NetworkError']);
		expect(b.api.reachability(origin)).toBe('unreachable'); // TanStack (followReachability) pauses b's queries now
		a.server.up();
		expect(await a.call()).toBe('200');
		await vi.waitFor(() => expect(told).toEqual(['unreachable', 'reachable']));
		expect(b.api.reachability(origin)).toBe('reachable');
		// A failure with no HTTP answer there says nothing more here; one with an answer (a 503) is an answer too.
		a.server.down();
		expect(await a.call()).toBe('NetworkError');
		a.server.answer(503);
		expect(await a.call()).toBe('HTTPError');
		expect(b.api.breaker(origin).state).toBe('closed');
		expect(told).toEqual(['unreachable', 'reachable']);
	});
});

describe('breaker: a reload whose read of the stored state failed asks the other tabs', () => {
	it('takes only a prompt answer as the stored state: an opening told long after is another tab\'s, not a reload\'s (no early probe)', async () => {
		const { clock, name, open } = tabsOf();
		const a = open({ consecutiveFailures: 1 });
		const shared = memoryStore(name);
		// b's store fails its first read of the origin's state (a timeout, an IndexedDB hiccup); no tab knows it open.
		let failed = false;
		const flaky = new Proxy(shared, {
			get: (target, key) => key === 'get' ? async (at: string) => {
				if (at === origin && !failed) {
					failed = true;
					throw new Error('IndexedDB hiccup');
				}

				return target.get(at);
			} : Reflect.get(target, key),
		});
		const server = new FakeOrigin();
		const events: string[] = [];
		const b = createClient({ clock, random: () => 0.5, name, store: () => flaky, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, breaker: { share: true, openMs: 30_000, consecutiveFailures: 1 } });
		clients.push(b);
		for (const type of ['breaker:open', 'breaker:half-open', 'breaker:closed'] as const) {
			b.on(type, (event) => events.push(`${type} ${event.reason}`));
		}

		expect(await b.get(`${origin}/x`).then((response) => response.status)).toBe(200); // its read failed: closed, asked
		expect(failed).toBe(true);
		clock.advance(60_000); // a minute later, a's attempt finds the origin down
		expect(await a.call()).toBe('NetworkError');

		await vi.waitFor(() => expect(events).toEqual(['breaker:open shared']), { timeout: 2_000 });
		// Before: ['breaker:open shared', 'breaker:half-open restored'], and b's next call went out at once as a probe.
		expect(b.breaker(origin).state).toBe('open');
		expect(await b.get(`${origin}/x`).then(() => 'sent', (error: { code?: string }) => error.code)).toBe('CIRCUIT_OPEN');
		expect(server.requests).toHaveLength(1);
	});
});
