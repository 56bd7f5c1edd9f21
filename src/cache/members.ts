import { refuseClosed } from '../core/closing.js';
import { callUrl } from '../core/scope.js';
import { knownIdentity } from '../core/context.js';
import { withSearchParams } from '../utils/search-params.js';
import { redact, withoutFragment } from '../utils/sensitive.js';
import { normalised, pathOf, urlOf } from './keys.js';
import { readable, usable, type CacheRecord } from './record.js';
import { storageError } from '../core/part-store.js';
import type { CacheState } from './state.js';
import type { PolicyParts } from '../core/policy.js';

/** What `client.cache` does (with the stale cache; the preset's stand-in without one does nothing). */
export interface CacheHandle {
	/**
	 * Remove the stored copies of a URL (every identity and credential). A relative URL is resolved as
	 * a call's input is (`prefix`, `baseUrl`, in a page the page's URL); an absolute one is taken as it
	 * is. The copies of that URL go, and those of it with the client's `searchParams` added (as a call of
	 * it sends them), however their URL spells it with percent-encodings (RFC 3986 6.2.2: `/x/%7E`, `/x/%7e`
	 * and `/x/~` are one URL; `/x/a%2Fb` is not `/x/a/b`), whichever client of the name stored them (an `extend()`ed one with
	 * other `sensitiveParams` keys a URL with other values removed). Rejects with `InvalidRequestError` when no URL results. A read of its path (any
	 * query) under way then, in any client of the name and store or any tab, stores no copy after it:
	 * nothing it removed comes back from a request made before. Rejects `CLIENT_CLOSED` once the client is closed (nothing removed).
	 */
	delete(url: string | URL): Promise<void>;
	/**
	 * Remove every stored copy (of every identity). Rejects (a `StorageTimeoutError` when the store
	 * did not answer within `storageTimeoutMs`) when the store could not list or confirm a delete: this
	 * client serves none of them again and retries the deletes with its next write, but another client
	 * on the store could still find them, so call it again. Rejects `CLIENT_CLOSED` once the client is closed.
	 */
	clear(): Promise<void>;
	/**
	 * The current identity's stored copies: URL (sensitive query values removed), status, when
	 * stored (epoch ms) and body size. Only those a failed read could be answered with: not one past its
	 * limit (`maxStaleMs`, its own `stale-if-error`), unreadable (reported as `storage:error`, operation `decode`), or stored
	 * before a write of its URL was delivered — each such record it meets is removed from the store, as a failed read removes
	 * it (an unreadable one reported once) — nor one a clear or `delete` made while it read removed. Of the identity signed in as it resolves; rejects with `InvalidRequestError` while the client's `identity()` fails.
	 */
	list(): Promise<CachedEntry[]>;
}

/** One stored copy, as `client.cache.list()` shows it. */
export interface CachedEntry {
	url: string;
	status: number;
	storedAt: number;
	bytes: number;
}

/** The member a stale cache gives the client. */
export interface CacheMembers {
	/** The stale cache's stored copies. */
	readonly cache: CacheHandle;
}

/** The stale cache's parts: its member for the client. */
export interface CacheParts extends PolicyParts {
	readonly members: CacheMembers;
}

/**
 * Remove the stored copies of every identity, or of one (the policy's `clear`, `client.clear()`).
 * Rejects when the store did not confirm it (see `View.drop`).
 */
export const clear = async ({ context, key, view, store }: CacheState, options?: { identity?: string }): Promise<void> => {
	const identity = options?.identity;
	// Before any await: a copy under way of any key is not written — of a clear of everything. Of one
	// identity's, its reads that started before store nothing more (their `world`); another's copy is written.
	view.mark(() => identity === undefined);
	context.cleared('cache', identity);
	const prefix = identity === undefined ? 'r:' : await key.who(identity);
	await view.drop(store, (stored) => stored.startsWith(prefix), true);
};

/**
 * The records of an identity's copies (of one URL, sensitive query values removed and `normalised`, when given: a key stored before keys were normalised too) that `serve` may answer with now (`usable`), in the store's order.
 * Any other goes from the store, as a serve meets it (serve.ts): one that is no record `write` gives (malformed, another build's, one holding a header the
 * cache never stores) reported as a serve reports it (`storage:error`, operation `decode`, its key: API.md "Sensitive data"), once; one past its limit not.
 * None a clear (all, or of the identity) or a removal of its path (`cache.delete`, a delivered write) noted while the store was read removed.
 * Each key once, however many times the store lists it.
 */
