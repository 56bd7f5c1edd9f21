/**
 * Variants of the outbox's claims (defect hunt, third round): what the caller was told is queued
 * reaches the server or a dead letter; nothing removed comes back; nothing kept is lost.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidRequestError, OutboxQueuedError, createClient, memoryStore, outbox, outboxSyncHandler, type KeyValueStore } from '../../src/entries/index.js';
import { makeKey } from '../../src/outbox/record.js';
import { gate, spyStore, harnessEachTest } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

const caught = async (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (error: unknown) => error);

describe('a coalescing write that is not stored supersedes nothing', () => {
	it('a PUT whose identity changed before it was stored (never queued) leaves the queued PUT of the same URL pending', async () => {
		let who = 'ann';
		let switchNow = false;
		const api = h.make({
			identity: () => who, outbox: { coalesce: true },
			hooks: { beforeRequest: [() => {
				if (switchNow) {
					who = 'bob'; // The user switches while the second PUT is on its way.
				}
			}] },
		});
		win.setOnline(false);
		const first = await caught(api.put('mutate?id=c1', { json: { n: 1 } }));
		expect(first).toBeInstanceOf(OutboxQueuedError);
		switchNow = true;
		const second = await caught(api.put('mutate?id=c1', { json: { n: 2 } }));
		expect(second).not.toBeInstanceOf(OutboxQueuedError); // Not stored: the caller gets its failure.
		expect((await api.outbox.list()).map((entry) => entry.id)).toEqual([(first as OutboxQueuedError).entryId]);
	});
});

describe('a write told "queued" at its deadline, then delivered, costs no listing of the store', () => {
	it('ten such writes behind 300 pending entries of another identity list the store at most once (the layer\'s every-10 s look), not once each', async () => {
		const inner = memoryStore('early-cost');
		let listings = 0;
		const store: KeyValueStore = {
			get: async (key) => inner.get(key), set: async (key, value) => inner.set(key, value), delete: async (key) => inner.delete(key), clear: async () => inner.clear(),
			span: async (prefix) => inner.span!(prefix),
			keys: async () => {
				listings++;
				return inner.keys();
			},
		};
		let who = 'ann';
		let hold = false;
		const held: Array<() => void> = [];
		const api = createClient({
			baseUrl: h.api.url + '/', clock: h.clock, random: () => 0.5, store: () => store, retry: 0, retryBudget: false, breaker: false, staleCache: false,
			identity: () => who, outbox: outbox({ networkTimeoutMs: 20, baseBackoffMs: 3_600_000, resumeJitterMs: 0, maxEntries: 10_000 }),
			fetch: async () => {
				if (!hold) {
					throw new TypeError('Failed to fetch');
				}

				return new Promise<Response>((resolve) => held.push(() => resolve(Response.json({ id: 1 }, { status: 201 }))));
			},
		});
		for (let n = 0; n < 300; n++) {
			await expect(api.post('mutate', { json: { n } })).rejects.toBeInstanceOf(OutboxQueuedError);
		}

		who = 'bob';
		hold = true;
		const sent: unknown[] = [];
		api.on('outbox:sent', (event) => sent.push(event));
		const before = listings;
		for (let n = 0; n < 10; n++) {
			await expect(api.post('mutate', { json: { bob: n } })).rejects.toBeInstanceOf(OutboxQueuedError);
			await vi.waitFor(() => expect(held.length).toBe(1));
			held.shift()!();
			await vi.waitFor(() => expect(sent.length).toBe(n + 1));
		}

		expect(listings - before).toBeLessThanOrEqual(1);
		expect(await api.outbox.size()).toBe(300);
		api.close();
	}, 30_000);
});

describe('a header the caller gives as undefined (ky: no such header) is none to the outbox', () => {
	it('Idempotency-Key: undefined: each write gets a key of its own, sent on its first attempt and on its replay', async () => {
		const api = h.make();
		const headers = { 'Idempotency-Key': undefined } as unknown as Record<string, string>;
		const ids: string[] = [];
		for (const n of [1, 2]) {
			const error = await caught(api.post('mutate?id=undef-key&fail=503&times=1', { json: { n }, headers }));
			expect(error).toBeInstanceOf(OutboxQueuedError);
			ids.push((error as OutboxQueuedError).entryId);
		}

		const keys = (await api.outbox.list()).map((entry) => entry.idempotencyKey);
		expect(new Set(keys).size).toBe(2);
		expect(keys).not.toContain('undefined');
		expect(await api.outbox.flush()).toMatchObject({ sent: 2 });
		const sent = h.seen.filter((each) => each.url.includes('undef-key')).map((each) => each.headers['idempotency-key']);
		expect(sent).toEqual([keys[0], keys[0], keys[1]]); // The second waits behind the first (no attempt of its own).
		expect(h.state.applied.get('undef-key')?.map((each) => JSON.parse(each.body).n)).toEqual([1, 2]);
	});

	it('Content-Type: undefined with a Blob body: the first attempt sends the Blob\'s type, as the replay does (and as fetch would)', async () => {
		const api = h.make({ headers: { 'content-type': 'application/json' } });
		const headers = { 'content-type': undefined } as unknown as Record<string, string>;
		const error = await caught(api.post('mutate?id=undef-type&fail=503&times=1', { body: new Blob(['png bytes'], { type: 'image/png' }), headers }));
		expect(error).toBeInstanceOf(OutboxQueuedError);
		await api.outbox.flush();
		expect(h.seen.filter((each) => each.url.includes('undef-type')).map((each) => each.headers['content-type'] ?? null)).toEqual(['image/png', 'image/png']);
	});
});

describe('the values kept for a placeholder of a write delivered at once after "queued" belong to its identity', () => {
	it('clear({ identity }) removes them (they were stored without the identity, and stayed)', async () => {
		const outboxStore = memoryStore('kept-identity');
		const held: Array<() => void> = [];
		let hold = true;
		const api = createClient({
			baseUrl: h.api.url + '/', clock: h.clock, random: () => 0.5, retry: 0, retryBudget: false, breaker: false, staleCache: false,
			store: (namespace) => namespace.endsWith('/outbox') ? outboxStore : memoryStore(namespace),
			identity: () => 'ann', outbox: outbox({ networkTimeoutMs: 20, resumeJitterMs: 0 }),
			fetch: async () => hold
				? new Promise<Response>((resolve) => held.push(() => resolve(Response.json({ id: 7 }, { status: 201 }))))
				: Response.json({ ok: true }),
		});
		const sent: unknown[] = [];
		api.on('outbox:sent', (event) => sent.push(event));
		const error = await caught(api.post('todos', { json: { title: 'tea' } }));
		expect(error).toBeInstanceOf(OutboxQueuedError);
		await vi.waitFor(() => expect(held.length).toBe(1));
		hold = false;
		held.shift()!();
		await vi.waitFor(() => expect(sent.length).toBe(1));
		const id = api.outbox.ref((error as OutboxQueuedError).entryId, '/id');
		expect((await api.patch(`todos/${id}`, { json: { done: true } })).status).toBe(200);
		expect((await outboxStore.keys()).filter((key) => key.startsWith('v|'))).toHaveLength(1);
		await api.clear({ identity: 'ann' });
		expect((await outboxStore.keys()).filter((key) => key.startsWith('v|'))).toEqual([]);
		api.close();
	});
});

describe('a placeholder another identity asks of an entry never carries that entry\'s answer', () => {
	/** A todo API: POST answers `{ id }` (ann's first todo: 100), anything else `{ ok }`; the requests it got. */
	const todos = () => {
		const sent: string[] = [];
		let next = 100;
		const fetch = async (input: Parameters<typeof globalThis.fetch>[0]): Promise<Response> => {
			const request = input as Request;
			if (down) {
				throw new TypeError('Failed to fetch');
			}

			sent.push(`${request.method} ${new URL(request.url).pathname} ${request.body ? await request.clone().text() : ''}`);
			return request.method === 'POST' ? Response.json({ id: next++ }, { status: 201 }) : Response.json({ ok: true });
		};

		return { sent, fetch };
	};

	let down = false;
	afterEach(() => {
		down = false;
	});

	it('delivered: bob\'s call holding his ref() of ann\'s delivered entry is an InvalidRequestError, nothing sent', async () => {
		const api$ = todos();
		let who = 'ann';
		const api = h.make({ fetch: api$.fetch, identity: () => who });
		down = true;
		const error = await caught(api.post('todos', { json: { title: 'ann\'s' } }));
		expect(error).toBeInstanceOf(OutboxQueuedError);
		const parent = (error as OutboxQueuedError).entryId;
		api.outbox.ref(parent, '/id'); // Ann's own use of it: its value is kept at delivery.
		down = false;
		expect(await api.outbox.flush()).toMatchObject({ sent: 1 });
		who = 'bob';
		const id = api.outbox.ref(parent, '/id');
		const outcome = await caught(api.patch(`todos/${id}`, { json: { done: true } }));
		expect(outcome).toBeInstanceOf(InvalidRequestError);
		expect(api$.sent.filter((line) => line.startsWith('PATCH'))).toEqual([]);
	});

	it('pending: bob\'s dependent of ann\'s pending entry never goes out with ann\'s answer (a \'parent\' dead letter)', async () => {
		const api$ = todos();
		let who = 'ann';
		const api = h.make({ fetch: api$.fetch, identity: () => who });
		down = true;
		const error = await caught(api.post('todos', { json: { title: 'ann\'s' } }));
		const parent = (error as OutboxQueuedError).entryId;
		who = 'bob';
		const id = api.outbox.ref(parent, '/id');
		const child = await caught(api.patch(`todos/${id}`, { json: { done: true } }));
		down = false;
		who = 'ann';
		await api.outbox.flush(); // Ann's todo delivered (id 100).
		who = 'bob';
		await api.outbox.flush();
		expect(api$.sent.filter((line) => line.startsWith('PATCH'))).toEqual([]);
		if (child instanceof OutboxQueuedError) {
			expect((await api.outbox.deadLetters()).map((entry) => [entry.id, entry.deadReason])).toEqual([[child.entryId, 'parent']]);
		} else {
			expect(child).toBeInstanceOf(InvalidRequestError);
		}
	});
});

