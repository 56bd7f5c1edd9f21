/**
 * Defect hunt, forty-first round (recovery you can see): the device comes back online. A tab whose attempts failed as the
 * network went (two network failures: `unreachable`), then `navigator.onLine` false (`offline`), then true again: its
 * scope is `unreachable` again (its last attempts failed), and `followReachability` kept TanStack paused until its next
 * 10 s turn, although the device just came back — TanStack's own `onlineManager` resumes at once on `online`, as the
 * breaker turns half-open at once (API.md "Recovery without waiting"). Now the change from `offline` to `unreachable`
 * is a turn at once: TanStack is told online for a moment, its paused queries try once. Time is exact: fake timers.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, type CoreClientOptions } from '../../src/entries/core.js';
import { breaker } from '../../src/entries/breaker.js';
import { followReachability } from '../../src/entries/tanstack-query.js';
import { windowEachTest } from './breaker-kit.js';
import type { FakeWindow } from './outbox-helpers.js';
import { recordingManager, standInClient } from '../helpers/reachability-stand-ins.js';

let win: FakeWindow;
const clients = windowEachTest((made) => {
	win = made;
});
afterEach(() => {
	vi.useRealTimers();
});

const origin = 'https://h41-online.test';

/** A client (no retries, no stale cache, then `options`) whose network fails (`Failed to fetch`) until `net.up`; closed after the test. */
const downUntilUp = <const O extends CoreClientOptions>(options: O) => {
	const net = { up: false };
	const api = createClient({ retry: 0, staleCache: false, ...options, fetch: (async () => {
		if (!net.up) {
			throw new TypeError('Failed to fetch');
		}

		return new Response('{}');
	}) as typeof fetch });
	clients.push(api);
	return { api, net };
};

describe('followReachability when the device comes back online', () => {
	it('a client whose attempts failed before navigator.onLine turned false: at `online`, TanStack gets its turn at once, not 10 s later', async () => {
		const { api, net } = downUntilUp({ breaker: false });
		const followed = recordingManager();
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		const off = followReachability(api, followed, origin);
		for (const path of ['/a', '/b']) {
			await api.get(`${origin}${path}`).catch(() => undefined);
		}

		expect([api.reachability(origin), followed.told]).toEqual(['unreachable', [true, false]]);
		vi.advanceTimersByTime(3_000);
		win.setOnline(false);
		expect([api.reachability(origin), followed.told]).toEqual(['offline', [true, false, false]]);
		vi.advanceTimersByTime(3_000);
		net.up = true;
		win.setOnline(true);
		expect(api.reachability(origin)).toBe('unreachable');
		// Before: [true, false, false, false] (paused until the turn 10 s after the first pause, 4 s on).
		expect(followed.told).toEqual([true, false, false, false, true]);
		vi.advanceTimersByTime(1);
		expect(followed.told).toEqual([true, false, false, false, true, false]);
		// The 10 s turns go on from there (from the `online`), as before.
		vi.advanceTimersByTime(9_998);
		expect(followed.told).toEqual([true, false, false, false, true, false]);
		vi.advanceTimersByTime(1);
		expect(followed.told).toEqual([true, false, false, false, true, false, true]);
		off();
	});

	it('a stand-in client: only the change from offline to unreachable is a turn at once (not unreachable at first, not offline)', () => {
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		const client = standInClient('reachable');
		const { reach } = client;

		const followed = recordingManager();
		const off = followReachability(client as never, followed, 'https://a.example');
		reach('unreachable');
		reach('offline');
		expect(followed.told).toEqual([true, false, false]);
		reach('unreachable');
		expect(followed.told).toEqual([true, false, false, false, true]);
		vi.advanceTimersByTime(1);
		expect(followed.told).toEqual([true, false, false, false, true, false]);
		// Reachable: online, no turn after; unknown (a forgotten scope) is online too.
		reach('reachable');
		vi.advanceTimersByTime(30_000);
		expect(followed.told.slice(6)).toEqual([true]);
		off();
	});
});

/**
 * A scope first met while `navigator.onLine` was already false (a PWA opened offline): `reachability()` said `offline`,
 * yet the scope was told as `unknown`, so at `online` its state (`unknown` again) was no change: no `reachability` event,
 * and `followReachability` kept TanStack paused until its next 10 s turn. A scope met while offline now starts told
 * `offline` once asked about so: the device back online is a change (`unknown`, previous `offline`), told at once. A scope
 * first met by an attempt (not asked about) is told as before.
 */
describe('a scope first met while the device was offline', () => {
	it('followReachability subscribed offline: TanStack online at once at `online`; the reachability event says unknown, previous offline', async () => {
		win.setOnline(false);
		const api = createClient({ retry: 0, breaker: false, staleCache: false, fetch: (async () => new Response('{}')) as typeof fetch });
		clients.push(api);
		const events: string[] = [];
		api.on('reachability', ({ state, previous }) => events.push(`${previous}>${state}`));
		const followed = recordingManager();
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		const off = followReachability(api, followed, origin);
		expect([api.reachability(origin), followed.told]).toEqual(['offline', [false]]);
		vi.advanceTimersByTime(4_000);
		win.setOnline(true);
		// Before: 'unknown', [false], [] (paused until the turn 6 s later).
		expect([api.reachability(origin), followed.told, events]).toEqual(['unknown', [false, true], ['offline>unknown']]);
		off();
	});

	it('(held) a scope first met by an attempt that fails while offline, then one answered: told unknown>offline, then offline>reachable', async () => {
		win.setOnline(false);
		const { api, net } = downUntilUp({ breaker: false });
		const events: string[] = [];
		api.on('reachability', ({ state, previous }) => events.push(`${previous}>${state}`));
		expect(await api.get(`${origin}/a`).then(() => 'answered', (error: Error) => error.name)).toBe('NetworkError');
		net.up = true;
		expect(await api.get(`${origin}/b`).then((response) => response.status)).toBe(200);
		win.setOnline(true);
		expect([api.reachability(origin), events]).toEqual(['reachable', ['unknown>offline', 'offline>reachable']]);
	});
});

