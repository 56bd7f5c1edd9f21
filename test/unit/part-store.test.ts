/** One strategy for a store that fails or stalls, shared by every part that persists (src/utils/part-store.ts). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventMap } from '../../src/core/event-types.js';
import type { PolicyContext } from '../../src/entries/policy.js';
import { memoryStore, type KeyValueStore } from '../../src/entries/core.js';
import { background, handOver, partStore } from '../../src/core/part-store.js';
import { worldsOf } from '../../src/core/world.js';

/** A store that works, fails, or never answers, as `mode` says; what reached it is in `inner`. */
const flaky = () => {
	const inner = memoryStore('x');
	const state = { mode: 'up' as 'up' | 'fail' | 'stall' };
	const gate = <T>(run: () => Promise<T>): Promise<T> =>
		state.mode === 'up' ? run() : state.mode === 'fail' ? Promise.reject(new Error('QuotaExceededError')) : new Promise<T>(() => undefined);
	const store: KeyValueStore = {
		get: async (key) => gate(async () => inner.get(key)),
		set: async (key, value) => gate(async () => inner.set(key, value)),
		delete: async (key) => gate(async () => inner.delete(key)),
		keys: async () => gate(async () => inner.keys()),
		clear: async () => gate(async () => inner.clear()),
	};
	return { inner, state, store };
};

const contextFor = (store: KeyValueStore, storageTimeoutMs = 30) => {
	const errors: Array<EventMap['storage:error']> = [];
	const stores = new Map<string, unknown>();
	const context = {
		name: 'ps', options: { store: () => store, storageTimeoutMs }, stores, identity: () => undefined,
		world: (who: string | undefined) => worldsOf(stores).open(who, () => who),
		emit: (type: string, fields: object) => type === 'storage:error' && errors.push(fields as EventMap['storage:error']),
	} as unknown as PolicyContext;
	return { context, errors };
};

