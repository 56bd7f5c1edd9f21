/**
 * Persistence and sharing in Node: the store (a reload), BroadcastChannel and Web Locks (Node has
 * both, in one thread), on one injected clock. The real multi-tab test is test/node/breaker-tabs.test.ts.
 */
import { describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore, type ClientOptions, type KeyValueStore } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeOrigin, flush, origin, times } from './breaker-kit.js';

const t0 = 1_700_000_000_000;
let names = 0;

/** Two "tabs": clients with one name, one store, one clock, each with its own transport. */
const tabs = (options: ClientOptions = {}, store: KeyValueStore = memoryStore('shared')) => {
	const clock = new ManualClock(t0);
	const name = `share-${names++}`;
	const make = () => {
		const server = new FakeOrigin();
		const events: string[] = [];
		const api = createClient({ clock, random: () => 0.5, name, store: () => store, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, ...options, breaker: { share: true, openMs: 30_000, ...(options.breaker || {}) as object } });
		for (const type of ['breaker:open', 'breaker:half-open', 'breaker:closed', 'storage:error'] as const) {
			api.on(type, (event) => events.push(`${type} ${'reason' in event ? event.reason : event.operation}`));
		}

		const call = async (): Promise<string> => api.get(origin + '/x').then((response) => String(response.status), (error: { code?: unknown; name: string }) => (typeof error.code === 'string' ? error.code : error.name));
		return { api, server, events, call, state: () => api.breaker(origin).state };
	};

	return { clock, store, make, name };
};

describe('breaker: persisted state (reload)', () => {
	it('an open breaker is stored as a versioned record and read back on the first call: no request goes out (opened on HTTP answers: it keeps its period)', async () => {
		const { make, store } = tabs();
		const before = make();
		before.server.answer(503);
		await times(5, async () => before.call());
		await vi.waitFor(async () => expect(await store.get(origin)).toBeDefined());
		expect(await store.get(origin)).toEqual({ v: 2, scope: origin, state: 'open', openedAt: t0, reopensAt: t0 + 30_000, opens: 1, at: t0, failures: 5 });
		before.api.close();

		const after = make(); // the reloaded page
		expect(await after.call()).toBe('CIRCUIT_OPEN');
		expect(after.server.requests).toHaveLength(0);
		expect(after.api.breaker(origin)).toMatchObject({ state: 'open', openedAt: t0, reopensAt: t0 + 30_000 });
		expect(after.events).toEqual(['breaker:open restored']);
	});

	it('the doubling survives the reload', async () => {
		const { make, clock } = tabs();
		const before = make();
		before.server.down();
		await times(5, async () => before.call());
		clock.advance(30_000);
		await before.call(); // probe fails: 60 s
		await flush();
		before.api.close();
		clock.advance(60_000);
		const after = make();
		after.server.down();
		expect(await after.call()).toBe('NetworkError'); // its probe
		expect(after.api.breaker(origin).reopensAt! - clock.now()).toBe(120_000);
	});

	it('a corrupt or unknown record is ignored and reported as storage:error', async () => {
		const store = memoryStore('corrupt');
		await store.set(origin, { v: 99, state: 'open' });
		const { make } = tabs({}, store);
		const tab = make();
		expect(await tab.call()).toBe('200');
		expect(tab.events).toEqual(['storage:error decode']);
	});

	it('a failing store is reported and the breaker goes on in memory', async () => {
		const failing: KeyValueStore = {
			get: async () => Promise.reject(new Error('quota')),
			set: async () => Promise.reject(new Error('quota')),
			delete: async () => undefined,
			keys: async () => Promise.reject(new Error('quota')),
			clear: async () => Promise.reject(new Error('quota')),
		};
		const { make } = tabs({}, failing);
		const tab = make();
		tab.server.down();
		await times(5, async () => tab.call());
		await flush();
		expect(tab.state()).toBe('open');
		expect(tab.events).toEqual(['storage:error get', 'breaker:open consecutive-failures', 'storage:error set']);
		// clear() lists the breaker's records first: a store that does not list is no confirmed removal (API.md "Identity").
		await expect(tab.api.clear()).rejects.toThrow('quota');
		expect(tab.events.at(-1)).toBe('storage:error keys');
	});

	it('clear() wipes the stored state and forgets the open breaker', async () => {
		const { make, store } = tabs();
		const tab = make();
		tab.server.down();
		await times(5, async () => tab.call());
		await flush();
		await tab.api.clear();
		expect(await store.keys()).toEqual([]);
		expect(tab.state()).toBe('closed');
	});

	it('clear() while an attempt is in flight: its failure, landing after, brings none of the cleared counts back (nothing stored, the next call goes out)', async () => {
		const { make, store } = tabs();
		const tab = make();
		tab.server.down();
		await times(4, async () => tab.call());
		tab.server.hang();
		const late = tab.call();
		await vi.waitFor(() => expect(tab.server.pending).toHaveLength(1));
		await tab.api.clear();
		tab.server.settleAll(new TypeError('Failed to fetch'));
		expect(await late).toBe('NetworkError');
		await flush();
		expect(await store.keys()).toEqual([]);
		tab.server.up();
		expect(await tab.call()).toBe('200');
		expect(tab.state()).toBe('closed');
		expect(tab.events.filter((event) => event.startsWith('breaker:open'))).toEqual([]);
	});

	it('share: false stores nothing', async () => {
		const { make, store } = tabs({ breaker: { share: false } });
		const tab = make();
		tab.server.down();
		await times(5, async () => tab.call());
		await flush();
		expect(await store.keys()).toEqual([]);
	});

	it('by default a server runtime (no document, no worker scope) opens no channel: nothing keeps the process alive', async () => {
		const store = memoryStore('default-share');
		const make = () => {
			const server = new FakeOrigin();
			const api = createClient({ clock: new ManualClock(t0), name: 'default-share', store: () => store, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false });
			const events: string[] = [];
			api.on('breaker:open', (event) => events.push(event.reason));
			return { api, server, events };
		};

		const a = make();
		const b = make();
		a.server.down();
		await times(5, async () => a.api.get(origin + '/x').then(() => 'ok', () => 'failed'));
		await flush();
		expect(a.api.breaker(origin).state).toBe('open');
		expect(b.api.breaker(origin).state).toBe('closed'); // No BroadcastChannel message reached it.
		expect(b.events).toEqual([]);
		a.api.close();
		b.api.close();
	});
});