const records = async (cache: CacheState, identity: string | undefined, url?: string): Promise<CacheRecord[]> => {
	const { key, store, view } = cache;
	// The clears and removals from now on: a copy read before one is not shown after it (nor served: serve.ts).
	const reading = cache.context.world(identity);
	const prefix = await key.who(identity);
	// Each key once: a store of the app's own may list one twice (a log, segments that overlap), which would show its copy twice.
	const found = await Promise.all([...new Set(await store.keys())].filter((stored) => stored.startsWith(prefix) && (url === undefined || normalised(urlOf(stored)!) === url)).map(async (stored) => [stored, await store.get<unknown>(stored)] as const));
	const now = cache.context.clock.now();
	const gone: Array<Promise<void>> = [];
	const kept = found.filter(([stored, record]) => {
		if (record === undefined || usable(cache, stored, record, now)) {
			return record !== undefined;
		}

		if (!readable(cache, stored, record)) {
			storageError(cache.context, 'cache', 'decode', new TypeError('Unreadable cache record'), stored);
		}

		view.forget(stored);
		gone.push(store.delete(stored));
		return false;
	});
	await Promise.all(gone); // Never rejects (a failure is a `storage:error`), bounded by `storageTimeoutMs`.
	return kept.map(([, record]) => record as CacheRecord).filter((record) => reading.current('cache', pathOf(record.url)));
};

/**
 * `client.cache`: the stored copies, as the app sees them (API.md "Responses served from the stale cache"). Once
 * its client closed (`closed`), `delete` and `clear` reject `CLIENT_CLOSED`, nothing removed; `list` still answers.
 */
export const members = (cache: CacheState, closed: () => boolean): CacheHandle => ({
	async delete(url) {
		refuseClosed(closed);
		// Its copies of every identity and credential go (see `View.drop`): the URL's as given, and as a call of it goes out,
		// with the client's `searchParams` (the URL of a stored copy already has them).
		const { options } = cache.context;
		const resolved = callUrl(url, options);
		const targets = [resolved, withSearchParams(resolved, options.searchParams)].map((each) => normalised(withoutFragment(each)));
		// Before the first await, noted for every client of the name and every tab: a read of its path (both targets', the query
		// aside) under way stores no copy after it.
		cache.context.removed('cache', pathOf(resolved));

		// Each spelling's copies (`normalised`: `/x/%7E` is `/x/~`), as the note above names them; the keys stay as stored. A
		// key's URL holds the target without the values of the names it holds empty: the sensitive query values this client,
		// or another of the name (an `extend()`ed one with other `sensitiveParams`, an older build), removed.
		await cache.view.drop(cache.store, (stored) => {
			const at = normalised(urlOf(stored) ?? '');
			// Each such name as `redact` compares it (percent-decoded, lower-case: `secre%74=` is `secret`).
			const cut = new Set(at.split(/[?&;#]/).map((part) => part.endsWith('=') && new URLSearchParams(part).keys().next().value?.toLowerCase()));
			return targets.some((target) => redact(target, cut as Set<string>) === at);
		});
	},
	async clear() {
		refuseClosed(closed);
		return clear(cache);
	},
	list: async () => list(cache),
});

/**
 * `client.cache.list()`: the copies of the identity signed in as it answers — listed again when another signed in while the
 * store was read (alice's copies are not the answer in bob's session); rejects as a call does while `identity()` fails.
 */
const list = async (cache: CacheState): Promise<CachedEntry[]> => {
	const { identity } = cache.context.options;
	const who = knownIdentity(identity);
	const found = await records(cache, who);
	// Redacted again: a copy stored before a parameter was listed in sensitiveParams holds its value.
	return knownIdentity(identity) === who ? found.map((record): CachedEntry => ({ url: redact(record.url, cache.params), status: record.status, storedAt: record.storedAt, bytes: record.body.byteLength })) : list(cache);
};

/**
 * The validators (`etag`, `lastModified`) of the latest copy stored for an absolute URL and identity,
 * for the outbox's `conditional` writes (`PolicyContext.hooks.validatorOf`); with the write's `request`, only
 * of the copy a read of its credentials would be answered with (its key: another `Authorization`'s copy is not its).
 */
export const validatorOf = async (cache: CacheState, url: string, identity: string | undefined, request?: Request): Promise<{ etag?: string; lastModified?: string } | undefined> => {
	let latest: CacheRecord | undefined;
	const own = request && await cache.key.of(request, identity);
	const mine = own && await cache.store.get<unknown>(own);
	// Only a copy `serve` would answer with (not one stored before a write of its URL was delivered: its validator is the write's past).
	for (const record of request ? own && usable(cache, own, mine, cache.context.clock.now()) ? [mine] : [] : await records(cache, identity, normalised(redact(withoutFragment(url), cache.params)))) {
		if (record.storedAt >= (latest?.storedAt ?? 0)) {
			latest = record;
		}
	}

	const headers = latest && new Headers(latest.headers);
	const etag = headers?.get('etag');
	const lastModified = headers?.get('last-modified');
	return headers && { ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) };
};