describe('partStore', () => {
	it('a failing store: each operation reports storage:error and answers from memory; what it did not take is written with the next write', async () => {
		const { inner, state, store } = flaky();
		const { context, errors } = contextFor(store);
		const part = partStore(context, 'outbox', memoryStore);
		await part.set('a', { n: 1 });
		state.mode = 'fail';
		await part.set('b', { n: 2 });
		await part.delete('a');
		expect(errors.map(({ part: which, operation, key }) => `${which} ${operation} ${key}`)).toEqual(['outbox set b', 'outbox delete a']);
		expect(await part.get('b')).toEqual({ n: 2 });
		expect(await part.get('a')).toBeUndefined();
		expect((await part.keys()).sort()).toEqual(['b']);
		expect(await inner.keys()).toEqual(['a']); // the store has not seen them yet
		state.mode = 'up';
		await part.set('c', { n: 3 });
		expect((await inner.keys()).sort()).toEqual(['b', 'c']);
		expect(await inner.get('b')).toEqual({ n: 2 });
	});

	it('a stalled store: bounded by storageTimeoutMs (StorageTimeoutError), never a hang', async () => {
		const { state, store } = flaky();
		const { context, errors } = contextFor(store, 40);
		const part = partStore(context, 'cache', memoryStore);
		state.mode = 'stall';
		const started = performance.now();
		expect(await part.get('x')).toBeUndefined();
		expect(await part.keys()).toEqual([]);
		await part.set('y', 1);
		expect(performance.now() - started).toBeLessThan(2_000);
		expect(errors.map((error) => (error.error as Error).name)).toEqual(['StorageTimeoutError', 'StorageTimeoutError', 'StorageTimeoutError']);
		expect(await part.get('y')).toBe(1);
	});

	it('writes under way are not written again by other writes: one store operation each while the store takes them', async () => {
		const inner = memoryStore('x');
		const sets: string[] = [];
		let release!: () => void;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		const slow: KeyValueStore = { ...inner, set: async (key, value) => {
			sets.push(key);
			await held;
			return inner.set(key, value);
		} };
		const { context, errors } = contextFor(slow, 1000);
		const part = partStore(context, 'cache', memoryStore);
		const writes = ['a', 'b', 'c', 'd'].map(async (key) => part.set(key, key));
		expect(await part.get('c')).toBe('c');
		release();
		await Promise.all(writes);
		expect(sets).toEqual(['a', 'b', 'c', 'd']);
		expect(errors).toEqual([]);
		expect((await inner.keys()).sort()).toEqual(['a', 'b', 'c', 'd']);
	});

	it('strict keys() and delete() reject when the store does not confirm (a StorageTimeoutError when it stalls); the delete is kept and retried all the same', async () => {
		const { inner, state, store } = flaky();
		const { context, errors } = contextFor(store);
		const part = partStore(context, 'cache', memoryStore);
		await part.set('a', 1);
		state.mode = 'fail';
		await expect(part.keys(true)).rejects.toThrow('QuotaExceededError');
		await expect(part.delete('a', true)).rejects.toThrow('QuotaExceededError');
		expect(await part.keys()).toEqual([]); // not strict: what this client knows, as before
		state.mode = 'stall';
		await expect(part.keys(true)).rejects.toMatchObject({ name: 'StorageTimeoutError' });
		await expect(part.delete('a', true)).rejects.toMatchObject({ name: 'StorageTimeoutError' });
		expect(await part.get('a')).toBeUndefined();
		expect(errors.map(({ operation }) => operation)).toEqual(['keys', 'delete', 'keys', 'keys', 'delete']);
		state.mode = 'up';
		expect(await inner.keys()).toEqual(['a']);
		await part.set('b', 2);
		expect(await inner.keys()).toEqual(['b']); // the kept delete went with the next write
		await expect(part.delete('b', true)).resolves.toBeUndefined();
		expect(await part.keys(true)).toEqual([]);
	});

	it('deleteAll: many keys in one operation under one deadline (one storage:error); not confirmed, each is hidden, kept and deleted with the next write; a newer set meanwhile stands', async () => {
		const { inner, state, store } = flaky();
		const { context, errors } = contextFor(store, 40);
		const part = partStore(context, 'cache', memoryStore);
		for (const key of ['a', 'b', 'c', 'd']) {
			await part.set(key, key);
		}

		await part.deleteAll(['a', 'b']);
		expect((await inner.keys()).sort()).toEqual(['c', 'd']);
		await part.deleteAll([]);
		expect(errors).toEqual([]);

		state.mode = 'stall';
		await part.deleteAll(['c', 'd']);
		expect(errors.map(({ operation, key, error }) => `${operation} ${key} ${(error as Error).name}`)).toEqual(['delete undefined StorageTimeoutError']); // one, not one per key
		expect(await part.get('c')).toBeUndefined();
		expect(await part.keys()).toEqual([]);
		expect((await inner.keys()).sort()).toEqual(['c', 'd']); // the store has not taken them
		state.mode = 'up';
		await part.set('e', 'e');
		expect((await inner.keys()).sort()).toEqual(['e']);

		// A key set again while its delete is under way keeps the newer value.
		let release!: () => void;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		// Held until released, in the order called (as the store contract asks).
		let queue: Promise<unknown> = Promise.resolve();
		const inOrder = async (run: () => Promise<void>) => {
			queue = queue.then(run);
			return queue as Promise<void>;
		};
		const slow: KeyValueStore = { ...inner, set: async (key, value) => inOrder(async () => inner.set(key, value)), delete: async (key) => inOrder(async () => inner.delete(key)) };
		const other = partStore(contextFor(slow, 1000).context, 'cache', memoryStore);
		await other.set('f', 1);
		queue = held;
		const deleting = other.deleteAll(['e', 'f']);
		const setting = other.set('f', 2);
		expect(await other.get('e')).toBeUndefined(); // hidden while the store has not confirmed it
		expect(await inner.get('e')).toBe('e');
		release();
		await Promise.all([deleting, setting]);
		expect(await other.get('f')).toBe(2);
		expect(await other.get('e')).toBeUndefined();
		expect(await inner.get('f')).toBe(2);
	});

	it('one per client name and store: clients that share them (extend) share the unconfirmed writes', () => {
		const { store } = flaky();
		const { context } = contextFor(store);
		expect(partStore(context, 'breaker', memoryStore)).toBe(partStore(context, 'breaker', memoryStore));
		expect(partStore(context, 'breaker', memoryStore)).not.toBe(partStore(context, 'cache', memoryStore));
	});

	it('a store of the app\'s own whose keys() lists keys that are not strings: they are left out; an answer that is not an array is a storage:error and no listing (strict: a rejection)', async () => {
		const inner = memoryStore('x');
		await inner.set('a', 1);
		let listed: unknown = ['a', 5, null, { key: 'b' }];
		const store: KeyValueStore = { ...inner, keys: async () => listed as string[] };
		const { context, errors } = contextFor(store);
		const part = partStore(context, 'outbox', memoryStore);
		expect(await part.keys()).toEqual(['a']);
		expect(errors).toEqual([]);
		for (const answer of [5, 'a,b', null, { 0: 'a' }]) {
			listed = answer;
			errors.length = 0;
			expect(await part.keys()).toEqual([]);
			expect(errors.map(({ operation, error }) => `${operation}: ${String((error as Error).message)}`)).toEqual([`keys: keys() answered ${typeof answer}, not an array`]);
			await expect(part.keys(true)).rejects.toThrow(TypeError);
		}
	});

	it('a store factory that makes no store (null, a number): every operation is a storage:error, answered as a failing store\'s, and nothing is left rejected unhandled', async () => {
		const unhandled: unknown[] = [];
		const onUnhandled = (reason: unknown) => void unhandled.push(reason);
		process.on('unhandledRejection', onUnhandled);
		try {
			for (const made of [null, 5]) {
				const { context, errors } = contextFor(made as unknown as KeyValueStore);
				const part = partStore(context, 'cache', memoryStore);
				await part.set('a', 1);
				expect(await part.get('a')).toBe(1); // from memory: the write the store did not take
				expect(await part.get('b')).toBeUndefined();
				expect(await part.keys()).toEqual(['a']);
				await part.delete('a');
				expect(errors.map(({ operation }) => operation)).toEqual(['set', 'get', 'keys', 'delete']);
			}

			// An unhandled rejection is reported after the microtasks of its turn: give it one.
			await new Promise((resolve) => setTimeout(resolve, 0));
			expect(unhandled).toEqual([]);
		} finally {
			process.off('unhandledRejection', onUnhandled);
		}
	});
});

