import type { StaleReason } from '../cache/stale-response.js';
import type { ClientOf as Client } from '../core/client-types.js';
import { breakerClock, type BreakerMembers } from '../breaker/members.js';
import type { CallOptions } from '../core/options.js';
import { classify } from '../errors/classify.js';
import { bodyOf } from './body.js';
import { absoluteUrl } from './absolute-url.js';
import { StaleAnswerError } from './stale-answer-error.js';
import { wallNow } from '../utils/clock.js';
import { takes } from './takes.js';
import { describe } from '../utils/validate.js';

/** An answer of a service worker's client whose call is never retried (`Steadfetch-Retriable: false`: steadfetch/sw). */
const unretried = (response: Response | undefined): boolean => response?.headers?.get?.('steadfetch-retriable') === 'false';

/** The time of the client's breaker's clock (an injected one: its `reopensAt` is that clock's time); a stand-in's, `Date.now()`. */
const clientNow = (api: Partial<BreakerMembers>): number => (api.breaker as { [breakerClock]?: { now(): number } } | undefined)?.[breakerClock]?.now() ?? wallNow();

/**
 * TanStack's `retry`: only what may succeed later (`classify(error).transient`: never a 4xx, not
 * while offline), at most twice after the first try; each try already holds steadfetch's own
 * retries — and never a timeout the client marked `totalTimeoutSpent` (the call's whole
 * `totalTimeout` was spent, its retries inside it), nor an error that says it is never retried
 * (`retriable: false`: `adaptiveThrottle()`'s refusal, an isolated scope's, or a copy or `fallback` served for either;
 * through a service worker, its answer's `Steadfetch-Retriable: false`).
 * `error` is typed `Error` (TanStack's default `TError`, what every failure here is): a parameter
 * typed `unknown` would make TanStack infer `TError = unknown` for the whole query. Yet an app's code may throw
 * anything, `null` too: read with `?.` (a throw here would leave TanStack's fetch pending for ever).
 */
const retry = (failureCount: number, error: Error): boolean =>
	failureCount < 2 && !(error as { totalTimeoutSpent?: boolean } | null)?.totalTimeoutSpent && (error as { retriable?: boolean } | null)?.retriable !== false
	&& !unretried((error as { response?: Response } | null)?.response) && (error instanceof StaleAnswerError ? error.reason !== 'offline' && error.reason !== 'throttled' : classify(error).transient);

/** What `queryOptionsFor` returns: spread it into `useQuery`, `queryOptions`, `QueryObserver`… */
export interface SteadfetchQueryOptions<T> {
	/** GETs the URL through the client; a stale answer (the origin failed) throws `StaleAnswerError`. Called by the app without a context (or a `signal`), the call has the options' own signal alone. */
	queryFn: (context: { signal: AbortSignal }) => Promise<T>;
	/**
	 * Fixed: at most 2 retries after the first try, of transient failures only (`classify(error).transient`,
	 * or a stale answer not served offline), each try already holding steadfetch's own retries; never
	 * one `adaptiveThrottle()` refused (`ThrottledError`, or a copy served for it: `throttled`), nor the
	 * `CircuitOpenError` of a scope `breaker.isolate()` opened (open until reset: a retry would wait `maxOpenMs` for the same
	 * refusal), each never retried (`retriable: false`), as steadfetch does not retry it itself; nor the stale copy or the
	 * `fallback` answer served for either (the client marks the response `retriable: false`), nor any of these answered by
	 * a service worker's client (`fetchHandler`: its answer says `Steadfetch-Retriable: false`). Never
	 * a call that ended because its `totalTimeout` was spent: the client marks that `TimeoutError`
	 * `totalTimeoutSpent: true` (a per-attempt `timeout` with time left is not marked and is retried),
	 * so a first load against a hanging origin shows its error within `totalTimeout`. Never once the options' own `signal`
	 * is aborted (an `AbortSignal.timeout(ms)` that ended the call, a controller the app aborted with a reason of its own):
	 * every retry would end at once on it.
	 */
	retry: (failureCount: number, error: Error) => boolean;
	/**
	 * The error's `retryAfterMs` when it has one (when the breaker lets a request through, or the rate
	 * limiter lets the call go), else while the breaker of the query's URL is open (the failure opened it: a
	 * 429 or 503 with `Retry-After`, the last of its failures) when it lets a request through, else the
	 * `Retry-After` of the answer the call failed with, in seconds (a 429 or 503 and no breaker: ky's `HTTPError`; an
	 * HTTP-date is not read there), else TanStack's own backoff: 1 s doubling, 30 s at most; always between 0 and
	 * 2 147 483 647 ms, what a timer holds (a longer wait, a slow bucket's `RateLimitedError`'s, would fire at once),
	 * and a `retryAfterMs` that is no number (`NaN`) is none. Never throws (TanStack calls it at every failure, before
	 * `retry`): a query of a URL the client cannot resolve rejects with its `InvalidRequestError`, never pending.
	 */
	retryDelay: (failureCount: number, error: Error) => number;
	/** steadfetch decides what offline means (it has a copy to serve, an outbox to queue in), not `navigator.onLine`. */
	networkMode: 'always';
	/**
	 * `steadfetchUrl`: the absolute URL the query's calls go to, as the client resolves it (`prefix`,
	 * `baseUrl`: the call options' own when they give them; their `searchParams` appended), the values of its sensitive query
	 * parameters removed (`sensitiveParams`: a persister stores `meta`), by which `syncInvalidation` finds the queries a delivered write touches. A `meta`
	 * the app spreads after it replaces it (keep `steadfetchUrl` in it for `syncInvalidation`).
	 */
	meta: { steadfetchUrl: string };
}