describe('breaker: shared between tabs (BroadcastChannel, Web Locks)', () => {
	it('open in one is open in the other, and a probe success in one closes both', async () => {
		const { make, clock } = tabs();
		const a = make();
		const b = make();
		expect(b.state()).toBe('closed');
		a.server.down();
		await times(5, async () => a.call());
		await vi.waitFor(() => expect(b.state()).toBe('open'));
		expect(b.events).toContain('breaker:open shared');
		expect(await b.call()).toBe('CIRCUIT_OPEN');
		expect(b.server.requests).toHaveLength(0);

		clock.advance(30_000);
		expect(await b.call()).toBe('200'); // b's probe
		await vi.waitFor(() => expect(a.state()).toBe('closed'));
		expect(a.events.at(-1)).toBe('breaker:closed shared');
		a.api.close();
		b.api.close();
	});

	it('exactly one probe across tabs: the other tab fails fast until it settles', async () => {
		const { make, clock } = tabs();
		const a = make();
		const b = make();
		a.server.down();
		await times(5, async () => a.call());
		await vi.waitFor(() => expect(b.state()).toBe('open'));
		clock.advance(30_000);
		a.server.hang();
		b.server.hang();
		let settled = 0;
		const calls = [a.call(), b.call(), a.call(), b.call()].map(async (call) => call.finally(() => settled++));
		await vi.waitFor(() => expect(a.server.pending.length + b.server.pending.length).toBe(1));
		await vi.waitFor(() => expect(settled).toBe(3));
		expect(a.server.requests.length - 5 + b.server.requests.length).toBe(1);
		const [prober] = [a, b].filter(({ server }) => server.pending.length === 1);
		prober!.server.settleAll(new Response('{}', { status: 200 }));
		expect((await Promise.all(calls)).sort()).toEqual(['200', 'CIRCUIT_OPEN', 'CIRCUIT_OPEN', 'CIRCUIT_OPEN']);
		await vi.waitFor(() => expect([a.state(), b.state()]).toEqual(['closed', 'closed']));
		a.api.close();
		b.api.close();
	});

	it('a tab that takes the probe lock after another tab\'s probe settled reads the stored state instead of probing', async () => {
		const store = memoryStore('late');
		const { make, clock } = tabs({}, store);
		const channel = globalThis.BroadcastChannel;
		// @ts-expect-error -- a tab whose messages are lost: no channel, only the lock and the store
		delete globalThis.BroadcastChannel;
		const a = make();
		globalThis.BroadcastChannel = channel;
		a.server.answer(503); // opened on HTTP answers: a tab that starts keeps its period
		await times(5, async () => a.call());
		await flush();
		const b = make();
		expect(await b.call()).toBe('CIRCUIT_OPEN');
		clock.advance(30_000);
		expect(await b.call()).toBe('200'); // b's probe closes it and stores that
		await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ state: 'closed' }));
		a.server.up();
		expect(await a.call()).toBe('200'); // a thought it was half-open; it read "closed" under the lock
		expect(a.state()).toBe('closed');
		expect(a.events).toContain('breaker:closed shared');
		expect(a.server.requests).toHaveLength(6); // 5 failures, then the normal call: no second probe
		a.api.close();
		b.api.close();
	});
});

