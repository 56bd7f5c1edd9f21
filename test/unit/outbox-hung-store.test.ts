/**
 * Eighth round's variants of the outbox on a hung store (the Standards: "Every storage call on a
 * request's path has a deadline; storage failures never fail or stall a request: degrade and emit
 * `storage:error`"; README: "every storage operation on a call's path gives up after
 * `storageTimeoutMs`: a blocked IndexedDB never stalls a call"). A write's storage operations share
 * one `storageTimeoutMs`: the caller waits one deadline, not one per operation in a row. Measured on
 * the wall clock (the deadline is a real timer), by the median of a few writes, with room for a busy machine.
 */
import { describe, expect, it } from 'vitest';
import { OutboxQueuedError } from '../../src/entries/index.js';
import { harnessEachTest, throwIfOffline, type Harness } from './outbox-helpers.js';

const { h, win } = harnessEachTest();

/** The client's `storageTimeoutMs` here: long next to what a write costs on a busy machine, so one deadline and two never overlap. */
const ms = 800;

/** A store over the harness's that, while `hung`, answers an operation only once `resume()` lets it go (after any deadline). */
const hungStore = (inner: Harness['store']) => {
	const held: Array<() => void> = [];
	const state = { hung: false };
	const hold = async <T>(run: () => Promise<T>): Promise<T> => {
		if (state.hung) {
			await new Promise<void>((resume) => held.push(resume));
		}

		return run();
	};
	const spanned = inner as typeof inner & { span(prefix: string): Promise<unknown> };
	const store = {
		get: async (key: string) => hold(async () => inner.get(key)),
		set: async (key: string, value: unknown) => hold(async () => inner.set(key, value)),
		delete: async (key: string) => hold(async () => inner.delete(key)),
		keys: async () => hold(async () => inner.keys()),
		clear: async () => inner.clear(),
		span: async (prefix: string) => hold(async () => spanned.span(prefix)),
	} as typeof inner;
	const resume = (): void => {
		state.hung = false;
		for (const each of held.splice(0)) {
			each();
		}
	};
	return { store, state, resume };
};

/** How long (wall clock, ms) `run` takes to settle, and its error. */
const timed = async (run: () => Promise<unknown>): Promise<{ took: number; error: unknown }> => {
	const started = performance.now();
	const error = await run().then(() => undefined, (failure: unknown) => failure);
	return { took: performance.now() - started, error };
};

const median = (values: number[]): number => [...values].sort((one, other) => one - other)[Math.floor(values.length / 2)]!;

describe('a write on a hung store', () => {
	it('is told "queued" within one storageTimeoutMs in all, not one per storage operation, and is kept until the store is back', async () => {
		const hung = hungStore(h.store);
		const api = h.make({ store: () => hung.store, storageTimeoutMs: ms });
		hung.state.hung = true; // Before this client ever listed the store: the span, the listing and the record's write.
		win.setOnline(false, false);
		const writes = [];
		for (let index = 0; index < 3; index++) {
			writes.push(await timed(async () => api.post(`mutate?id=hung-${index}`, { json: { index } })));
		}

		for (const { error } of writes) {
			expect(error).toBeInstanceOf(OutboxQueuedError);
		}

		expect(median(writes.map(({ took }) => took))).toBeLessThan(1.6 * ms);
		hung.resume();
		win.setOnline(true, false);
		const ids = (await api.outbox.list()).map((entry) => entry.id);
		for (const { error } of writes) {
			expect(ids).toContain((error as OutboxQueuedError).entryId);
		}

		await expect.poll(async () => (await api.outbox.flush()).remaining).toBe(0);
		expect(h.sentOf('hung-1')).toHaveLength(1);
	}, 20_000);
});

