import type { PolicyContext } from './policy.js';
import type { WaitUntil } from './options.js';
import { StorageTimeoutError } from '../errors/StorageTimeoutError.js';
import type { BasicStore, BasicStoreFactory, KeySpan } from '../stores/types.js';
import { markHandedOver } from '../stores/hand-over.js';
import { settlesAtOnce } from '../stores/at-once.js';
import { droppedWork } from './part-store-drop.js';
import type { World, Worlds } from './world.js';

/** A key whose delete the store has not confirmed yet. */
const gone: unique symbol = Symbol();

/** Report a storage failure of a part as `storage:error` (with the call's `url` when it was a call's work). Never throws. */
export const storageError = (context: PolicyContext, part: string, operation: string, error: unknown, key?: string, url?: string): void => {
	context.emit('storage:error', { part, operation, error, ...(key === undefined ? {} : { key }), ...(url === undefined ? {} : { url }) });
};

/**
 * `operation`, or a `StorageTimeoutError` once it takes longer than `ms` (the operation itself goes
 * on). Two promises per operation (a race with a `finally` made ten: it runs for every write behind
 * every new response).
 */
const bounded = <T>(operation: Promise<T>, ms: number, method: string, key: string | undefined): Promise<T> => new Promise<T>((resolve, reject) => {
	const timer = setTimeout(() => reject(new StorageTimeoutError(`The store did not answer ${method}(${key ?? ''}) within ${ms} ms (storageTimeoutMs)`)), ms);
	operation.then((value) => {
		clearTimeout(timer);
		resolve(value);
	}, (error: unknown) => {
		clearTimeout(timer);
		reject(error);
	});
});

/** A value as it is: what an operation that settles at once goes through in place of `bounded` (see `PartStore.#attempt`). */
const same = <T>(value: T): T => value;

/** The client's `storageTimeoutMs` (default 500): how long any storage operation on a call's path may take. */
export const storageMs = (context: PolicyContext): number => context.options.storageTimeoutMs ?? 500;

/**
 * Hold `world`'s start in `Worlds.holding` (of `context`'s client name and store) until the function returned is called
 * (later calls do nothing): the outbox's work (`Queue.hold`) and a write a part store keeps after a failure (`PartStore`).
 */
export const holdWorld = ({ stores }: PolicyContext, world: World): () => void => {
	const holding = (stores.get('#world') as Worlds | undefined)?.holding ?? [];
	const start = (world as { start?: number }).start ?? 0;
	holding.push(start);
	let held = true;
	return () => {
		if (held) {
			held = false;
			holding.splice(holding.indexOf(start), 1);
		}
	};
};

/**
 * The one strategy of every part that persists (the stale cache, the outbox, the breaker) for a
 * store that fails or stalls — an IndexedDB blocked by another tab's upgrade, a quota error, a Cache
 * API that refuses:
 *
 * - every operation is bounded by the client's `storageTimeoutMs` (500 ms by default) and never
 *   rejects: a failure or a timeout is reported as `storage:error` (`part`, `operation`, `key`), and
 *   the operation answers with what this client knows;
 * - a write or delete the store did not confirm is kept in memory: read back first, listed by
 *   `keys()`, and written again with the part's next write, until the store takes it. So a part
 *   goes on in memory while its store is down (the outbox keeps a queued write, the breaker its
 *   state, the stale cache its copy), and nothing is lost when the store comes back (but for a new
 *   outbox entry the store refuses for its quota while its caller waits: not kept, `OutboxFullError`);
 * - a write kept so is bound to the world it was made in (src/core/world.ts): once a clear of its
 *   part, of everything or of the identity it was made under is noted since (through any client of
 *   the name and store, in any tab), it is forgotten, neither served nor written again — a clear
 *   in another tab removes it as it removes the store's (API.md "Identity": "After `clear()`
 *   resolves, nothing it removed ever comes back"); a failed one's world is held (`Worlds.holding`), so the removals of
 *   other records and clears of other identities, however many, never forget it. A kept delete is never forgotten. So is a write
 *   the store takes after such a clear or removal was noted (also past its deadline): deleted again,
 *   as a store may land a put after a later delete (the Cache API keeps no order between them).
 *
 * Made once per client name and store (`partStore`), from the client's `store`, else the part's own
 * default `fallback`; each other client of them (`extend()`) works through a view of it (`for`), which
 * shares what it keeps and bounds and reports that client's operations as its own: its `storageTimeoutMs`,
 * its `storage:error` (and, as before, the first client's). Nothing touches storage until an operation is called.
 */