describe('the values of an answer read after a clear are never stored', () => {
	it('a write told "queued" at its deadline whose answer\'s body arrives after clear() resolved keeps nothing of it in the store', async () => {
		const outboxStore = memoryStore('kept-after-clear');
		let body!: ReadableStreamDefaultController<Uint8Array>;
		let reading = false;
		const held: Array<() => void> = [];
		const api = createClient({
			baseUrl: h.api.url + '/', clock: h.clock, random: () => 0.5, retry: 0, retryBudget: false, breaker: false, staleCache: false,
			store: (namespace) => namespace.endsWith('/outbox') ? outboxStore : memoryStore(namespace),
			identity: () => 'ann', outbox: outbox({ networkTimeoutMs: 20, resumeJitterMs: 0 }),
			fetch: async () => new Promise<Response>((resolve) => held.push(() => resolve(new Response(new ReadableStream<Uint8Array>({
				start(controller) {
					body = controller;
				},
				pull() {
					reading = true; // The outbox reads the answer for the values its placeholders ask.
				},
			}), { status: 201, headers: { 'content-type': 'application/json' } })))),
		});
		const sent: unknown[] = [];
		api.on('outbox:sent', (event) => sent.push(event));
		const error = await caught(api.post('todos', { json: { title: 'tea' } }));
		expect(error).toBeInstanceOf(OutboxQueuedError);
		api.outbox.ref((error as OutboxQueuedError).entryId, '/id');
		await vi.waitFor(async () => expect(JSON.stringify(await outboxStore.get((await outboxStore.keys()).find((key) => key.startsWith('p|'))!))).toContain('"pointers":["/id"]'));
		held.shift()!(); // Its answer's head arrives; its body is slow.
		await vi.waitFor(() => expect(reading).toBe(true));
		await api.clear(); // A logout.
		body.enqueue(new TextEncoder().encode('{"id":7}'));
		body.close();
		await vi.waitFor(() => expect(sent).toHaveLength(1));
		expect((await outboxStore.keys()).map((key) => key.slice(0, 2))).toEqual([]);
		api.close();
	});
});