describe('handOver (a value made for the store, never touched again: the stale cache\'s record)', () => {
	it('the memory store keeps it without the copy `set` makes; read back, it is a copy as always', async () => {
		const inner = memoryStore('h');
		const part = partStore(contextFor(inner).context, 'cache', memoryStore);
		const given = { n: 1, body: new Uint8Array([1, 2]).buffer };
		const handed = { n: 1, body: new Uint8Array([1, 2]).buffer };
		await part.set('given', given);
		await handOver(part, 'handed', handed);
		await part.set('handed again', handed); // handed over once: this `set` copies it
		// Changed after, against handOver's terms: only what was handed over shows it (kept, not copied).
		given.n = 2;
		handed.n = 2;
		expect(await inner.get('given')).toEqual({ n: 1, body: new Uint8Array([1, 2]).buffer });
		expect(await inner.get('handed')).toEqual({ n: 2, body: new Uint8Array([1, 2]).buffer });
		expect(await inner.get('handed again')).toMatchObject({ n: 1 });
		const read = await inner.get<{ n: number }>('handed');
		expect(read).not.toBe(handed);
		read!.n = 3;
		expect(await inner.get('handed')).toMatchObject({ n: 2 });
	});

	it('a store whose set was replaced (a test\'s failing store), or a wrapper of the memory store, is written through that set: bounded, reported, kept for the next write', async () => {
		const replaced = memoryStore('r');
		const own = replaced.set;
		const seen: string[] = [];
		replaced.set = async (key) => {
			seen.push(key);
			throw new Error('QuotaExceededError');
		};
		const { context, errors } = contextFor(replaced);
		const part = partStore(context, 'cache', memoryStore);
		await handOver(part, 'a', { n: 1 });
		expect(seen).toEqual(['a']);
		expect(errors.map(({ operation, key }) => `${operation} ${key}`)).toEqual(['set a']);
		expect(await part.get('a')).toEqual({ n: 1 }); // kept in memory
		replaced.set = own; // back: the kept write goes with the next one
		await handOver(part, 'b', { n: 2 });
		expect((await replaced.keys()).sort()).toEqual(['a', 'b']);

		const inner = memoryStore('s');
		const spread: KeyValueStore = { ...inner, set: async (key, value) => {
			seen.push(`spread ${key}`);
			return inner.set(key, value);
		} };
		await handOver(partStore(contextFor(spread).context, 'cache', memoryStore), 'c', { n: 3 });
		expect(seen).toContain('spread c');
		expect(await inner.get('c')).toEqual({ n: 3 });
	});
});