/**
 * A store's `keys()` as this client takes it: a list that is not an array fails the operation (a
 * `storage:error`); keys that are not strings are not ours (a store of the app's own may hold them).
 */
const listing = (listed: unknown): string[] => {
	if (!Array.isArray(listed)) {
		throw new TypeError(`keys() answered ${typeof listed}, not an array`);
	}

	return listed.filter((key): key is string => typeof key === 'string');
};

/**
 * A store's `span(prefix)` as this client takes it: an answer that is no `KeySpan` (`null`, a count that is no whole
 * number, a `last` that is no string) fails the operation (a `storage:error`), as a store that cannot tell; none (a
 * store without `span`) is `undefined`.
 */
const spanning = (span: unknown): KeySpan | undefined => {
	const { count, last = '' } = (span ?? {}) as Partial<KeySpan>;
	if (span !== undefined && !(Number.isInteger(count) && count! >= 0 && typeof last === 'string')) {
		throw new TypeError('span() answered no count and last key');
	}

	return span as KeySpan | undefined;
};

export class PartStore {
	readonly #context: PolicyContext;
	/** The part store of the client that made it (`partStore`): the store and what is kept are its own, shared by its views (`for`). */
	readonly #root: PartStore;
	readonly #part: string;
	/** Makes the store (the client's `store`, else the part's default), at the first operation. */
	readonly #make: () => BasicStore;
	readonly #ms: number;
	#store: BasicStore | undefined;
	/** Writes and deletes the store has not confirmed (under way, or failed), newest value per key. */
	readonly #pending = new Map<string, unknown>();
	/** The keys whose latest write or delete failed: tried again with the next write (one under way is not). */
	readonly #failed = new Set<string>();
	/** The world each unconfirmed write (not delete) was made in: see `#forget`. */
	readonly #worlds = new Map<string, World>();
	/**
	 * The start of the world of each write kept after a failure (`#failed`), held in `Worlds.holding` as the outbox's work
	 * holds its own, until the write is confirmed, made again or forgotten (`#unbind`): the removals of other records and
	 * the clears of other identities noted meanwhile, however many, are never taken for its own (`#forget`: a queued write is not lost so).
	 */
	readonly #held = new Map<string, () => void>();
	/** The world's last note when `#forget` last looked (`Worlds.noted`). */
	#seen: number | undefined = -1;
	/** Told of each write or delete the store confirmed; a promise it answers is waited for (the outbox's moves: an old key goes then). */
	confirmed?: (key: string) => Promise<void> | undefined;
	/** See `partStore`. */
	readonly #idOf: ((key: string) => string | undefined) | undefined;

	constructor(context: PolicyContext, part: string, make: () => BasicStore, idOf?: (key: string) => string | undefined, root?: PartStore) {
		this.#context = context;
		this.#root = root ?? this;
		this.#part = part;
		this.#make = make;
		this.#ms = storageMs(context);
		this.#idOf = idOf;
		if (root) {
			this.#pending = root.#pending;
			this.#failed = root.#failed;
			this.#worlds = root.#worlds;
			this.#held = root.#held;
		}
	}

	/**
	 * This part store as the client of `context` works through it (another of the name and store, `extend()`): the same
	 * store and what it keeps; that client's operations bounded by its `storageTimeoutMs`, and each failure reported to it
	 * (`storage:error`, and to the client that made the part store as before), so that a client hears the failures of its
	 * own work (its outbox's drain backs off on them) also when it made no part store of its own.
	 */
	for(context: PolicyContext): PartStore {
		return context === this.#context ? this : new PartStore(context, this.#part, this.#make, this.#idOf, this);
	}