describe('a dead letter is never written after a clear', () => {
	it('a write told "queued" at its deadline, then rejected (422), whose dead letter is being written when clear() resolves: nothing comes back', async () => {
		const inner = memoryStore('bury-after-clear');
		let gated = false;
		let reached = false;
		const { wait, open } = gate();
		const store = spyStore(inner, {
			get: async (key, run) => {
				if (gated && key.startsWith('p|')) {
					reached = true; // The dead letter's write reads the stored entry first (under its lock).
					await wait;
					const value = await run();
					read = true;
					return value;
				}

				return run();
			},
		});
		let read = false;
		const held: Array<() => void> = [];
		const api = createClient({
			baseUrl: h.api.url + '/', clock: h.clock, random: () => 0.5, retry: 0, retryBudget: false, breaker: false, staleCache: false,
			store: (namespace) => namespace.endsWith('/outbox') ? store : memoryStore(namespace),
			outbox: outbox({ networkTimeoutMs: 20, resumeJitterMs: 0 }),
			fetch: async () => new Promise<Response>((resolve) => held.push(() => resolve(Response.json({ error: 'no' }, { status: 422 })))),
		});
		const dead: unknown[] = [];
		api.on('outbox:dead', (event) => dead.push(event));
		expect(await caught(api.post('todos', { json: { title: 'tea' } }))).toBeInstanceOf(OutboxQueuedError);
		await vi.waitFor(() => expect(held).toHaveLength(1));
		gated = true;
		held.shift()!();
		await vi.waitFor(() => expect(reached).toBe(true));
		await api.clear(); // A logout while its attempt's answer is being settled.
		open();
		await vi.waitFor(() => expect(read).toBe(true));
		expect(await api.outbox.deadLetters()).toEqual([]);
		expect(await inner.keys()).toEqual([]);
		expect(dead).toEqual([]); // Nobody is told of a dead letter the clear prevented (fourth round).
		api.close();
	});
});