describe('a store whose methods settle at once (the memory store: stores/at-once.ts)', () => {
	/** How many microtask turns `promise` takes to settle. */
	const turns = async (promise: Promise<unknown>): Promise<number> => {
		let settled = false;
		void promise.then(() => {
			settled = true;
		}, () => {
			settled = true;
		});
		let count = 0;
		while (!settled) {
			await null;
			count++;
		}

		return count;
	};

	afterEach(() => {
		vi.restoreAllMocks();
	});

	it('arms no deadline timer for the memory store\'s methods; a method replaced on it, or a wrapper\'s own, arms one per operation', async () => {
		const store = memoryStore('a');
		const part = partStore(contextFor(store).context, 'cache', memoryStore);
		const timers = vi.spyOn(globalThis, 'setTimeout');
		await part.set('a', { n: 1 });
		await handOver(part, 'b', { n: 2 });
		expect(await part.get('a')).toEqual({ n: 1 });
		expect(await part.keys()).toEqual(['a', 'b']);
		expect(await part.span('a')).toEqual({ count: 1, last: 'a' });
		await part.delete('a');
		await part.deleteAll(['b']);
		expect(await store.keys()).toEqual([]);
		expect(timers).not.toHaveBeenCalled();

		const inner = memoryStore('b');
		const wrapped: KeyValueStore = { ...inner, set: async (key, value) => inner.set(key, value) };
		const other = partStore(contextFor(wrapped).context, 'cache', memoryStore);
		await other.set('c', { n: 3 });
		await other.set('d', { n: 4 });
		expect(await other.get('c')).toEqual({ n: 3 }); // the memory store's own get: no timer
		expect(timers).toHaveBeenCalledTimes(2);
	});

	it('a store without span (one of the app\'s, the Cache API\'s) answers span() undefined at once, with no deadline timer (the stale cache asks it after each copy)', async () => {
		const inner = memoryStore('g');
		const plain: KeyValueStore = { get: (key) => inner.get(key), set: (key, value) => inner.set(key, value), delete: (key) => inner.delete(key), keys: () => inner.keys(), clear: () => inner.clear() };
		const { context, errors } = contextFor(plain);
		const part = partStore(context, 'cache', memoryStore);
		await part.set('a', { n: 1 });
		const timers = vi.spyOn(globalThis, 'setTimeout');
		expect(await part.span('a')).toBeUndefined();
		expect(timers).not.toHaveBeenCalled();
		expect(errors).toEqual([]);
	});

	it('a memory store whose get was replaced by one that stalls is bounded: StorageTimeoutError, reported, within storageTimeoutMs', async () => {
		const store = memoryStore('c');
		const { context, errors } = contextFor(store, 40);
		const part = partStore(context, 'cache', memoryStore);
		await part.set('a', { n: 1 });
		store.get = async () => new Promise(() => undefined);
		expect(await part.get('a')).toBeUndefined();
		expect(errors).toMatchObject([{ part: 'cache', operation: 'get', key: 'a', error: { name: 'StorageTimeoutError' } }]);
	});

	it('every memory store method settles before a timer could fire (what lets the part store arm none)', async () => {
		const store = memoryStore('d');
		let fired = false;
		const timer = setTimeout(() => {
			fired = true;
		}, 0);
		await store.set('a', { n: 1 });
		await store.get('a');
		await store.keys();
		await store.span!('a');
		await store.delete('a');
		await store.clear();
		expect(fired).toBe(false);
		clearTimeout(timer);
	});

	it('an operation that arms no timer takes as many microtask turns as a bounded one: what follows a write (cache:stored) comes no sooner', async () => {
		const inner = memoryStore('e');
		// The same methods, not marked: bounded (a timer each), and settling exactly as soon.
		const plain: KeyValueStore = { get: (key) => inner.get(key), set: (key, value) => inner.set(key, value), delete: (key) => inner.delete(key), keys: () => inner.keys(), clear: () => inner.clear() };
		const atOnce = partStore(contextFor(memoryStore('f')).context, 'cache', memoryStore);
		const bounded = partStore(contextFor(plain).context, 'cache', memoryStore);
		expect(await turns(atOnce.set('a', { n: 1 }))).toBe(await turns(bounded.set('a', { n: 1 })));
		expect(await turns(atOnce.get('a'))).toBe(await turns(bounded.get('a')));
		expect(await turns(atOnce.keys())).toBe(await turns(bounded.keys()));
		expect(await turns(atOnce.delete('a'))).toBe(await turns(bounded.delete('a')));
	});
});

