import type { ClientOf as Client } from '../core/client-types.js';
import type { BreakerMembers } from '../breaker/members.js';
import { originOf, scopeOfUrl } from '../core/scope.js';
import { classify } from '../errors/classify.js';
import { StaleAnswerError } from './stale-answer-error.js';
import { takes } from './takes.js';

/** What `refetchWhenBack` reads of a TanStack query's state (`Query['state']`). */
export interface RefetchingQueryState {
	fetchStatus: string;
	error: unknown;
	/** The last failed try's error of the fetch under way (a retry is pending while it is one). */
	fetchFailureReason?: unknown;
	/** What the fetch under way was started with (`fetchNextPage`'s direction; `null` for a plain fetch). */
	fetchMeta?: unknown;
}

/** What `refetchWhenBack` uses of a TanStack query (`Query`). */
export interface RefetchingQuery {
	state: RefetchingQueryState;
	/** Fetches the query (`Query['fetch']`): how a pending retry is replaced, also where `refetchQueries` would skip the query. */
	fetch?(options?: undefined, fetchOptions?: { cancelRefetch: boolean; meta?: object }): Promise<unknown>;
}

/** What `refetchWhenBack` uses of a TanStack `QueryClient` (any adapter's). */
export interface RefetchingQueryClient {
	refetchQueries(filters: { predicate: (query: RefetchingQuery) => boolean }): Promise<unknown>;
	cancelQueries?(filters: { predicate: (query: RefetchingQuery) => boolean }, options: { silent: boolean; revert: boolean }): Promise<unknown>;
}

/**
 * The scope a query gave up on: a stale answer's or a failure's URL (its scope as the client
 * computes it, `core/scope.ts` `scopeOfUrl`: an app policy's `scopeOf` or `breaker.scope`, else the
 * origin, a `blob:`, `data:` or `file:` URL's scheme; a stand-in client's `breaker(url).scope`), or an open breaker's scope; `undefined` for a failure
 * that is not a reason to wait for the scope (a 4xx, an abort, an error of the app's, a refusal of a
 * policy's own) and for one whose URL gives no scope (an `HTTPError` or a `StaleAnswerError` the app
 * made with a relative or missing URL). A failure is the origin's or the network's when `classify()` calls it transient: a
 * network failure, a timeout, a 5xx, 429 or 408 answer.
 */
const gaveUpOn = (api: Partial<BreakerMembers> & { [scopeOfUrl]?: (url: string) => string }, error: unknown): string | undefined => {
	try {
		const { code, transient, status } = classify(error);
		const url = error instanceof StaleAnswerError ? error.url
			: transient && (status || code === 'NETWORK' || code === 'TIMEOUT') ? (error as { request?: Request }).request?.url : undefined;
		return code === 'CIRCUIT_OPEN' ? (error as { scope?: string }).scope : url && (api[scopeOfUrl]?.(url) ?? api.breaker?.(url).scope ?? originOf(url));
	} catch {
		// An error the app made, its URL relative, missing or no string (`originOf` throws): no scope to wait for. A throw here,
		// inside TanStack's filters, would end `back` before the other queries were refetched.
		return undefined;
	}
};

/**
 * Refetch the queries waiting for a scope — those that gave up on a stale answer of any reason
 * (`StaleAnswerError`, `slow` included), a `CircuitOpenError`, a network failure or timeout, or an
 * answer `classify()` calls transient (a 5xx, 429 or 408: the one vocabulary of failure), and
 * those whose TanStack retry of such a failure is pending (the pending retry is replaced by a fetch
 * at once, also one no observer watches: a route loader's `fetchQuery`) — as soon as the scope answers again: an attempt to it got an answer `classify()` does not
 * call transient after failures or after a stale copy answered in its place (`scope:back`: in this tab, or in
 * another tab of the name, told here when this tab's own attempts failed or its copy answered, through the breaker's
 * channel: with `breaker: false` or `breaker: { share: false }` another tab's answer is not told), or its breaker closed (here or
 * in another tab: its closing reaches every tab). A query's scope is its
 * URL's (as given to `queryOptionsFor`), as the client computes it; a failure whose URL gives no scope
 * (an error the app made, its URL relative or missing) is not waited for, and never keeps the others
 * from being refetched. Returns the unsubscribe function.
 * A client without `on` or a `queryClient` without `refetchQueries` is a `TypeError` at once.
 */
export const refetchWhenBack = (api: Pick<Client, 'on'> & Partial<BreakerMembers>, queryClient: RefetchingQueryClient): (() => void) => {
	takes('refetchWhenBack', api, 'on');
	takes('refetchWhenBack', queryClient, 'refetchQueries');
	/** The state of each query whose pending retry this replaced: not replaced again until it changed (a try failed or succeeded). */
	const replaced = new WeakMap<RefetchingQuery, RefetchingQueryState>();
	const back = ({ scope }: { scope: string }): void => {
		const pending: RefetchingQuery[] = [];
		const retrying = (query: RefetchingQuery): boolean => {
			const { state } = query;
			const due = state.fetchStatus !== 'idle' && replaced.get(query) !== state && gaveUpOn(api, state.fetchFailureReason) === scope;
			if (due) {
				pending.push(query);
			}

			return due;
		};

		// A pending retry is cancelled silently (its fetch's promise follows the new one), then fetched now: by the query itself,
		// as `refetchQueries` skips one no observer watches that never settled (a `fetchQuery`'s, left cancelled and `fetching`).
		void queryClient.cancelQueries?.({ predicate: retrying }, { silent: true, revert: false });
		void queryClient.refetchQueries({ predicate: (query) => (pending.includes(query) && !query.fetch) || (query.state.fetchStatus === 'idle' && gaveUpOn(api, query.state.error) === scope) }).catch(() => undefined);
		for (const query of pending) {
			// With the replaced fetch's own `meta`, TanStack goes on with that fetch rather than starting one (its last
			// try's `failureReason` kept: `shown` shows that try's stale copy meanwhile, as a plain retry would), unless
			// it is paused: then it is started again.
			const { fetchStatus, fetchMeta } = query.state;
			void query.fetch?.(undefined, { cancelRefetch: true, ...(fetchStatus === 'fetching' && { meta: fetchMeta as object }) }).catch(() => undefined);
			replaced.set(query, query.state);
		}
	};

	const offs = [api.on('scope:back', back), api.on('breaker:closed', back)];
	return () => {
		for (const off of offs) {
			off();
		}
	};
};
