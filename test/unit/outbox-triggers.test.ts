/** Every drain trigger, and the one-drainer guard, at exact times against the real loopback API. */
import { Worlds } from '../../src/core/world.js';
import { describe, expect, it, vi } from 'vitest';
import { OutboxQueuedError, memoryStore, outboxSyncHandler, type Client, type OutboxPolicy } from '../../src/entries/index.js';
import { Emitter } from '../../src/core/events.js';
import type { PolicyContext } from '../../src/core/policy.js';
import { originOf } from '../../src/core/scope.js';
import { outbox } from '../../src/outbox/index.js';
import { until, harnessEachTest, pendingKey } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

/**
 * Queue `n` mutations while the device is offline (nothing reaches the API): the first of the scope
 * still goes out (one attempt per scope per 10 s) and fails, due again after its backoff (500 ms);
 * the others are held before sending. The clock then moves past that backoff: every entry is due.
 */
const queueOffline = async (api: Client<{ outbox: OutboxPolicy }>, id: string, n = 1) => {
	win.setOnline(false);
	const before = h.seen.length;
	for (let index = 0; index < n; index++) {
		await expect(api.post(`mutate?id=${id}`, { json: { index } })).rejects.toBeInstanceOf(OutboxQueuedError);
	}

	expect(h.seen).toHaveLength(before);
	h.clock.advance(500);
};

const applied = (id: string) => h.state.applied.get(id)?.length ?? 0;