	/**
	 * A write or delete of `key` the store has not confirmed answers without asking the store. `strict`: a
	 * read that fails (or times out) rejects, once reported (the breaker then asks the other tabs).
	 */
	async get<T>(key: string, strict?: boolean): Promise<T | undefined> {
		this.#forget();
		const value = this.#pending.has(key) ? this.#pending.get(key) as T : await this.#attempt('get', key, async (target) => target.get<T>(key), strict);
		return value === gone ? undefined : value;
	}

	/**
	 * Write (or delete) `key`, then the ones whose write failed, until one fails; a key confirmed is
	 * forgotten unless a newer value came meanwhile. Writes under way are not repeated: each write
	 * costs one store operation while the store takes them. `strict`: `key`'s own failure rejects
	 * (once kept for the next write; `delete`'s). `ms`: `key`'s own deadline, when not
	 * `storageTimeoutMs` (a large value: the outbox's file bodies). `world`: what a write kept is bound to
	 * (see `#forget`): the writer's (an `extend()`ed client's own identity), else of the client that made the part store.
	 */
	async set(key: string, value: unknown, ms?: number, strict = false, world?: World): Promise<void> {
		const pending = this.#pending;
		const failed = this.#failed;
		pending.set(key, value);
		failed.delete(key);
		this.#unbind(key);
		if (value !== gone) {
			const context = this.#context;
			this.#worlds.set(key, world ?? context.world(this.#idOf && context.identity()));
		}

		for (const each of [key, ...failed]) {
			if (each !== key) {
				this.#forget(); // A kept write, before it is written again: a clear noted since (`key`'s own is of the world now).
			}

			const latest = pending.get(each);
			let done: unknown;
			try {
				done = !pending.has(each) || await this.#attempt(latest === gone ? 'delete' : 'set', each, async (target) => latest === gone ? target.delete(each) : target.set(each, latest), strict && each === key, each === key ? ms : undefined);
			} catch (error) {
				this.#keep(each);
				throw error;
			}

			if (done === gone) {
				this.#keep(each);
				return;
			}

			failed.delete(each);
			if (pending.get(each) === latest) {
				pending.delete(each);
				this.#unbind(each);
			}

			const then = this.confirmed?.(each);
			if (then) {
				await then; // No step more for any other write.
			}
		}
	}

	/**
	 * `strict`: reject with the store's error (a `StorageTimeoutError` past the deadline) when it does
	 * not confirm the delete; it is kept in memory and retried all the same.
	 */
	delete(key: string, strict?: boolean): Promise<void> {
		return this.set(key, gone, undefined, strict);
	}

	/**
	 * Delete `keys` in one store operation under one deadline (the stale cache's eviction of a quarter
	 * of `maxEntries`, not an operation per key). Not confirmed, each is kept and tried again with the
	 * next write, as `delete` keeps it; the `storage:error` it reports names no key.
	 */
	async deleteAll(keys: readonly string[]): Promise<void> {
		if (keys.length === 0) {
			return;
		}

		const pending = this.#pending;
		const failed = this.#failed;
		for (const key of keys) {
			pending.set(key, gone);
			failed.delete(key);
			this.#unbind(key);
		}

		// Each key's `delete` as the store gives it back (no promise of ours around each: a quarter of `maxEntries` of them);
		// one that throws at once rejects the whole, as one that rejects does.
		const done = await this.#attempt('delete', undefined, async (target) => Promise.all(keys.map((key) => target.delete(key))));
		for (const key of keys) {
			if (done === gone) {
				failed.add(key);
			} else if (pending.get(key) === gone) {
				pending.delete(key);
			}
		}
	}

	/** `strict`: reject when the store does not list (what this client has pending is no listing). */
	async keys(strict?: boolean): Promise<string[]> {
		const listed = await this.#attempt('keys', undefined, async (target) => listing(await target.keys()), strict);
		this.#forget();
		const pending = this.#pending;
		// What the store listed (a copy: callers sort it), as this client's unconfirmed writes and deletes leave it.
		const keys = listed === gone ? [] : pending.size === 0 ? listed : listed.filter((key) => !pending.has(key));
		for (const [key, value] of pending) {
			if (value !== gone) {
				keys.push(key);
			}
		}

		return keys;
	}