/**
 * Query options for a GET through steadfetch, parsed as JSON (`null` for an answer without a body,
 * and for none: a call a `beforeRetry` hook stopped with `ky.stop`):
 * `useQuery({ queryKey: ['user', 1], ...queryOptionsFor<User>(api, 'users/1') })`.
 *
 * - A copy from the stale cache is a failure, not data: the `queryFn` throws `StaleAnswerError`, so
 *   TanStack keeps `dataUpdatedAt` (the last fresh answer), retries, and refetches at the next
 *   trigger whatever `staleTime` says; `shown(result)` shows the copy meanwhile. So is the client's
 *   `fallback` answer (`reason: 'fallback'`, `storedAt` 0): `shown` shows it only while TanStack has
 *   no data, with age 0, as a placeholder.
 * - TanStack's retries are planned: transient failures only, twice at most, each one when the
 *   breaker lets a request through (or at once, with `refetchWhenBack`, when its scope answers or
 *   its breaker closes in any tab); never after a call whose `totalTimeout` was spent (its
 *   `TimeoutError` is marked `totalTimeoutSpent: true` by the client).
 * - `networkMode: 'always'`: offline, steadfetch answers from its cache instead of TanStack pausing.
 * - `meta: { steadfetchUrl }`: the absolute URL (as the client resolves it), for `syncInvalidation`.
 *
 * Options after the spread override these. `options` are the call's (ky's and steadfetch's);
 * TanStack's `signal` and the options' own `signal` both end the call (cancelling the query, or
 * aborting the app's controller, aborts it). The data is parsed as the call's `.json()` parses it
 * (ky's `parseJson`: the call's, else the client's), a stale copy's too. Times are `Date.now()`'s,
 * as TanStack's are. A client without `get` is a `TypeError` at once; a `url` (or the options' `prefix` or
 * `baseUrl`) that is no URL, not even text (a Symbol, an object without `toString`), is never a throw
 * here: the `queryFn` rejects with the call's `InvalidRequestError` (`meta.steadfetchUrl` is then `''`), as it does for
 * `options` whose reading throws (a getter, a Proxy).
 */
