import { isStale } from '../cache/is-stale.js';
import type { StaleReason } from '../cache/stale-response.js';
import type { ClientOf as Client } from '../core/client-types.js';
import type { BreakerMembers } from '../breaker/members.js';
import type { CallOptions } from '../core/options.js';
import { classify } from '../errors/classify.js';
import { bodyOf } from './body.js';
import { StaleAnswerError } from './stale-answer-error.js';

/**
 * TanStack's `retry`: only what may succeed later (`classify(error).transient`: never a 4xx, not
 * while offline), at most twice after the first try; each try already holds steadfetch's own
 * retries. `error` is typed `Error` (TanStack's default `TError`, what every failure here is): a
 * parameter typed `unknown` would make TanStack infer `TError = unknown` for the whole query.
 */
const retry = (failureCount: number, error: Error): boolean =>
	failureCount < 2 && (error instanceof StaleAnswerError ? error.reason !== 'offline' : classify(error).transient);

/**
 * TanStack's `retryDelay` (ms): the error's own `retryAfterMs` when it has one — when the breaker
 * lets a request through (`CircuitOpenError`, a stale answer while the breaker is open) or the rate
 * limiter lets the call go (`RateLimitedError`) — else TanStack's own backoff (1 s doubling, 30 s at most).
 */
const retryDelay = (failureCount: number, error: Error): number =>
	(error as { retryAfterMs?: number }).retryAfterMs ?? Math.min(1_000 * 2 ** failureCount, 30_000);

/** What `queryOptionsFor` returns: spread it into `useQuery`, `queryOptions`, `QueryObserver`… */
export interface SteadfetchQueryOptions<T> {
	/** GETs the URL through the client; a stale answer (the origin failed) throws `StaleAnswerError`. */
	queryFn: (context: { signal: AbortSignal }) => Promise<T>;
	/**
	 * Fixed: at most 2 retries after the first try, of transient failures only (`classify(error).transient`,
	 * or a stale answer not served offline), each try already holding steadfetch's own retries.
	 */
	retry: (failureCount: number, error: Error) => boolean;
	/**
	 * The error's `retryAfterMs` when it has one (when the breaker lets a request through, or the rate
	 * limiter lets the call go), else TanStack's own backoff: 1 s doubling, 30 s at most.
	 */
	retryDelay: (failureCount: number, error: Error) => number;
	/** steadfetch decides what offline means (it has a copy to serve, an outbox to queue in), not `navigator.onLine`. */
	networkMode: 'always';
}

/**
 * Query options for a GET through steadfetch, parsed as JSON (`null` for an answer without a body):
 * `useQuery({ queryKey: ['user', 1], ...queryOptionsFor<User>(api, 'users/1') })`.
 *
 * - A copy from the stale cache is a failure, not data: the `queryFn` throws `StaleAnswerError`, so
 *   TanStack keeps `dataUpdatedAt` (the last fresh answer), retries, and refetches at the next
 *   trigger whatever `staleTime` says; `shown(result)` shows the copy meanwhile.
 * - TanStack's retries are planned: transient failures only, twice at most, each one when the
 *   breaker lets a request through.
 * - `networkMode: 'always'`: offline, steadfetch answers from its cache instead of TanStack pausing.
 *
 * Options after the spread override these. `options` are the call's (ky's and steadfetch's);
 * TanStack's `signal` is used for the call. Times are `Date.now()`'s, as TanStack's are.
 */
export const queryOptionsFor = <T>(api: Pick<Client, 'get'> & Partial<BreakerMembers>, url: string | URL, options?: CallOptions): SteadfetchQueryOptions<T> => ({
	async queryFn({ signal }) {
		const response = await api.get(url, { ...options, signal });
		// TanStack takes no `undefined` data: an answer without a body (a 204) is `null`.
		const data = (await bodyOf(response) ?? null) as T;
		// `Cache-Status: steadfetch; hit; ttl=…; detail=<reason>` (detail last).
		const reason = isStale(response) ? response.headers.get('cache-status')!.split('detail=')[1] as StaleReason : 'revalidate';
		if (reason !== 'revalidate') {
			const now = Date.now();
			const { state, reopensAt } = api.breaker?.(response.url) ?? {};
			throw new StaleAnswerError(data, now - Number(response.headers.get('age')) * 1_000, reason, state === 'open' && reopensAt ? reopensAt - now : undefined, response.url);
		}

		return data;
	},
	retry,
	retryDelay,
	networkMode: 'always',
});

/** What `shown` reads of a query's result (`UseQueryResult` and the other adapters' results have it). */
export interface ShownQuery<T> {
	data: T | undefined;
	dataUpdatedAt: number;
	failureReason: unknown;
}

/** What `shown` gives: the data to show, its age, and why it is a stale copy (if it is one). */
export interface Shown<T> {
	/** The newest data TanStack or steadfetch has: a stale copy when it is newer than TanStack's. */
	data: T | undefined;
	/** How old `data` is, in ms (0 when there is none). */
	ageMs: number;
	/**
	 * Why the last try was answered by a stale copy: its `detail` (`offline`, `network`, `timeout`,
	 * `slow`, `http-5xx`, `circuit-open`, `throttled`…); undefined when it was not (fresh data, still
	 * loading, or a failure no copy answered: see the query's `error`).
	 */
	reason: StaleReason | undefined;
	/** True only when `reason` is `offline` (the device is offline): a 5xx, an open breaker or a timeout is not. */
	offline: boolean;
}

/**
 * What to show: the newest data TanStack or steadfetch has, its age (ms), and why it is a stale copy
 * (`reason`, the copy's `detail`; `offline` only when that is `offline`). Never an error's message:
 * show `reason`, or your own words for the query's `error`.
 */
export const shown = <T>(result: ShownQuery<T>, now = Date.now()): Shown<T> => {
	const failure = result.failureReason; // the last try's error; null once a try succeeds
	const reason = failure instanceof StaleAnswerError ? failure.reason : undefined;
	// The copy, when it is newer than what TanStack holds; else TanStack's data (age 0 when there is none).
	const [data, at] = reason && (result.data === undefined || (failure as StaleAnswerError).storedAt > result.dataUpdatedAt)
		? [(failure as StaleAnswerError).staleData as T, (failure as StaleAnswerError).storedAt]
		: [result.data, result.data === undefined ? now : result.dataUpdatedAt];
	return { data, ageMs: now - at, reason, offline: reason === 'offline' };
};
