import { pathOf } from '../cache/keys.js';
import { touchedBy } from '../cache/superseded.js';
import type { ClientOf as Client } from '../core/client-types.js';
import { canParse, describe } from '../utils/validate.js';
import { takes } from './takes.js';

/**
 * A delivered write as `touches` gets it: its method and absolute URL (sensitive query values removed). Heard from
 * another tab, a URL over 8 192 characters comes without its query string (its path is what the queries match).
 */
export interface DeliveredWrite {
	method: string;
	url: string;
}

/** What `syncInvalidation` reads of a TanStack query (`Query`): its `meta`, where `queryOptionsFor` put `steadfetchUrl`. */
export interface InvalidatingQuery {
	readonly meta?: Readonly<Record<string, unknown>> | undefined;
	/** `'fetching'` while a fetch is under way (`Query['state']`). */
	readonly state?: { readonly fetchStatus: string } | undefined;
	/** Fetches the query (`Query['fetch']`): how a fetch under way when a write was delivered is replaced. */
	fetch?(options?: undefined, fetchOptions?: { cancelRefetch: boolean }): Promise<unknown>;
}

/** What `syncInvalidation` uses of a TanStack `QueryClient` (any adapter's). */
export interface InvalidatingQueryClient {
	invalidateQueries(filters: { predicate: (query: InvalidatingQuery) => boolean } | { queryKey: readonly unknown[] }): Promise<unknown>;
	cancelQueries?(filters: { predicate: (query: InvalidatingQuery) => boolean; queryKey?: readonly unknown[] }, options: { silent: boolean; revert: boolean }): Promise<unknown>;
}

/** `syncInvalidation`'s options. */
export interface SyncInvalidationOptions {
	/**
	 * More to invalidate for a delivered write, besides the queries of its URL, its collection or its
	 * parent path: each string an absolute URL (the queries made with `queryOptionsFor` for it or one
	 * of its query-string variants), each array a query key (the queries whose key starts with it, as
	 * `invalidateQueries({ queryKey })` matches). Called for every delivered write, in every tab. One
	 * that throws, or returns something else, adds nothing for that write (the URL's own matches still
	 * go) and its error is rethrown asynchronously, as a throwing event listener's is.
	 * @default undefined (nothing more)
	 * @example touches: ({ url }) => url.includes('/orders') ? [['cart'], 'https://api.example.com/v1/stock'] : []
	 */
	touches?: ((write: DeliveredWrite) => ReadonlyArray<string | readonly unknown[]>) | undefined;
}

/** Rethrown asynchronously (the console, `window.onerror`, an `uncaughtException`), as the client does for a throwing listener. */
const report = (error: unknown): void => {
	queueMicrotask(() => {
		throw error;
	});
};

/** What `touches` returned, checked: the paths of its URLs and its query keys; an entry of another kind is reported and skipped. */
const extra = (touched: unknown, paths: Set<string>, keys: Array<readonly unknown[]>): void => {
	if (!Array.isArray(touched)) {
		report(new TypeError(`\`touches\` must return an array of absolute URLs and query keys; got ${describe(touched)}`));
		return;
	}

	for (const entry of touched as unknown[]) {
		if (Array.isArray(entry)) {
			keys.push(entry);
		} else if (typeof entry === 'string' && canParse(entry)) {
			paths.add(pathOf(new URL(entry).href));
		} else {
			report(new TypeError(`\`touches\` returned ${describe(entry)}: not an absolute URL nor a query key`));
		}
	}
};

/**
 * Invalidate, in every tab, what a delivered write makes outdated: on each `write:delivered` (a
 * write of any client of `api`'s name answered below 400, at once or by an outbox replay, in this
 * tab or another tab or worker), the queries made with `queryOptionsFor` whose URL
 * (`meta.steadfetchUrl`) is the written URL, the collection a POST went to or the parent path of a
 * PUT, PATCH or DELETE (`/todos` for `/todos/1`) — each with any query string (`/todos?page=2`) —
 * plus what `touches(write)` returns. TanStack's `broadcastQueryClient` is not needed for this.
 * A query of the write's URL (or of what `touches` returns) that is fetching when the write is delivered (a first load, a `fetchQuery` or
 * `prefetchQuery` no observer watches, which TanStack's invalidation lets go on) asked before the write: that fetch is
 * cancelled (its request aborted: no failure of the origin's) and the query fetched again, its promise following the new fetch, so
 * no answer older than the write lands as fresh data.
 * Returns the unsubscribe function. A `touches` that is not a function, or options that are not an
 * object, are a `TypeError` at once.
 *
 * @example useEffect(() => syncInvalidation(api, queryClient), [queryClient]);
 */
export const syncInvalidation = (api: Pick<Client, 'on'>, queryClient: InvalidatingQueryClient, options?: SyncInvalidationOptions): (() => void) => {
	takes('syncInvalidation', api, 'on');
	takes('syncInvalidation', queryClient, 'invalidateQueries');

	// A list too: its `touches` would read as none.
	if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
		throw new TypeError(`\`syncInvalidation\`'s options must be an object ({ touches? }); got ${describe(options)}`);
	}

	const touches = options?.touches;
	if (touches !== undefined && typeof touches !== 'function') {
		throw new TypeError(`\`touches\` must be a function ({ method, url }) => Array<string | QueryKey>; got ${describe(touches)}`);
	}

	return api.on('write:delivered', ({ method, url }) => {
		const paths = new Set(touchedBy(method, url));
		const keys: Array<readonly unknown[]> = [];
		if (touches) {
			try {
				extra(touches({ method, url }), paths, keys);
			} catch (error) {
				report(error);
			}
		}

		const mine = (query: InvalidatingQuery): boolean => {
			const at = query.meta?.['steadfetchUrl'];
			return typeof at === 'string' && paths.has(pathOf(at));
		};

		// A fetch under way asked before the write: TanStack's invalidation keeps one with no data or no observer, and its
		// answer would land as fresh. Cancelled silently (its promise follows the next fetch), then fetched again below.
		const fetching: InvalidatingQuery[] = [];
		const under = (query: InvalidatingQuery): boolean => query.state?.fetchStatus === 'fetching' && !!query.fetch && fetching.push(query) > 0;
		const cancel = { silent: true, revert: false };
		void queryClient.cancelQueries?.({ predicate: (query) => mine(query) && under(query) }, cancel);
		for (const queryKey of keys) {
			void queryClient.cancelQueries?.({ queryKey, predicate: under }, cancel);
		}

		void queryClient.invalidateQueries({ predicate: mine }).catch(report);
		for (const queryKey of keys) {
			void queryClient.invalidateQueries({ queryKey }).catch(report);
		}

		for (const query of fetching) {
			// Refetched by the invalidation already (an observed query), or met twice: joined, not fetched twice.
			void query.fetch!(undefined, { cancelRefetch: false }).catch(() => undefined);
		}
	});
};