describe('a coalescing write on a hung store', () => {
	it('is told "queued" within one storageTimeoutMs in all: its check of the writes it supersedes shares the deadline', async () => {
		const hung = hungStore(h.store);
		const api = h.make({ store: () => hung.store, storageTimeoutMs: ms, outbox: { coalesce: true } });
		win.setOnline(false, false);
		await expect(api.put('mutate?id=coalesced', { json: { edit: 0 } })).rejects.toBeInstanceOf(OutboxQueuedError); // The store answers: pending.
		hung.state.hung = true;
		const writes = [];
		for (let index = 1; index <= 3; index++) {
			writes.push(await timed(async () => api.put('mutate?id=coalesced', { json: { edit: index } })));
		}

		for (const { error } of writes) {
			expect(error).toBeInstanceOf(OutboxQueuedError);
		}

		expect(median(writes.map(({ took }) => took))).toBeLessThan(1.6 * ms);
		hung.resume();
		win.setOnline(true, false);
		await expect.poll(async () => (await api.outbox.flush()).remaining).toBe(0);
		expect(h.sentOf('coalesced').length).toBeGreaterThan(0);
	}, 20_000);
});

describe('a call answered while entries it has not read are pending in its scope', () => {
	it('waits one storageTimeoutMs in all for their records on a hung store, not one per record', async () => {
		const hung = hungStore(h.store);
		win.setOnline(false, false);
		const before = h.make({ store: () => hung.store, storageTimeoutMs: ms });
		for (let index = 0; index < 3; index++) {
			await expect(before.post(`mutate?id=unread-${index}`, { json: { index } })).rejects.toBeInstanceOf(OutboxQueuedError);
		}

		const api = h.make({ store: () => hung.store, storageTimeoutMs: ms }); // After a reload: its entries never read here.
		expect(await api.outbox.size()).toBe(3); // Listed, no record read.
		hung.state.hung = true;
		win.setOnline(true, false);
		await api.get('json?id=first'); // Its good answer lists the store in the background (hung: it waits there).
		const reads = [];
		for (let index = 0; index < 3; index++) {
			reads.push(await timed(async () => api.get(`json?id=read-${index}`)));
		}

		for (const { error } of reads) {
			expect(error).toBeUndefined();
		}

		// The first reads them (each after, none: a record not read is left alone), so the longest is the one to bound.
		expect(Math.max(...reads.map(({ took }) => took))).toBeLessThan(1.6 * ms);
		hung.resume();
	}, 20_000);
});

describe('a write holding a placeholder of outbox.ref() on a hung store', () => {
	it('is told "queued" behind its entry within one storageTimeoutMs in all', async () => {
		const hung = hungStore(h.store);
		const sent: Array<{ url: string; body: string }> = [];
		const todos = async (input: Parameters<typeof fetch>[0]): Promise<Response> => {
			throwIfOffline();
			const request = input as Request;
			sent.push({ url: request.url, body: await request.text() });
			return Response.json({ id: 100 }, { status: 201 });
		};
		const api = h.make({ store: () => hung.store, storageTimeoutMs: ms, fetch: todos });
		win.setOnline(false, false);
		const parent = await api.post('todos', { json: { name: 'a' } }).catch((error: unknown) => error) as OutboxQueuedError;
		expect(parent).toBeInstanceOf(OutboxQueuedError);
		const placeholder = api.outbox.ref(parent.entryId, '/id');
		// Its pointer recorded with the parent's stored record while the store answers.
		await expect.poll(async () => {
			const key = (await h.store.keys()).find((each) => each.startsWith('p|') && each.includes(parent.entryId));
			return (await h.store.get<{ pointers?: string[] }>(key!))?.pointers;
		}).toEqual(['/id']);
		hung.state.hung = true;
		const child = await timed(async () => api.post('todos/child', { json: { parent: placeholder } }));
		expect(child.error).toBeInstanceOf(OutboxQueuedError);
		expect(child.took).toBeLessThan(1.6 * ms);
		hung.resume();
		win.setOnline(true, false);
		await expect.poll(async () => (await api.outbox.flush()).remaining).toBe(0);
		// Delivered after its entry, with the value its placeholder stood for.
		expect(sent.map(({ url, body }) => [new URL(url).pathname, JSON.parse(body)])).toEqual([['/todos', { name: 'a' }], ['/todos/child', { parent: 100 }]]);
	}, 20_000);
});