export const queryOptionsFor = <T>(api: Pick<Client, 'get'> & Partial<BreakerMembers>, url: string | URL, options?: CallOptions): SteadfetchQueryOptions<T> => {
	takes('queryOptionsFor', api, 'get');
	const steadfetchUrl = absoluteUrl(api, url, options);
	return {
		async queryFn(context) {
			// TanStack always gives its context; an app's own call of the `queryFn` (a route loader) may give none.
			const signal = (context as { signal: AbortSignal } | undefined)?.signal as AbortSignal;
			// Options that are no object (`5`, `null`, a list), or whose reading throws (a getter, a Proxy), go to the call as
			// given: it rejects with its `InvalidRequestError`, as `api.get(url, 5)` does, instead of being spread away (`{ ...5 }`
			// is `{}`) or rejecting with the app's own error. Either signal ends the call: TanStack's (the query cancelled) and
			// the options' own (one that is no signal goes as given: the call rejects).
			let given = options;
			try {
				const own = options?.signal;
				given = options === undefined || (typeof options === 'object' && options && !Array.isArray(options))
					? { ...options, signal: own instanceof AbortSignal && signal instanceof AbortSignal ? AbortSignal.any([own, signal]) : own ?? signal } : options;
			} catch {}

			const call = api.get(url, given);
			const response = await call;
			// TanStack takes no `undefined` data: an answer without a body (a 204) is `null`, and so is none (a
			// `beforeRetry` hook's `ky.stop` resolves the call `undefined`, as ky's does).
			const data = (await bodyOf(call, response) ?? null) as T;
			// steadfetch answered in the origin's place: a stale copy (`Cache-Status: steadfetch; hit; ttl=…;
			// detail=<reason>[; pending-writes=<n>]`, `Age`) or a `fallback` (`steadfetch; fwd=miss;
			// detail=fallback`: no copy, no age, and no URL of its own: the query's).
			const status = response?.headers.get('cache-status') ?? '';
			const reason = status.startsWith('steadfetch;') && /detail=([^;\s]+)/.exec(status)?.[1];
			if (reason) {
				const now = wallNow();
				// The answer's own URL (a redirect's end, the page's for its service worker's copy) without its sensitive query values, as every URL the client shows.
				const at = response.url ? absoluteUrl(api, response.url) : steadfetchUrl;
				const { state, reopensAt } = api.breaker?.(at) ?? {};
				// Only a stale copy (cache/is-stale.ts `cacheStatusPrefix`; not imported: that would split a chunk off the cache's) has an age:
				// a `fallback` Response keeps the headers it was made with (one from the Cache API, a CDN's `Age`), yet is a placeholder.
				const age = status.startsWith('steadfetch; hit;') && response.headers.get('age');
				// A `fallback` answer for a failure that is not transient (a 403) is not retried (`retriable: false`, set by the client).
				throw Object.assign(new StaleAnswerError(data, age ? now - Number(age) * 1_000 : 0, reason, state === 'open' && reopensAt ? reopensAt - clientNow(api) : undefined, at, Number(/pending-writes=(\d+)/.exec(status)?.[1] ?? 0)),
					((response as { retriable?: false }).retriable === false || unretried(response)) && { retriable: false });
			}

			return data;
		},
		// A call the options' own signal ended (an `AbortSignal.timeout()`, a controller aborted with a reason of the app's) is
		// never retried: every retry would end at once on that signal. Read on failure only; options whose reading throws: as `retry`.
		retry(failureCount, error) {
			let ended: unknown;
			try {
				ended = (options?.signal as AbortSignal | undefined)?.aborted;
			} catch {}

			return !ended && retry(failureCount, error);
		},
		// The error's own `retryAfterMs` when it has one — when the breaker lets a request through (`CircuitOpenError`, a stale
		// answer while the breaker is open) or the rate limiter lets the call go (`RateLimitedError`) — else, while the breaker of
		// the query's URL is open (the failure opened it: a `Retry-After`, the last of its failures; open means `reopensAt` is
		// ahead), until it lets a request through; else the failed answer's own `Retry-After` in seconds (ky's `HTTPError` keeps
		// the answer: a client with no breaker); else TanStack's own backoff (1 s doubling, 30 s at most).
		retryDelay(failureCount, error) {
			// TanStack calls `retryDelay` at every failure, before `retry`: a throw here leaves its fetch pending for ever. A URL
			// the client cannot resolve (the call rejected with `InvalidRequestError`) has no breaker: `breaker(url)` throws.
			let breaker: { state?: string; reopensAt?: number } | undefined;
			try {
				breaker = api.breaker?.(steadfetchUrl);
			} catch {}

			const { state, reopensAt } = breaker ?? {};
			// Its delay-seconds form only: an HTTP-date's reader (utils/runtime.ts `httpDate`) would double these helpers' bytes for a
			// form 429 and 503 answers rarely use.
			const after = /^\s*(\d+)\s*$/.exec((error as { response?: Response } | null)?.response?.headers?.get?.('retry-after') ?? '')?.[1];
			const own = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
			const delay = typeof own === 'number' && !Number.isNaN(own) ? own : state === 'open' && reopensAt ? reopensAt - clientNow(api)
				: after ? Number(after) * 1_000 : Math.min(1_000 * 2 ** failureCount, 30_000);
			// TanStack's timer fires a longer wait (past 2^31 − 1 ms) or NaN at once: a retry now, spent on the same refusal.
			return Math.min(Math.max(delay, 0), 2_147_483_647);
		},
		networkMode: 'always',
		meta: { steadfetchUrl },
	};
};

/** What `shown` reads of a query's result (`UseQueryResult` and the other adapters' results have it). */
export interface ShownQuery<T> {
	data: T | undefined;
	dataUpdatedAt: number;
	failureReason: unknown;
	/** The query's error (TanStack keeps it during a refetch when it has data). */
	error?: unknown;
	/** `'fetching'` while a fetch is under way (TanStack then clears `failureReason`). */
	fetchStatus?: string;
	/** When the query last failed (0: never): with `dataUpdatedAt`, which query of an observer a remembered copy is of. */
	errorUpdatedAt?: number;
	/** The observer's `refetch`: one function per observer, by which `shown` remembers its last stale copy while it refetches. */
	refetch?: unknown;
}