describe('breaker: waitForHealthy after a reload reads the stored state first', () => {
	it('an isolated scope: waitForHealthy stays pending (TIMEOUT), and the snapshot is open once it has read', async () => {
		const { make } = tabs();
		const before = make();
		await before.api.breaker.isolate(origin);
		before.api.close();

		const after = make(); // the reloaded page: no call yet
		const error = await after.api.waitForHealthy(origin, { timeoutMs: 50 }).catch((error_: unknown) => error_);
		expect(error).toMatchObject({ code: 'TIMEOUT' });
		expect(after.state()).toBe('open');
		expect(after.events).toEqual(['breaker:open isolated']);
		expect(await after.call()).toBe('CIRCUIT_OPEN');
		expect(after.server.requests).toHaveLength(0);
		after.api.close();
	});

	it('a persisted open scope: pending until another client resets it', async () => {
		const { make, clock } = tabs();
		const before = make();
		before.server.answer(503); // opened on HTTP answers: a reload keeps its period
		await times(5, async () => before.call());
		await flush();
		before.api.close();

		clock.advance(1_000); // still open (30 s)
		const after = make();
		const other = make();
		expect(await other.call()).toBe('CIRCUIT_OPEN'); // it has read the stored state
		let healthy = false;
		const waiting = after.api.waitForHealthy(origin, { timeoutMs: 5_000 }).then(() => (healthy = true));
		await vi.waitFor(() => expect(after.state()).toBe('open'));
		await new Promise((resolve) => setTimeout(resolve, 50));
		expect(healthy).toBe(false);
		await other.api.breaker.reset(origin); // reaches `after` over the channel
		await waiting;
		expect(after.state()).toBe('closed');
		after.api.close();
		other.api.close();
	});

	it('close() rejects a waitForHealthy at once also while it reads the stored state from a store that does not answer', async () => {
		const silent: KeyValueStore = { ...memoryStore('silent'), get: async () => new Promise(() => undefined) };
		const { make } = tabs({ storageTimeoutMs: 3_000 } as ClientOptions, silent);
		const tab = make();
		const waiting = tab.api.waitForHealthy(origin, { timeoutMs: 10_000 }).then(() => 'healthy', (error: { code?: string }) => error.code);
		await flush();
		const started = performance.now();
		tab.api.close();
		expect(await waiting).toBe('CLIENT_CLOSED');
		expect(performance.now() - started).toBeLessThan(1_000); // before: 3 000 ms (the read's deadline)
		const after = await tab.api.waitForHealthy(origin, { timeoutMs: 10_000 }).then(() => 'healthy', (error: { code?: string }) => error.code);
		expect(after).toBe('CLIENT_CLOSED'); // and one made after close(), at once
		expect(performance.now() - started).toBeLessThan(1_000);
	});

	it('a failing store: waitForHealthy goes on with what this client knows (closed), reported', async () => {
		const failing: KeyValueStore = {
			get: async () => Promise.reject(new Error('quota')),
			set: async () => Promise.reject(new Error('quota')),
			delete: async () => undefined,
			keys: async () => Promise.reject(new Error('quota')),
			clear: async () => Promise.reject(new Error('quota')),
		};
		const { make } = tabs({}, failing);
		const tab = make();
		await tab.api.waitForHealthy(origin, { timeoutMs: 1_000 });
		expect(tab.events).toEqual(['storage:error get']);
		tab.api.close();
	});
});

describe('breaker: isolate / reset by a client that has not read the scope yet', () => {
	it('reset() after a reload ends a stored isolation: the store and the next reload say closed', async () => {
		const { make, store, clock } = tabs();
		const before = make();
		await before.api.breaker.isolate(origin);
		before.api.close();
		clock.advance(1_000);

		const after = make(); // the reloaded page resets before any call
		await after.api.breaker.reset(origin);
		expect(await store.get(origin)).toMatchObject({ state: 'closed' });
		after.api.close();
		const again = make();
		expect(await again.call()).toBe('200');
		again.api.close();
	});
});