/**
 * A `breaker.probe` whose URL is of another scope than the breaker's (an absolute URL, a status host; a path outside a
 * custom `scope`): its answer closed the breaker, and the other tabs took that closing as the scope answering
 * (`reachable`, `scope:back`), but the tab that probed did not: its reachability stayed `unreachable` (its
 * `followReachability` paused) and no `scope:back` fired there, while its breaker was closed. The closing a probe's
 * answer makes is now the scope's answer in the tab that probed too, as in every other tab.
 */
describe("a breaker probe whose URL is another scope's", () => {
	for (const { what, probe, scope } of [
		{ what: 'an absolute URL on a status host', probe: 'https://status.h41.test/health', scope: undefined },
		{ what: "a path outside a custom scope ('/health' against https://h41-online.test/v1)", probe: '/health', scope: (url: string) => (new URL(url).pathname.startsWith('/v1/') ? `${new URL(url).origin}/v1` : new URL(url).origin) },
	]) {
		it(`${what}: its success makes the breaker's scope reachable and scope:back there, in the tab that probed`, async () => {
			let up = false;
			const seen: string[] = [];
			const api = createClient({ retry: 0, staleCache: false, retryBudget: false, breaker: breaker({ consecutiveFailures: 2, openMs: 1_000, probe, share: false, ...(scope && { scope }) }), fetch: (async (request: Request) => {
				seen.push(new URL(request.url).pathname);
				if (!up) {
					throw new TypeError('Failed to fetch');
				}

				return new Response('{}');
			}) as typeof fetch });
			clients.push(api);
			const url = scope ? `${origin}/v1/todos` : `${origin}/todos`;
			const back: string[] = [];
			api.on('scope:back', (event) => back.push(`${event.scope} ${event.status}`));
			expect([await api.get(url).catch((error: Error) => error.name), await api.get(url).catch((error: Error) => error.name)]).toEqual(['NetworkError', 'NetworkError']);
			expect([api.breaker(url).state, api.reachability(url)]).toEqual(['open', 'unreachable']);
			up = true;
			await api.waitForHealthy(url, { timeoutMs: 10_000 });
			expect(seen.at(-1)).toBe('/health');
			const { scope: breakerScope } = api.breaker(url);
			// Before: 'unreachable' and no scope:back of the breaker's scope (its breaker closed by the probe).
			expect([api.breaker(url).state, api.reachability(url), back]).toEqual(['closed', 'reachable', [`${breakerScope} 200`]]);
		});
	}
});

/**
 * Held (a regression test): the turn at `online` (above) is given inside the client's own `online` listener, before the
 * breaker's, and a browser runs the microtasks each listener of its own event queued before the next listener: the call
 * TanStack makes at the turn must not reach the breaker before the breaker's listener turned it half-open (open on
 * network failures). It does not: the call goes out only after a task, as the breaker was turned; it is the probe.
 */
describe('(held) the turn at `online` and the breaker\'s own `online` listener (a browser runs microtasks between listeners)', () => {
	it("a call TanStack makes at the turn is the breaker's probe, not refused", async () => {
		// Listeners kept here and called as a browser calls them for its own event: each, then the microtasks it queued.
		const listeners: Array<() => void> = [];
		const g = globalThis as unknown as { addEventListener(type: string, listener: () => void): void; removeEventListener(): void };
		g.addEventListener = (type, listener) => void (type === 'online' && listeners.push(listener));
		g.removeEventListener = () => undefined;
		const { api, net } = downUntilUp({ retryBudget: false, breaker: breaker({ consecutiveFailures: 2, openMs: 60_000, share: false }) });
		const calls: Array<Promise<string>> = [];
		// TanStack at the turn (told online after offline): its paused query goes out.
		let was = true;
		const off = followReachability(api, { setEventListener: (setup) => void setup((online) => {
			if (online && !was && net.up) {
				calls.push(api.get(`${origin}/x`).then((response) => String(response.status), (error: { code?: string; name: string }) => error.code ?? error.name));
			}

			was = online;
		}) }, origin);
		for (const path of ['/a', '/b']) {
			await api.get(`${origin}${path}`).catch(() => undefined);
		}

		expect([api.breaker(origin).state, api.reachability(origin)]).toEqual(['open', 'unreachable']);
		win.setOnline(false, false);
		for (const listener of listeners) {
			listener();
		}

		net.up = true;
		win.setOnline(true, false);
		for (const listener of listeners) {
			listener();
			for (let turn = 0; turn < 5000; turn++) {
				await Promise.resolve();
			}
		}

		await vi.waitFor(() => expect(calls).toHaveLength(1));
		expect(await Promise.all(calls)).toEqual(['200']);
		expect(api.breaker(origin).state).toBe('closed');
		off();
	});
});

