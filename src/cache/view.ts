import type { PartStore } from '../core/part-store.js';
import type { World } from '../core/world.js';
import type { LastCopy } from './copy-plan.js';

/**
 * What the view keeps of a key's last copy this view stored: the world it was stored in and its path (`pathOf`), and
 * with a validator what an unchanged answer is told by (`LastCopy['copied']`).
 */
export interface Copied {
	readonly world: World;
	readonly path: string;
	readonly copied: LastCopy['copied'];
}

/**
 * The view of the keys of the stored copies, kept in memory (no index in the store) and shared by the
 * clients of one name and store that `extend()` made of one another (as their part store is): the
 * least recently stored or served first, with when it was stored (0: found in the store). Listed
 * from the store at the first write and whenever the store may hold more than `maxEntries` (`bound`),
 * when the least recently used go (`evict`). Also what each key's last copy was (`last`: what copy-plan.ts decides a new copy
 * by), and the drops made lately (`mark`, `dropped`): a copy is not written after a drop of its key.
 */
/** How many drops the view remembers (`dropped`): a copy under way across more is not written (conservative). */
const keptDrops = 32;

export class View {
	/** Bumped by every drop (an invalidation, a clear): a copy taken before one of its key is not written after it (`dropped`). */
	epoch = 0;
	/** The last drops, each with its epoch and what it matched (at most `keptDrops`). */
	#drops: Array<[number, (stored: string) => boolean]> = [];
	#order = new Map<string, number>();
	/** Whether `#order` holds what the store listed (at the first write); whether an eviction is under way (one at a time). */
	#listed = false;
	#evicting = false;
	/** Copies stored since the store was last listed. */
	#since = 0;
	/** What each key's last copy stored here was (`Copied`: its world, and its `signature` and until when an unchanged answer is not copied again). */
	readonly #copiedAs = new Map<string, Copied>();
	/** The clears noted for the name and store (src/core/world.ts `Worlds.clears`: another tab's too), and how many `last` has seen. */
	readonly #worlds: { readonly clears: number };
	#clears = 0;
	/** The keys whose copy the origin answered from another path (a redirect's: `CacheRecord.final`), and that path: a write delivered to it drops them too (`finalOf`). */
	readonly #finals = new Map<string, string>();
	/** The keys the view lacks whose newest answer allowed no copy, and when it came (`overtake`): no copy stored before answers. */
	readonly #overtaken = new Map<string, number>();

	constructor(worlds: { readonly clears: number }) {
		this.#worlds = worlds;
		this.#clears = worlds.clears;
	}

	/**
	 * A drop of what `match`es begins (synchronously, before any await): a copy of a key it matches,
	 * taken before, is not written (`dropped`).
	 */
	mark(match: (stored: string) => boolean): void {
		this.#drops.push([++this.epoch, match]);
		if (this.#drops.length > keptDrops) {
			this.#drops.shift();
		}
	}

	/** Whether a drop since `epoch` matched `stored`: a copy of it taken then is not written (past the drops kept, conservatively yes). */
	dropped(stored: string, epoch: number): boolean {
		return this.epoch - epoch > this.#drops.length || this.#drops.some(([at, match]) => at > epoch && match(stored));
	}

	/** `stored` was stored (`at`) or served now: it goes last. */
	touch(stored: string, at = this.#order.get(stored) ?? 0): void {
		this.#order.delete(stored);
		this.#order.set(stored, at);
	}

	/**
	 * `stored` is no longer known to be stored; with `at`, a copy touched `at` and not stored was let
	 * go: unless something stored or dropped it since, the key is known as it was `before` (a copy
	 * stored earlier is still there), else not at all.
	 */
	forget(stored: string, at?: number, before?: number): void {
		if (at === undefined || this.#order.get(stored) === at) {
			this.#order.delete(stored);
			this.#finals.delete(stored);
			if (before !== undefined) {
				this.#order.set(stored, before);
			}
		}
	}

	/** Whether the client knows no copy is stored under `stored`: the store was listed and it is not in the view. */
	lacks(stored: string): boolean {
		return this.#listed && !this.#order.has(stored);
	}