	/**
	 * The store's `span(prefix)` (bounded, a failure reported), or `undefined` when it cannot tell: a
	 * store without `span`, one that failed or answered no `KeySpan` (`spanning`), or a write or delete of a key with the prefix that the
	 * store has not confirmed (its answer would not hold this client's own change).
	 */
	async span(prefix: string): Promise<KeySpan | undefined> {
		this.#forget();
		if ([...this.#pending.keys()].some((key) => key.startsWith(prefix))) {
			return undefined;
		}

		const span = await this.#attempt('span', prefix, async (target) => spanning(await target.span?.(prefix)));
		return span === gone ? undefined : span;
	}

	/**
	 * Another tab or client of the name stored a newer value of `key` and told it (the breaker's state
	 * it adopted): a write or delete of it this client kept is older, forgotten rather than made over it.
	 */
	superseded(key: string): void {
		this.#pending.delete(key); // Left in `#failed`, it is passed over by the next `set` (nothing pending).
		this.#unbind(key);
	}

	/**
	 * A write of `key` under way (`put`) in a store that does not settle at once: such a store may land it after a later
	 * delete (the Cache API keeps no order between them). Once it took it (also past the deadline), a clear or a removal
	 * noted meanwhile (the write's world no longer current) deletes it again, beside the operation (whose failure is its own).
	 */
	#landing(store: BasicStore, key: string, put: Promise<unknown>): void {
		const world = this.#worlds.get(key);
		put.then(async () => world?.current(this.#part, this.#idOf?.(key)) === false && store.delete(key), () => undefined)
			.catch((error: unknown) => this.#report('delete', error, key));
	}

	/** A failure of an operation of this client's: `storage:error` to it, and to the client that made the part store (when another). */
	#report(operation: string, error: unknown, key?: string): void {
		for (const context of new Set([this.#context, this.#root.#context])) {
			storageError(context, this.#part, operation, error, key);
		}
	}

	/** `key`'s write or delete failed: kept, tried again with the next write; a write's world held (`#held`). */
	#keep(key: string): void {
		this.#failed.add(key);
		const world = this.#worlds.get(key);
		if (world && !this.#held.has(key)) {
			this.#held.set(key, holdWorld(this.#context, world));
		}
	}

	/** `key`'s write is no longer unconfirmed (confirmed, made again, forgotten): its world is let go, no longer held. */
	#unbind(key: string): void {
		this.#worlds.delete(key);
		// Only a write that failed is held: a confirmed one asks nothing more (one lookup in an empty map).
		this.#held.get(key)?.();
		this.#held.delete(key);
	}

	/**
	 * Forget each unconfirmed write made before a clear of this part (of everything, of the identity
	 * it was made under) or a removal of its record noted since, here or heard from another tab or
	 * client of the name: that removed it from the store, so it is neither served nor written again.
	 */
	#forget(): void {
		if (this.#worlds.size === 0) {
			return;
		}

		// Nothing noted since the last look: every kept write is still of its world (a check per kept write, on
		// every read, is not paid for nothing). The `Worlds` they were opened from is the one `worldsOf`
		// (src/core/world.ts) keeps in `stores`, read here without importing world.ts's code into this module:
		// that import alone cost the preset ~11.6k instructions per call (bench/instructions.mjs, BENCH_NO_GC=1).
		const noted = (this.#context.stores.get('#world') as Worlds | undefined)?.noted;
		if (noted === this.#seen) {
			return;
		}

		this.#seen = noted;
		for (const [key, world] of this.#worlds) {
			if (!world.current(this.#part, this.#idOf?.(key))) {
				this.#unbind(key);
				this.#pending.delete(key);
				this.#failed.delete(key);
			}
		}
	}

	/**
	 * One operation of the store (`method`: the store's method it calls), bounded; a failure is
	 * reported and answered with `gone`, or with `strict`, thrown. A method that settles at once (the
	 * memory store's: stores/at-once.ts) answers before any timer could fire, so none is armed for it
	 * (a `setTimeout` and a `clearTimeout` per write behind every new response); it goes through as
	 * many steps as `bounded`, so nothing that follows it (`cache:stored`) comes sooner than with any store.
	 */
	async #attempt<T>(method: 'get' | 'set' | 'delete' | 'keys' | 'span', key: string | undefined, run: (store: BasicStore) => Promise<T>, strict = false, ms = this.#ms): Promise<T | typeof gone> {
		try {
			const root = this.#root;
			root.#store ??= this.#make(); // Made at the first operation, one for the views.
			const store = root.#store;
			// Read before the run: a factory that made no store (`null`) fails here, not in a run left unawaited. A method
			// the store lacks (`span`: a store that cannot tell) answers at once too, with no timer.
			const atOnce = !store[method] || settlesAtOnce(store[method]);
			const running = run(store);
			if (atOnce) {
				return await running.then(same);
			}

			if (method === 'set') {
				this.#landing(store, key!, running);
			}

			return await bounded(running, ms, method, key);
		} catch (error) {
			this.#report(method, error, key);
			if (strict) {
				throw error;
			}

			return gone;
		}
	}
}

/**
 * `store.set`, of a value the caller hands over: made for the store, and neither the caller nor anyone
 * else changes it after (the stale cache's record of a response, its body bytes read for it). A
 * store that copies on the way in may keep it as it is (the memory store: stores/hand-over.ts),
 * which spares the copy (about 10,000 instructions per new URL the preset stores in Node); bounded,
 * reported and kept when it fails, as any `set`. A function, not a method: only the stale cache
 * hands over, so the other parts' bundles do not carry it.
 */
export const handOver = (store: PartStore, key: string, value: object, world?: World): Promise<void> => {
	markHandedOver(value);
	return store.set(key, value, undefined, false, world);
};

/**
 * The part store of a client name and store (`extend()` shares it): made once, kept in `context.stores`; each other
 * client of them gets its view (`PartStore.for`: its failures reported to it too).
 * `idOf`, given by a part whose records belong to the identity they are written under and are removed
 * one by one (`PolicyContext.removed`): the id a removal of a key's record names (the stale cache's
 * path, the outbox's entry id). A write it keeps is then forgotten at a clear of that identity or a
 * removal of that id too; without it (the breaker's), at a clear of everything or of the part only.
 */
export const partStore = (context: PolicyContext, part: string, fallback: BasicStoreFactory, idOf?: (key: string) => string | undefined): PartStore => {
	const name = `${context.name}/${part}`;
	let made = context.stores.get(name) as PartStore | undefined;
	if (!made) {
		made = new PartStore(context, part, () => (context.options.store ?? fallback)(name), idOf);
		context.stores.set(name, made);
	}

	return made.for(context);
};

/**
 * Run a part's background work (cache write-behind, outbox and breaker persistence, coordinator
 * syncs) after a call, as API.md "Request contexts" says: handed to the call's `waitUntil` when it
 * has one; where I/O ends with its request (Cloudflare Workers) and there is none, dropped and
 * reported as `storage:error` (operation `background`) — never left pending for a later request,
 * and `work` is never called (so it can take what it needs, a clone of a body, synchronously when
 * it starts); elsewhere (browsers, Node, Deno) simply run. `url`: the call's URL, for the report.
 * Never rejects.
 */
export const background = (context: PolicyContext, part: string, waitUntil: WaitUntil | undefined, work: () => Promise<unknown>, url?: string): void => {
	const dropped = droppedWork(waitUntil);
	if (dropped) {
		storageError(context, part, 'background', dropped, undefined, url);
		return;
	}

	hand(context, part, waitUntil, work().catch((error: unknown) => storageError(context, part, 'background', error, undefined, url)), url);
};

/**
 * Hand `work` (which never rejects) to `waitUntil`: one that throws (a request context already gone), or gives back a
 * promise that rejects (an app's async `waitUntil`), is a `storage:error`, never the call's failure nor an unhandled rejection.
 */
export const hand = (context: PolicyContext, part: string, waitUntil: WaitUntil | undefined, work: Promise<unknown>, url?: string): void => {
	try {
		// The rejection's handler is made only for a `waitUntil` that gave back a promise (none is given behind most calls).
		(waitUntil?.(work) as unknown as PromiseLike<unknown> | undefined)?.then?.(undefined, (error: unknown) => storageError(context, part, 'background', error, undefined, url));
	} catch (error) {
		storageError(context, part, 'background', error, undefined, url);
	}
};