describe('background', () => {
	it('hands the work to waitUntil when the call has one, runs it otherwise; a failure is a storage:error', async () => {
		const { store } = flaky();
		const { context, errors } = contextFor(store);
		const handed: Array<Promise<unknown>> = [];
		background(context, 'cache', (promise) => handed.push(promise), async () => {
			throw new Error('write failed');
		});
		expect(handed).toHaveLength(1);
		await handed[0];
		expect(errors.map(({ operation }) => operation)).toEqual(['background']);
		let ran = false;
		background(context, 'cache', undefined, async () => {
			ran = true;
		});
		expect(ran).toBe(true);
	});

	describe('in a Worker (I/O ends with its request)', () => {
		afterEach(() => {
			vi.unstubAllGlobals();
		});

		it('without waitUntil the work is dropped unstarted and reported with the call\'s url; with one it runs', async () => {
			vi.stubGlobal('navigator', { userAgent: 'Cloudflare-Workers' });
			const { store } = flaky();
			const { context, errors } = contextFor(store);
			let started = 0;
			background(context, 'cache', undefined, async () => {
				started++;
			}, 'https://api.test/a');
			expect(started).toBe(0);
			expect(errors).toMatchObject([{ part: 'cache', operation: 'background', url: 'https://api.test/a' }]);
			const handed: Array<Promise<unknown>> = [];
			background(context, 'cache', (promise) => handed.push(promise), async () => {
				started++;
			}, 'https://api.test/b');
			await handed[0];
			expect(started).toBe(1);
			expect(errors).toHaveLength(1);
		});
	});
});

describe('partStore: kept writes vs clears noted since (through any client of the name, any tab)', () => {
	/** `idOf` as the stale cache and the outbox give it (their records belong to an identity, removed by id); the breaker gives none. */
	const setup = (part: string, idOf?: (key: string) => string) => {
		const { inner, state, store } = flaky();
		const { context } = contextFor(store);
		let who: string | undefined = 'alice';
		(context as { identity: () => string | undefined }).identity = () => who;
		const made = partStore(context, part, memoryStore, idOf);
		const worlds = worldsOf(context.stores);
		return { inner, state, made, worlds, as: (identity: string | undefined) => { who = identity; } };
	};

	it('a clear of the part, of everything or of the identity the write was made under, a removal of its id, forgets it: neither served, listed, nor written again', async () => {
		for (const note of ['cache', '*', 'cache#i:alice', '*#i:alice', 'cache#r:k']) {
			const { inner, state, made, worlds } = setup('cache', (key) => key);
			state.mode = 'fail';
			await made.set('k', { n: 1 });
			expect(await made.get('k')).toEqual({ n: 1 });
			state.mode = 'up';
			worlds.note(note); // As heard from another tab.
			expect(await made.get('k'), note).toBeUndefined();
			expect(await made.keys()).toEqual([]);
			await made.set('other', { n: 2 });
			expect(await inner.keys(), note).toEqual(['other']);
		}
	});

	it('kept: a write of another identity than the one cleared, one made after the clear, a kept delete, one of another id than removed, the breaker\'s on an identity clear', async () => {
		const { inner, state, made, worlds, as } = setup('cache', (key) => key);
		await made.set('gone', { n: 0 });
		state.mode = 'fail';
		as('bob');
		await made.set('bob', { n: 1 });
		as('alice');
		await made.delete('gone');
		worlds.cleared('cache', 'alice');
		worlds.removed('cache', 'other-id');
		await made.set('after', { n: 2 });
		state.mode = 'up';
		expect((await made.keys()).sort()).toEqual(['after', 'bob']);
		await made.set('next', { n: 3 });
		expect((await inner.keys()).sort()).toEqual(['after', 'bob', 'next']);
		const breaker = setup('breaker');
		breaker.state.mode = 'fail';
		await breaker.made.set('scope', { state: 'open' });
		breaker.worlds.cleared(undefined, 'alice');
		expect(await breaker.made.get('scope')).toEqual({ state: 'open' });
		breaker.worlds.cleared(undefined);
		expect(await breaker.made.get('scope')).toBeUndefined();
	});
});
