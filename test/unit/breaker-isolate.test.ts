/** The kill switch (issue 15, in part): `client.breaker.isolate(url)` opens a scope by hand until `reset`. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CircuitOpenError, InvalidRequestError, classify, createClient, memoryStore, type KeyValueStore } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeOrigin, origin } from './breaker-kit.js';

const t0 = 1_700_000_000_000;
let names = 0;

afterEach(() => {
	vi.unstubAllGlobals();
});

const tabs = () => {
	const clock = new ManualClock(t0);
	const store = memoryStore('isolate');
	const name = `isolate-${names++}`;
	const make = () => {
		const server = new FakeOrigin();
		const events: string[] = [];
		const api = createClient({ clock, random: () => 0.5, name, store: () => store, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, breaker: { share: true, maxOpenMs: 60_000 } });
		for (const type of ['breaker:open', 'breaker:closed'] as const) {
			api.on(type, (event) => events.push(`${type} ${event.reason}`));
		}

		return { api, server, events };
	};

	return { clock, store, make };
};

describe('breaker kill switch', () => {
	it('isolate opens a scope until reset: no request, no probe however long, shared with other tabs and persisted', async () => {
		const { clock, store, make } = tabs();
		const a = make();
		const b = make();
		expect((await a.api.get(origin + '/x')).status).toBe(200);
		a.api.breaker.isolate(origin);
		expect(a.api.breaker(origin)).toMatchObject({ state: 'open', openedAt: t0 });
		expect(a.events).toEqual(['breaker:open isolated']);
		await vi.waitFor(() => expect(b.api.breaker(origin).state).toBe('open'));
		clock.advance(3_600_000); // Far past maxOpenMs: still no probe.
		for (const tab of [a, b]) {
			const error = await tab.api.get(origin + '/y').catch((error_: unknown) => error_);
			expect(error).toBeInstanceOf(CircuitOpenError);
		}

		expect(a.server.requests).toHaveLength(1);
		expect(b.server.requests).toHaveLength(0);
		await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ state: 'open', isolated: true }));

		const reloaded = make(); // A reload: the isolation is read back.
		expect(await reloaded.api.get(origin + '/z').catch((error: unknown) => error)).toBeInstanceOf(CircuitOpenError);
		expect(reloaded.events).toEqual(['breaker:open isolated']);

		b.api.breaker.reset(origin);
		expect(b.events.at(-1)).toBe('breaker:closed reset');
		await vi.waitFor(() => expect(a.api.breaker(origin).state).toBe('closed'));
		expect((await a.api.get(origin + '/w')).status).toBe(200);
		for (const tab of [a, b, reloaded]) {
			tab.api.close();
		}
	});

	it('clear() and clear({ identity }) never lift a kill switch: in memory, in the store, in the other tabs, after a reload; clear() forgets what was learned', async () => {
		const { clock, store, make } = tabs();
		const other = 'https://other.test';
		const [a, b] = [make(), make()];
		a.server.script = (request) => request.url.startsWith(other) ? new TypeError('Failed to fetch') : new Response('{}');
		await a.api.breaker.isolate(origin);
		for (let attempt = 0; attempt < 5; attempt++) {
			await a.api.get(`${other}/x`).catch(() => undefined);
		}

		expect(a.api.breaker(other).state).toBe('open'); // learned from failures
		await vi.waitFor(async () => expect(await store.get(other)).toMatchObject({ state: 'open' }));
		await vi.waitFor(() => expect(b.api.breaker(origin).state).toBe('open'));

		// One identity's clear: its cache and outbox; the breaker's state is the origin's, not a user's.
		await a.api.clear({ identity: 'bob' });
		expect([a.api.breaker(origin).state, a.api.breaker(other).state]).toEqual(['open', 'open']);
		// Everything the client learned goes; the kill switch stays.
		await a.api.clear();
		expect([a.api.breaker(origin).state, a.api.breaker(other).state]).toEqual(['open', 'closed']);
		expect(await store.get(other)).toBeUndefined();
		expect(await store.get(origin)).toMatchObject({ state: 'open', isolated: true });
		// A reload that clears before it has read the scope keeps it too.
		const reloaded = make();
		await reloaded.api.clear();
		for (const tab of [a, b, reloaded, make()]) {
			expect(await tab.api.get(`${origin}/y`).catch((error: unknown) => error)).toBeInstanceOf(CircuitOpenError);
			expect(tab.server.requests.filter((request) => request.url.startsWith(origin))).toEqual([]);
		}

		clock.advance(1_000);
		await b.api.breaker.reset(origin);
		await vi.waitFor(() => expect(reloaded.api.breaker(origin).state).toBe('closed'));
		expect((await reloaded.api.get(`${origin}/z`)).status).toBe(200);
		for (const tab of [a, b, reloaded]) {
			tab.api.close();
		}
	});

	it('a relative URL names the scope a call to it would have (prefix, baseUrl); an absolute one its own, also with a prefix', async () => {
		const other = 'https://other.test';
		for (const options of [{ baseUrl: `${origin}/v1/` }, { prefix: `${origin}/v1` }]) {
			const server = new FakeOrigin();
			const api = createClient({ ...options, name: `isolate-${names++}`, store: memoryStore, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false });
			await api.breaker.isolate('users');
			expect(api.breaker(origin)).toMatchObject({ scope: origin, state: 'open' });
			expect(api.breaker('/users/1').state).toBe('open');
			expect(await api.get('users/1').catch((error: unknown) => error)).toBeInstanceOf(CircuitOpenError);
			await expect(api.waitForHealthy('users/1', { timeoutMs: 0 })).rejects.toMatchObject({ code: 'TIMEOUT' });
			await api.breaker.isolate(`${other}/x`);
			expect(api.breaker(other).state).toBe('open');
			await api.breaker.reset('users/2');
			expect(api.breaker(origin).state).toBe('closed');
			expect(api.breaker(other).state).toBe('open');
			await api.waitForHealthy('users/1', { timeoutMs: 0 });
			expect((await api.get('users/1')).status).toBe(200);
			api.close();
		}
	});

	it('isolate() and reset() resolve once the state is stored, also in a Worker without waitUntil (nothing dropped)', async () => {
		vi.stubGlobal('navigator', { userAgent: 'Cloudflare-Workers' }); // I/O ends with its request: no background work
		const inner = memoryStore('isolate-await');
		// A store that takes its time: the write is confirmed a timer later.
		const slow: KeyValueStore = { ...inner, set: async (key, value) => new Promise((resolve) => {
			setTimeout(() => resolve(inner.set(key, value)), 5);
		}) };
		const errors: unknown[] = [];
		const api = createClient({ name: `isolate-${names++}`, store: () => slow, retry: 0, staleCache: false, breaker: { share: true } });
		api.on('storage:error', (event) => errors.push(event.error));
		await api.breaker.isolate(origin);
		expect(await inner.get(origin)).toMatchObject({ state: 'open', isolated: true });
		await api.breaker.reset(`${origin}/any/path`);
		expect(await inner.get(origin)).toMatchObject({ state: 'closed' });
		expect(errors).toEqual([]);
		api.close();
	});

	it('breaker:open of an isolation has no reopensAt (it lets no probe through, as the snapshot says), in this tab and the others; isolating it again tells nothing', async () => {
		const { make } = tabs();
		const a = make();
		const b = make();
		const told: Array<[string, string, number | undefined]> = [];
		for (const [tab, api] of [['a', a.api], ['b', b.api]] as const) {
			api.on('breaker:open', ({ scope, reason, reopensAt }) => scope === origin && told.push([tab, reason, reopensAt]));
		}

		await a.api.breaker.isolate(origin);
		await vi.waitFor(() => expect(b.api.breaker(origin).state).toBe('open'));
		await a.api.breaker.isolate(origin);
		await b.api.breaker.isolate(origin);
		// Every message sent so far has arrived once one sent after it, each way, has.
		await a.api.breaker.isolate('https://a.test');
		await b.api.breaker.isolate('https://b.test');
		await vi.waitFor(() => expect([b.api.breaker('https://a.test').state, a.api.breaker('https://b.test').state]).toEqual(['open', 'open']));
		expect([told, a.api.breaker(origin), b.api.breaker(origin)]).toEqual([
			[['a', 'isolated', undefined], ['b', 'shared', undefined]],
			{ scope: origin, state: 'open', consecutiveFailures: 0, openedAt: t0 },
			{ scope: origin, state: 'open', consecutiveFailures: 0, openedAt: t0 },
		]);
		for (const { api } of [a, b]) {
			api.close();
		}
	});

	it('isolate without a breaker is an error (a rejected promise); reset without one does nothing', async () => {
		const api = createClient({ store: memoryStore, breaker: false });
		await expect(api.breaker.isolate('https://api.test')).rejects.toThrow(/breaker is off/);
		await expect(api.breaker.reset('https://api.test')).resolves.toBeUndefined();
		api.close();
	});
});

describe('waitForHealthy', () => {
	it('resolves at once when closed, when the breaker closes, and rejects with TIMEOUT after timeoutMs', async () => {
		const { make } = tabs();
		const tab = make();
		await tab.api.waitForHealthy(origin);
		tab.api.breaker.isolate(origin);
		const error = await tab.api.waitForHealthy(origin, { timeoutMs: 20 }).catch((error_: unknown) => error_);
		expect(classify(error)).toMatchObject({ code: 'TIMEOUT', transient: true });
		const waiting = tab.api.waitForHealthy(`${origin}/some/path`, { timeoutMs: 5_000 });
		setTimeout(() => tab.api.breaker.reset(origin), 10);
		await expect(waiting).resolves.toBeUndefined();
		await expect(tab.api.waitForHealthy(origin, { timeoutMs: -1 })).rejects.toBeInstanceOf(InvalidRequestError);
		tab.api.close();
	});

	it('resolves when clear() forgets the open breaker it waits on: the scope is closed then', async () => {
		const { make } = tabs();
		const tab = make();
		tab.server.down();
		for (let call = 0; call < 5; call++) {
			await tab.api.get(`${origin}/x`).catch(() => undefined);
		}

		expect(tab.api.breaker(origin).state).toBe('open');
		const waiting = tab.api.waitForHealthy(origin, { timeoutMs: 2_000 });
		setTimeout(() => void tab.api.clear(), 10);
		await expect(waiting).resolves.toBeUndefined();
		expect(tab.api.breaker(origin).state).toBe('closed');
		tab.api.close();
	});

	it('a timeoutMs beyond what a timer holds (2 147 483 648) or of the wrong type rejects with InvalidRequestError naming it, also for a closed scope; 2 147 483 647 is accepted', async () => {
		const { make } = tabs();
		const tab = make();
		for (const timeoutMs of [2_147_483_648, '5', Number.NaN]) {
			const error = await tab.api.waitForHealthy(origin, { timeoutMs: timeoutMs as number }).catch((error_: unknown) => error_);
			expect([timeoutMs, error instanceof InvalidRequestError && (error as Error).message]).toEqual([timeoutMs, expect.stringMatching(/^`timeoutMs` must be .*2147483647; got /)]);
		}

		await expect(tab.api.waitForHealthy(origin, { timeoutMs: 2_147_483_647 })).resolves.toBeUndefined();
		tab.api.close();
	});

	it('options that are no object (a number, a string, true) reject with InvalidRequestError, also for a closed scope; none, undefined or null take the default', async () => {
		const { make } = tabs();
		const tab = make();
		for (const options of [5, 'fast', true]) {
			await expect(tab.api.waitForHealthy(origin, options as never)).rejects.toThrow(/^`waitForHealthy` takes \{ timeoutMs \} as options; got /);
		}

		for (const options of [undefined, null, {}]) {
			await expect(tab.api.waitForHealthy(origin, options as never)).resolves.toBeUndefined();
		}

		tab.api.close();
	});

	it('close(): a pending waitForHealthy rejects at once (CLIENT_CLOSED), and no probe starts after it', async () => {
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
		try {
			const clock = new ManualClock(t0);
			const server = new FakeOrigin();
			server.down();
			const api = createClient({ clock, random: () => 0.5, store: memoryStore, fetch: server.fetch as typeof fetch, retry: 0, retryBudget: false, staleCache: false, breaker: { consecutiveFailures: 1, openMs: 1_000, probe: '/health', share: false } });
			await api.get(`${origin}/x`).catch(() => undefined);
			expect(api.breaker(origin).state).toBe('open');
			let outcome: unknown;
			void api.waitForHealthy(origin, { timeoutMs: 60_000 }).then(() => (outcome = 'resolved'), (error: { code?: string }) => (outcome = error.code));
			await vi.advanceTimersByTimeAsync(100);
			api.close();
			await vi.waitFor(() => expect(outcome).toBe('CLIENT_CLOSED'));
			await expect(api.waitForHealthy(origin)).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
			clock.advance(1_000); // the open period is over: a waitForHealthy still running would send the probe now
			await vi.advanceTimersByTimeAsync(1_000);
			expect(server.requests.map((request) => new URL(request.url).pathname)).toEqual(['/x']);
		} finally {
			vi.useRealTimers();
		}
	});
});