describe('breaker: a malformed record from another tab', () => {
	it('is ignored and reported as storage:error (operation channel), once per message, without its payload', async () => {
		const { make, name } = tabs();
		const tab = make();
		const errors: { part: string; operation: string; error: unknown }[] = [];
		tab.api.on('storage:error', (event) => errors.push(event));
		const sender = new BroadcastChannel(`steadfetch:${name}:breaker`);
		const big = 'x'.repeat(100_000);
		for (const data of [{ v: 1, scope: 42 }, 'garbage', null, { v: 1, scope: origin, state: 'open', openedAt: 'soon', reopensAt: 0, opens: 1, at: 1 }, { v: 1, scope: big, state: 'open' }]) {
			sender.postMessage(data);
		}

		await vi.waitFor(() => expect(errors).toHaveLength(5));
		sender.close();
		for (const { part, operation, error } of errors) {
			expect({ part, operation }).toEqual({ part: 'breaker', operation: 'channel' });
			expect((error as Error).message).toMatch(/malformed breaker record/);
			expect((error as Error).message.length).toBeLessThan(200);
		}

		expect(tab.state()).toBe('closed');
		expect(await tab.call()).toBe('200');
		tab.api.close();
	});
});

describe('breaker: a state kept in memory (the store refused it) vs reset() in another tab', () => {
	it('the kept open state is not written again once the other tab reset the scope: a reload finds it closed', async () => {
		const { make, clock, name, store } = tabs();
		// Tab A's store refuses writes for a while (its IndexedDB timed out); tab B's takes them.
		const refusing = { ...store, down: false };
		refusing.set = async (key: string, value: unknown) => {
			if (refusing.down) {
				throw new Error('store down');
			}

			return store.set(key, value);
		};

		const server = new FakeOrigin();
		const a = createClient({ clock, random: () => 0.5, name, store: () => refusing, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, breaker: { share: true, openMs: 30_000 } });
		const refused = new Promise((resolve) => {
			a.on('storage:error', resolve);
		});
		const b = make();
		refusing.down = true;
		server.answer(503);
		await times(5, async () => a.get(origin + '/x').then(() => '', () => ''));
		expect(a.breaker(origin).state).toBe('open');
		await refused; // Its open state is kept in memory, to be written with its next write.
		await vi.waitFor(() => expect(b.state()).toBe('open')); // Heard over the channel.
		clock.advance(1);
		await b.api.breaker.reset(origin);
		expect(await store.get(origin)).toMatchObject({ state: 'closed' });
		await vi.waitFor(() => expect(a.breaker(origin).state).toBe('closed'));
		refusing.down = false;
		// A's next write (another scope opens): what it kept is written with it.
		await times(5, async () => a.get('https://other.test/x').then(() => '', () => ''));
		await vi.waitFor(async () => expect(await store.get('https://other.test')).toMatchObject({ state: 'open' }));
		await flush();
		expect(await store.get(origin)).toMatchObject({ state: 'closed' });
		const reloaded = make();
		expect(await reloaded.call()).toBe('200');
		a.close();
		b.api.close();
		reloaded.api.close();
	});
});

describe('breaker: a delete kept in memory (clear() the store refused) vs a newer state from another tab', () => {
	it('the kept delete does not remove the state another tab stored after it: a reload finds it open', async () => {
		const { make, clock, name, store } = tabs();
		const refusing = { ...store, down: false };
		refusing.delete = async (key: string) => {
			if (refusing.down) {
				throw new Error('store down');
			}

			return store.delete(key);
		};

		const server = new FakeOrigin();
		const a = createClient({ clock, random: () => 0.5, name, store: () => refusing, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, breaker: { share: true, openMs: 30_000 } });
		const b = make();
		server.answer(503);
		await times(5, async () => a.get(origin + '/x').then(() => '', () => ''));
		await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ state: 'open' }));
		refusing.down = true;
		await expect(a.clear()).rejects.toThrow('store down'); // Its delete of the scope's state is kept, to be retried.
		clock.advance(60_000);
		b.server.answer(503);
		await vi.waitFor(async () => {
			await b.call();
			expect(b.state()).toBe('open');
		});
		await vi.waitFor(async () => expect(await store.get(origin)).toMatchObject({ state: 'open', openedAt: t0 + 60_000 }));
		await vi.waitFor(() => expect(a.breaker(origin).state).toBe('open')); // Heard and adopted.
		refusing.down = false;
		await times(5, async () => a.get('https://other.test/x').then(() => '', () => ''));
		await vi.waitFor(async () => expect(await store.get('https://other.test')).toMatchObject({ state: 'open' }));
		await flush();
		expect(await store.get(origin)).toMatchObject({ state: 'open', openedAt: t0 + 60_000 });
		a.close();
		b.api.close();
	});
});