describe('outboxSyncHandler: entries still waiting after the drain', () => {
	it('a write the server asked to wait for (Retry-After) is still pending: the sync rejects so the browser schedules it again', async () => {
		const api = h.make();
		expect(await caught(api.post('mutate?id=sync-wait&fail=503&retryAfter=120', { json: { n: 1 } }))).toBeInstanceOf(OutboxQueuedError);
		const waits: Array<Promise<unknown>> = [];
		outboxSyncHandler(api)({ tag: 'steadfetch-outbox:steadfetch', waitUntil: (promise) => waits.push(promise) });
		const outcome = await waits[0]!.then((result) => result, (error: unknown) => error);
		expect(await api.outbox.size()).toBe(1);
		expect(outcome).toBeInstanceOf(Error);
		// The browser's last chance: nothing more to ask, it resolves.
		outboxSyncHandler(api)({ tag: 'steadfetch-outbox:steadfetch', lastChance: true, waitUntil: (promise) => waits.push(promise) });
		await expect(waits[1]).resolves.toMatchObject({ remaining: 1 });
	});
});

describe('replay order across tabs', () => {
	it('a write held behind another tab\'s entry of the same millisecond is replayed after it, whatever that tab\'s sequence number', async () => {
		const api = h.make();
		const url = `${h.api.url}/mutate?id=tab-order`;
		const scope = new URL(url).origin;
		const now = h.clock.now();
		// Another tab queued this write in this same millisecond; its own counter of writes is far ahead of this tab's.
		const foreign = { v: 1, id: 'other-tab-entry', method: 'POST', url, headers: { 'content-type': 'application/json' }, idempotencyKey: 'other-tab-key', createdAt: now, attempts: 1, nextAttemptAt: now, scope, version: 1, body: new TextEncoder().encode('{"n":1}').buffer, bodyBytes: 7 };
		win.setOnline(false, false);
		await h.store.set(makeKey('p', now, 999_990, foreign.id, scope), foreign);
		expect(await caught(api.post('mutate?id=tab-order', { json: { n: 2 } }))).toBeInstanceOf(OutboxQueuedError);
		win.setOnline(true, false);
		expect(await api.outbox.flush()).toMatchObject({ sent: 2 });
		expect(h.state.applied.get('tab-order')?.map((each) => JSON.parse(each.body).n)).toEqual([1, 2]);
	});
});