/** What `shown` gives: the data to show, its age, and why it is a stale copy (if it is one). */
export interface Shown<T> {
	/** The newest data TanStack or steadfetch has: a stale copy when it is newer than TanStack's. */
	data: T | undefined;
	/** How old `data` is, in ms (0 when there is none, or it is a placeholder: TanStack's `dataUpdatedAt` 0); never below 0. */
	ageMs: number;
	/**
	 * Why the last try was answered by a stale copy: its `detail` (`offline`, `network`, `timeout`,
	 * `slow`, `http-5xx`, `circuit-open`, `throttled`…), or `fallback` by the client's `fallback`;
	 * undefined when it was not (fresh data, still loading, or a failure no copy answered: see the
	 * query's `error`).
	 */
	reason: StaleReason | undefined;
	/** True only when `reason` is `offline` (the device is offline): a 5xx, an open breaker or a timeout is not. */
	offline: boolean;
	/**
	 * While the last try was answered by a stale copy (`reason` is set; `data` may be TanStack's newer
	 * data, an optimistic update): how many of the current identity's writes to its URL are still
	 * pending in the outbox (the copy's `Cache-Status … pending-writes=N`), so the app can say "your
	 * change is not sent yet"; 0 when none, or when `reason` is undefined (a fresh answer says nothing
	 * of pending writes: the outbox's `list()` does).
	 */
	pendingWrites: number;
}

/**
 * The last stale copy of each observer (by its `refetch`) and the `dataUpdatedAt` and
 * `errorUpdatedAt` it was seen with: TanStack clears `failureReason` when a fetch starts (and `error`
 * too when it has no data), so while the query refetches the copy is the one seen last. Both times
 * tell the query apart from another one the observer moved to (a new `queryKey`: the same `refetch`),
 * which never shows it; both 0 (no data, no error yet) tell nothing, so no copy is remembered then. Weak: an observer gone takes its copy with it.
 */
const lastCopy = new WeakMap<object, [StaleAnswerError, number, number | undefined]>();

const stale = (error: unknown): StaleAnswerError | undefined => error instanceof StaleAnswerError ? error : undefined;

/**
 * The stale answer a result shows: the last try's (`failureReason`; null once a try succeeds), else
 * while a fetch is under way the query's `error` or the copy this observer showed of this query
 * before the fetch started, as long as no fresh answer came since (`dataUpdatedAt` and
 * `errorUpdatedAt` unchanged).
 */
const shownFailure = ({ failureReason, error, fetchStatus, dataUpdatedAt, errorUpdatedAt, refetch }: ShownQuery<unknown>): StaleAnswerError | undefined => {
	const key = typeof refetch === 'function' ? refetch : undefined;
	const seen = key && lastCopy.get(key);
	const fetching = fetchStatus === 'fetching';
	// A query that never got data nor an error (both times 0) is not told apart from another key's first load: its copy
	// is the last try's `failureReason` (`refetchWhenBack` keeps it when it replaces a pending retry), never remembered.
	const copy = stale(failureReason) ?? (fetching ? stale(error) ?? (seen && (dataUpdatedAt || errorUpdatedAt) && seen[1] === dataUpdatedAt && seen[2] === errorUpdatedAt ? seen[0] : undefined) : undefined);
	if (key && copy) {
		lastCopy.set(key, [copy, dataUpdatedAt, errorUpdatedAt]);
	} else if (key && !fetching) {
		lastCopy.delete(key);
	}

	return copy;
};

/**
 * What to show: the newest data TanStack or steadfetch has, its age (ms), and why it is a stale copy
 * (`reason`, the copy's `detail`; `offline` only when that is `offline`). Never an error's message:
 * show `reason`, or your own words for the query's `error`. Anything but an object as `result`, or a `now` (epoch ms,
 * `Date.now()` when not given; a `Date` is its time) that is no finite number (a string, `NaN`, `null`), is a TypeError saying what it takes.
 */
export const shown = <T>(result: ShownQuery<T>, now = wallNow()): Shown<T> => {
	// No result (a query not made yet, a typo): said, not read as one without data.
	if (typeof result !== 'object' || !result) {
		throw new TypeError(`\`shown\` needs a query's result; got ${describe(result)}`);
	}

	// A time that is no number (a string, NaN) would make every age NaN; a Date is its time, as `-` always read it.
	if (!Number.isFinite((now as unknown) instanceof Date ? Number(now) : now)) {
		throw new TypeError(`\`shown\` needs \`now\` in epoch ms (a finite number) or nothing; got ${describe(now)}`);
	}

	const failure = shownFailure(result);
	const reason = failure?.reason;
	// The copy, when it is newer than what TanStack holds; else TanStack's data (age 0 when there is none or it is a placeholder).
	const [data, at] = failure && (result.data === undefined || failure.storedAt > result.dataUpdatedAt)
		? [failure.staleData as T, failure.storedAt || now]
		: [result.data, (result.data !== undefined && result.dataUpdatedAt) || now];
	return { data, ageMs: Math.max(0, now - at), reason, offline: reason === 'offline', pendingWrites: failure?.pendingWrites ?? 0 };
};