describe('outbox triggers', () => {
	it('offline: the scope\'s first write still goes out (here it fails: attempts 1, NETWORK); the next ones within 10 s are queued before sending (attempts 0, due now, code OFFLINE)', async () => {
		const api = h.make({ outbox: true });
		const events = h.record(api, 'outbox:queued');
		win.setOnline(false);
		const now = h.clock.now();
		for (const index of [0, 1, 2]) {
			await expect(api.post('mutate?id=off', { json: { index } })).rejects.toBeInstanceOf(OutboxQueuedError);
		}

		expect(await api.outbox.list()).toMatchObject([{ attempts: 1, nextAttemptAt: now + 500 }, { attempts: 0, nextAttemptAt: now }, { attempts: 0 }]);
		expect(events).toMatchObject([{ code: 'NETWORK' }, { code: 'OFFLINE' }, { code: 'OFFLINE' }]);
		expect(await api.outbox.flush()).toEqual({ sent: 0, failed: 0, dead: 0, remaining: 3 }); // still offline: the scope's attempt of these 10 s was made
		h.clock.advance(10_000);
		expect(await api.outbox.flush()).toEqual({ sent: 0, failed: 1, dead: 0, remaining: 3 }); // the next one: the head, replayed (and failing)
		expect((await api.outbox.list())[0]).toMatchObject({ attempts: 2, lastError: { code: 'NETWORK' } });
	});

	it('offline, ky is told no retries can happen, so it does not copy the request (a tee of its body) for them', async () => {
		const api = h.make({ outbox: true, retry: 2 });
		const clone = vi.spyOn(Request.prototype, 'clone');
		try {
			await queueOffline(api, 'no-clone', 3);
			expect(clone).not.toHaveBeenCalled();
			// Online, an eligible call keeps ky's retries (and their copy).
			win.setOnline(true);
			await until(async () => (await api.outbox.size()) === 0);
			await api.post('mutate?id=online-clone', { json: {} });
			expect(clone).toHaveBeenCalled();
		} finally {
			clone.mockRestore();
		}
	});

	it('the online event drains', async () => {
		const api = h.make({ outbox: true });
		await queueOffline(api, 'online', 2);
		win.setOnline(true);
		await until(() => applied('online') === 2);
	});

	it('client start drains what an earlier client (a reload) left', async () => {
		const first = h.make({ outbox: true });
		await queueOffline(first, 'start', 3);
		first.close();
		win.setOnline(true, false); // back online without an event
		h.make({ outbox: true });
		await until(() => applied('start') === 3);
	});

	it('the page becoming visible drains; hidden does not', async () => {
		const api = h.make({ outbox: true });
		await queueOffline(api, 'vis');
		win.setOnline(true, false);
		win.document.visibilityState = 'hidden';
		win.document.dispatchEvent(new Event('visibilitychange'));
		await new Promise((resolve) => setTimeout(resolve, 30));
		expect(applied('vis')).toBe(0);
		win.document.visibilityState = 'visible';
		win.document.dispatchEvent(new Event('visibilitychange'));
		await until(() => applied('vis') === 1);
	});

	it('a successful response from the scope drains (and makes network failures due at once)', async () => {
		const api = h.make({ outbox: true });
		await queueOffline(api, 'ok');
		win.setOnline(true, false);
		await api.get('json?id=ok');
		await until(() => applied('ok') === 1);
	});

	it('entries another client queued (an isolate that is gone) are replayed by a later good answer of any kind (a 404 too), the store listed at most once per 10 s', async () => {
		let listed = 0;
		const counted = { ...h.store, keys: async () => (listed++, h.store.keys()) };
		const api = h.make({ outbox: true, store: () => counted });
		await api.outbox.flush(); // its start: nothing to replay
		const gone = h.make({ outbox: true });
		const down = async () => Promise.reject(new TypeError('fetch failed'));
		for (const index of [1, 2]) {
			await expect(gone.post(`mutate?id=isolate`, { fetch: down, json: { index } })).rejects.toBeInstanceOf(OutboxQueuedError);
		}

		gone.close();
		expect((await h.store.keys()).filter((key) => key.startsWith('p|'))).toHaveLength(2);
		// No write, no flush(): a read the scope answers (404: not transient) replays both, in order.
		listed = 0;
		await expect(api.get('status/404?id=isolate')).rejects.toMatchObject({ response: { status: 404 } });
		await until(() => applied('isolate') === 2);
		expect(h.state.applied.get('isolate')!.map(({ body }) => JSON.parse(body).index)).toEqual([1, 2]);
		await until(async () => (await api.outbox.size()) === 0);
		// Good answers within 10 s list nothing more; the first after them lists once.
		listed = 0;
		for (let index = 0; index < 5; index++) {
			await api.get('json?id=isolate-later');
		}

		expect(listed).toBe(0);
		h.clock.advance(10_000);
		await api.get('json?id=isolate-later');
		await until(() => listed === 1);
		await api.get('json?id=isolate-later');
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect(listed).toBe(1);
	});

	it('the timer of the earliest nextAttemptAt drains, at that time and not before', async () => {
		const api = h.make({ outbox: { baseBackoffMs: 40 } });
		await api.post('mutate?id=timer&fail=503').catch(() => undefined);
		const key = (await h.store.keys()).find((k) => k.startsWith('p|'))!;
		await h.store.set(key, { ...(await h.store.get<object>(key)), url: `${h.api.url}/mutate?id=timer` });
		const { nextAttemptAt } = (await api.outbox.list())[0]!;
		expect(nextAttemptAt).toBe(h.clock.now() + 20); // 0.5 × 40
		await new Promise((resolve) => setTimeout(resolve, 80)); // the timer fires (real time) but the injected clock says not yet
		expect(applied('timer')).toBe(0);
		h.clock.set(nextAttemptAt);
		await until(() => applied('timer') === 1);
	});

	it('outbox.flush() and a Background Sync event drain', async () => {
		const api = h.make({ outbox: true });
		await queueOffline(api, 'flush');
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toEqual({ sent: 1, failed: 0, dead: 0, remaining: 0 });
		await queueOffline(api, 'sync');
		win.setOnline(true, false);
		const waits: Array<Promise<unknown>> = [];
		outboxSyncHandler(api)({ tag: 'other', waitUntil: (promise) => waits.push(promise) });
		expect(waits).toHaveLength(0);
		outboxSyncHandler(api)({ tag: 'steadfetch-outbox:steadfetch', waitUntil: (promise) => waits.push(promise) });
		await waits[0];
		expect(applied('sync')).toBe(1);
	});

	it('a queued write asks for a Background Sync tagged with the client\'s name, inside a service worker through its own registration (the edge build asks for nothing: register-sync-edge.ts)', async () => {
		const tags: string[] = [];
		const scope = globalThis as { registration?: unknown };
		scope.registration = { sync: { register: async (tag: string) => void tags.push(tag) } };
		try {
			const api = h.make({ outbox: true });
			await queueOffline(api, 'register');
			expect(tags).toEqual(['steadfetch-outbox:steadfetch']);
		} finally {
			delete scope.registration;
		}
	});

	it('withContext(ctx).outbox: flush() and retry(id) replay with ctx.waitUntil, which holds the replays\' background work (the stale cache\'s invalidation)', async () => {
		const api = h.make({ outbox: { maxAttempts: 2 }, staleCache: true });
		const handed: Array<Promise<unknown>> = [];
		const here = api.withContext({ waitUntil: (promise) => void handed.push(promise) });
		expect(here.outbox).not.toBe(api.outbox);
		expect(await here.outbox.list()).toEqual(await api.outbox.list());
		await queueOffline(api, 'ctx');
		win.setOnline(true, false);
		expect(await here.outbox.flush()).toMatchObject({ sent: 1 });
		expect(handed.length).toBeGreaterThan(0);
		await Promise.all(handed);
		// retry(id): its drain is handed to ctx.waitUntil too.
		win.setOnline(false, false);
		await expect(api.post('status/400?id=ctx-dead', { json: {} })).rejects.toBeInstanceOf(OutboxQueuedError);
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ dead: 1 });
		const [dead] = await api.outbox.deadLetters();
		handed.length = 0;
		await here.outbox.retry(dead!.id);
		expect(handed).toHaveLength(1);
		await Promise.all(handed);
		expect(h.seen.filter((request) => request.url.includes('ctx-dead'))).toHaveLength(2);
	});

	it('breaker:closed drains the scope it names', async () => {
		const emitter = new Emitter();
		const replay = h.make({});
		const store = memoryStore('x');
		const context: PolicyContext = {
			name: 'bc', clock: h.clock, random: () => 0.5, options: { store: () => store }, stores: new Map(), hooks: {}, levels: {}, identity: () => undefined, world: () => new Worlds().open(undefined, () => undefined), cleared: () => undefined, removed: () => undefined, spendRetry: () => true, subrequest: () => true, on: (type, listener) => emitter.on(type, listener), scopeOf: originOf,
			emit: () => undefined, listening: () => false, send: (input, options) => replay(input, options),
			answer: async () => Promise.reject(new Error('no layer answers here')), perCall: (make) => make as never, reachability: () => 'unknown', offline: () => false,
		};
		const feature = outbox().create(context);
		const t = h.clock.now();
		await store.set(pendingKey(t, 'e1', h.api.url), {
			v: 1, id: 'e1', method: 'POST', url: `${h.api.url}/mutate?id=bc`, headers: {}, idempotencyKey: 'k-bc', createdAt: t,
			attempts: 1, nextAttemptAt: t + 60_000, scope: h.api.url, lastError: { code: 'CIRCUIT_OPEN', message: 'open' },
		});
		feature.start!();
		await new Promise((resolve) => setTimeout(resolve, 30)); // the start drain: not due yet
		expect(applied('bc')).toBe(0);
		emitter.emit('breaker:closed', { type: 'breaker:closed', time: t, scope: h.api.url, reason: 'probe-succeeded' });
		await until(() => applied('bc') === 1);
		expect(h.state.applied.get('bc')![0]!.key).toBe('k-bc');
		feature.close!();
	});

	it('one drainer: concurrent triggers from two clients on one store never send an entry twice', async () => {
		const a = h.make({ outbox: true });
		const b = h.make({ outbox: true });
		await queueOffline(a, 'one', 10);
		win.setOnline(true, false);
		const sent = { a: 0, b: 0 };
		a.on('outbox:sent', () => sent.a++);
		b.on('outbox:sent', () => sent.b++);
		await Promise.all([a.outbox.flush(), b.outbox.flush(), a.outbox.flush(), b.outbox.flush()]);
		expect(sent.a + sent.b).toBe(10);
		expect(h.seen.filter((request) => request.url.includes('mutate'))).toHaveLength(10);
		expect(h.state.duplicates.get('one') ?? 0).toBe(0);
		expect(h.state.applied.get('one')!.map((entry) => JSON.parse(entry.body).index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
	});

	it('close() stops the timer and the listeners', async () => {
		const api = h.make({ outbox: true });
		await queueOffline(api, 'closed');
		api.close();
		win.setOnline(true);
		await new Promise((resolve) => setTimeout(resolve, 30));
		expect(applied('closed')).toBe(0);
	});
});