	/**
	 * An answer of `stored` came at `at` that allows no copy and would drop the last (a 204, one too large, one that allows
	 * no stale copy), while the view lacks the key: another client of the name and store (another tab) may have stored a
	 * copy since the store was listed, which would take the caller back in time on a later failure. None stored before `at`
	 * answers from now on (`overtakenAt`: `usable`, record.ts); true the first time the key is noted, when it is deleted
	 * from the store (once: an origin that allows no copy of a URL answers so every time, and no store operation is made per answer).
	 */
	overtake(stored: string, at: number): boolean {
		const first = !this.#overtaken.delete(stored);
		if (this.#overtaken.size > 999) {
			this.#overtaken.delete(this.#overtaken.keys().next().value!); // The earliest noted.
		}

		this.#overtaken.set(stored, at);
		return first;
	}

	/** When the newest answer of `stored` that allowed no copy came while the view lacked it (`overtake`), else 0. */
	overtakenAt(stored: string): number {
		return this.#overtaken.get(stored) ?? 0;
	}

	/** Whether the store was never listed, and no listing is under way. */
	get unlisted(): boolean {
		return !this.#listed && !this.#evicting;
	}

	/** What the client knows of the last copy under `stored` (see `copyPlan`), or undefined when none is in the view. */
	last(stored: string): LastCopy | undefined {
		if (this.#worlds.clears !== this.#clears) {
			// A clear was noted since (another tab's `clear()` removed copies this view still lists): what it knew of each last
			// copy is no reason to skip a new one (`recent`, `unchanged`): the copy may be gone.
			this.#clears = this.#worlds.clears;
			this.#copiedAs.clear();
			for (const key of this.#order.keys()) {
				this.#order.set(key, 0);
			}
		}

		let at = this.#order.get(stored);
		const copied = this.#copiedAs.get(stored);
		if (at !== undefined && copied && !copied.world.current('cache', copied.path)) {
			// A removal of its path (or a clear) was noted since it was stored: another client of the name and store (another
			// tab's `cache.delete`, a write delivered there) removed it, validator or not. As after a clear: the copy may be gone,
			// no reason to skip a new one (`recent`, `unchanged`).
			this.#copiedAs.delete(stored);
			at = 0;
			this.#order.set(stored, at);
		}

		return at === undefined ? undefined : { at, copied: this.#copiedAs.get(stored)?.copied };
	}

	/**
	 * The path the copy under `stored` was finally answered from (a redirect's, `CacheRecord.final`), when the view knows
	 * it (it stored or read that copy): a delivered write of it drops the copy too (superseded.ts).
	 */
	finalOf(stored: string): string | undefined {
		return this.#finals.get(stored);
	}

	/** The copy under `stored` was answered from `final` (a redirect's path), or from its own URL (undefined). */
	answeredFrom(stored: string, final: string | undefined): void {
		this.#finals.delete(stored);
		if (final !== undefined) {
			if (this.#finals.size > 999) {
				this.#finals.delete(this.#finals.keys().next().value!); // The earliest noted: a delivered write's drop misses it (its serve still refuses it: `outdated`).
			}

			this.#finals.set(stored, final);
		}
	}

	/**
	 * A copy was stored under `stored` at `now`; `copied`: the write's `world` and its `path`, and its signature and until
	 * when an unchanged answer is not copied again (see `copyPlan`), kept while that world is current for its path;
	 * `final`: the path it was answered from when a redirect's (`answeredFrom`).
	 */
	stored(stored: string, now: number, copied: Copied | undefined, final?: string): void {
		this.touch(stored, now);
		this.answeredFrom(stored, final);
		this.#since++;
		if (copied === undefined) {
			this.#copiedAs.delete(stored);
		} else {
			this.#copiedAs.set(stored, copied);
		}
	}

	/**
	 * Whether to `evict` after a copy was stored, to keep the store within `max` (the writing client's `maxEntries`)
	 * whoever else writes to it: the store was never listed (the first write), the view grew past `max`, or `max / 4`
	 * copies were stored through this view since the last listing — then copies clients made apart stored (another
	 * tab, isolate or `createClient` of the name and store, not in this view) count too; none under way. The store is
	 * not asked its `span` per copy: a `memoryStore` kept sorted for it cost more per new URL than the copy.
	 */
	due(max: number): boolean {
		return !this.#evicting && (!this.#listed || this.#order.size > max || this.#since >= max / 4);
	}

	/**
	 * List the store — copies other tabs or isolates wrote count, those they removed go from the view —
	 * and past `max` (the client's `maxEntries`) remove the least recently used, a quarter of `max` more (so the store
	 * is listed about once per `max / 4` new copies, not per copy). A listing that fails leaves the view as it was.
	 * `store`: the part store of the client whose work this is (its view of the one part store: its failures told to it).
	 */
	async evict(store: PartStore, max: number): Promise<void> {
		this.#evicting = true;
		this.#since = 0;
		// A listing that failed (a `storage:error`) is no listing: what the view knows stays (an empty one would forget every
		// copy, and no deadline would be armed for them); those past `max` still go.
		// Each key once: a store that lists one twice (a buggy or foreign one) would make up for a copy removed elsewhere,
		// which would stay in the view and count, and a copy within `maxEntries` would go for it.
		const listed = await store.keys(true).catch(() => undefined);
		const found = listed && new Set<string>(listed.filter((stored) => stored.startsWith('r:')));
		this.#listed = true;
		const unknown = found && [...found].filter((stored) => !this.#order.has(stored));
		if (found && unknown && (unknown.length > 0 || found.size !== this.#order.size)) {
			this.#reconcile(found, unknown);
		}

		// Past `maxEntries`, the least recent go until a quarter of it is free.
		const order = this.#order;
		const excess = order.size > max ? order.size - max + Math.floor(max / 4) : 0;
		// The first `excess` of the order, taken as they come (not a copy of every key, at each listing).
		const gone: string[] = [];
		for (const stored of order.keys()) {
			if (gone.length === excess) {
				break;
			}

			gone.push(stored);
		}

		for (const stored of gone) {
			order.delete(stored);
			this.#copiedAs.delete(stored);
			this.#finals.delete(stored);
		}

		await store.deleteAll(gone);
		this.#evicting = false;
	}

	/**
	 * The store's listing (`found`) differs from the view: copies it holds that this client does not
	 * know (`unknown`: another tab's or isolate's) count as the oldest, known ones keep their place,
	 * and those it no longer holds (removed elsewhere) leave the view. When the listing is the view,
	 * as with a store no other client writes, none of this is done.
	 */
	#reconcile(listed: ReadonlySet<string>, unknown: readonly string[]): void {
		const order = new Map(unknown.map((stored): [string, number] => [stored, 0]));
		for (const [stored, at] of this.#order) {
			if (listed.has(stored)) {
				order.set(stored, at);
			}
		}

		this.#order = order;
		for (const known of [this.#copiedAs, this.#finals]) {
			for (const stored of known.keys()) {
				if (!order.has(stored)) {
					known.delete(stored);
				}
			}
		}
	}

	/**
	 * Forget the keys that `match` now, so no copy taken before is written; then delete them — the
	 * ones this client knows and the ones the store lists — through the part store, whose kept delete
	 * hides each from this client until the store confirms it (retried with the next write). When the
	 * store cannot list, the copies this client never knew of cannot be found: they stay stored.
	 * `strict` (clear): reject with the first failure (listing or delete), so a caller is never told
	 * they are gone when the store did not confirm it. Resolves with the keys it dropped. `store`: as `evict`'s.
	 */
	async drop(store: PartStore, match: (stored: string) => boolean, strict?: boolean): Promise<string[]> {
		this.mark(match);
		const known = [...this.#order.keys()].filter(match);
		for (const stored of known) {
			this.#order.delete(stored);
			this.#finals.delete(stored);
			this.#copiedAs.delete(stored);
		}

		const failures: unknown[] = [];
		const fail = (error: unknown): never[] => {
			failures.push(error);
			return [];
		};
		const found = new Set([...known, ...(await store.keys(strict).catch(fail)).filter(match)]);
		await Promise.all([...found].map(async (stored) => store.delete(stored, strict).catch(fail)));
		if (failures.length > 0) {
			throw failures[0];
		}

		return [...found];
	}
}
