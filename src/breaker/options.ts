import { canParse, check, checkRules, isPositiveFinite, isPositiveInteger, isPositiveTimerMs, positiveTimerMs, type Rule } from '../utils/validate.js';
import type { Settings } from './circuit.js';
import type { SharedBreaker } from './shared.js';

/**
 * Options of the per-scope circuit breaker (`breaker`).
 *
 * The breaker is a per-attempt layer: every attempt, retries included, is counted in its scope
 * (the URL's origin by default). While it is open, calls to the scope reject at once with a
 * `CircuitOpenError` (no network I/O, not retried). There are no timers: open and half-open are
 * derived from the injected clock when a call or `client.breaker(url)` (or `stats()`) asks, and
 * `breaker:half-open` is told then, to the first that finds the open period over.
 *
 * @example
 * const api = createClient({ breaker: { consecutiveFailures: 3, openMs: 10_000 } });
 * api.on('breaker:open', ({ scope, reason, reopensAt }) => console.warn(scope, reason, reopensAt));
 */
export interface BreakerOptions {
	/**
	 * Open after this many failures in a row in one scope. A positive integer. With `share` (default),
	 * failures in a row are counted across the tabs of the client's `name` and across reloads (as is
	 * the failure-ratio window); with `shared`, across the fleet.
	 * @default 5
	 */
	consecutiveFailures?: number;
	/**
	 * Open when failures make up at least this share of the calls in the last `windowMs`
	 * (and there were at least `minimumThroughput` of them). In (0, 1].
	 * @default 0.5
	 */
	failureRatio?: number;
	/**
	 * Length of the failure-ratio window, in ms. A positive finite number (no upper bound); one under 1 ms counts as 1 ms.
	 * @default 30_000
	 */
	windowMs?: number;
	/**
	 * Calls needed in the window before the failure ratio can open the breaker. A positive integer.
	 * @default 10
	 */
	minimumThroughput?: number;
	/**
	 * How long the breaker stays open the first time, in ms. Each re-open without a full close in
	 * between doubles it, up to `maxOpenMs`.
	 * @default 5_000
	 */
	openMs?: number;
	/**
	 * The longest the breaker stays open, in ms (also caps a server's `Retry-After`, and any open
	 * period read from the store, another tab or a coordinator). At least `openMs`.
	 * @default 300_000
	 */
	maxOpenMs?: number;
	/**
	 * Calls let through as probes once the open period is over (across all tabs when shared); the
	 * others fail fast. The first probe to succeed closes the breaker, the first to fail re-opens it
	 * for the next, longer period. A probe that has not settled within its attempt timeout (ky's
	 * `timeout`: its call's own when it gives one, else the client's, 10 s by default; `maxOpenMs`
	 * when `timeout` is `false`) counts as failed. A probe
	 * the caller aborts counts as nothing and frees its slot. A positive integer.
	 * @default 1
	 */
	halfOpenProbes?: number;
	/**
	 * The half-open probe, sent instead of a caller's request: a URL relative to the scope (`'/health'`
	 * against the origin), an absolute http(s) URL (sent as it is: with a custom `scope`, which is no URL to
	 * resolve against, give this or a function) or `(scope) => Request`, answering at once; any other (`'localhost:3000/health'`,
	 * a host typed without its scheme, an `async` function) is a RangeError at `createClient`. It goes straight to the transport (no hooks, no
	 * retries, bounded by the attempt timeout). Unlike a caller's attempt (see `isFailure`), any
	 * answer under 400 closes the breaker and any other (a 404 too) re-opens it: a health URL that
	 * answers 404 is not healthy. A steadfetch service worker's stale copy is no answer of the origin's: one for a network
	 * failure, a timeout or a 5xx (`detail=network`, `timeout`, `http-5xx`) re-opens it, one for another reason is no probe. No answer (a network failure, its timeout) re-opens it too, as does a probe that cannot be
	 * made; a refusal of the client's own as it goes (an app's policy below the breaker, a steadfetch service worker's `503`
	 * whose `Steadfetch-Error` is not `NETWORK`, `TIMEOUT` or an HTTP one) or an error of the app's `fetch`
	 * that is no network failure is no probe, as for a caller's attempt (the scope stays half-open). Callers keep failing fast (or being answered stale) until it
	 * succeeds, and `client.waitForHealthy()` sends it each time the breaker lets one through. A page's
	 * first call that finds the scope open in storage, opened by attempts that got no answer (a reload),
	 * waits for the probe it sends (at most its attempt timeout) and goes out once it succeeded.
	 * Without it, the first caller's own request is the probe.
	 * @default undefined
	 */
	probe?: string | ((scope: string) => Request);
	/**
	 * A coordinator shared by every isolate or process: `coordinator(env.STEADFETCH)` from
	 * `steadfetch/cloudflare`, `coordinator(kv)` from `steadfetch/deno` or `coordinator(evaluate)` from
	 * `steadfetch/redis`. Each isolate still decides
	 * every attempt from memory; it adopts the coordinator's state at most `sharedCacheMs` old (the
	 * call that finds it older waits for a sync, at most `sharedTimeoutMs` under a clean closed
	 * state, else for its answer up to 2 000 ms; calls meanwhile go on with the state the isolate
	 * has, if clean), reports failures without making the caller wait (handed to
	 * the call's `waitUntil`), and asks it for the half-open probe (one in the world; a refusal, another
	 * isolate holding it, is kept as the state is, at most `sharedCacheMs`: calls meanwhile fail fast). A coordinator
	 * that fails or is slow leaves this isolate's own breaker in charge (`storage:error`, once per
	 * episode); one that has not answered a sync given up (past 2 000 ms) is sent no other for the
	 * scope until it does, for at most 30 s, and calls meanwhile wait for none. With `share`, the
	 * fleet's state it adopts is stored as its own changes are: the next isolate of its store (or a
	 * reload) starts from it while the coordinator does not answer.
	 * @default undefined (no coordinator)
	 */
	shared?: SharedBreaker;
	/**
	 * How old the coordinator's state may be before a call syncs, in ms. In (0, 1 000] (checked at
	 * `createClient`, also without `shared`).
	 * @default 1_000
	 */
	sharedCacheMs?: number;
	/**
	 * How long a call waits for the coordinator before it goes on with the state this isolate
	 * adopted, in ms: only when that state is closed with no failure counted in the fleet and this
	 * isolate has seen only successes since; otherwise the call waits for the answer, up to 2 000 ms,
	 * then the local breaker decides. A positive number of ms a timer holds (checked at
	 * `createClient`, also without `shared`). So isolates
	 * that each saw some of the failures that opened the fleet's breaker send no request of their
	 * own when it is due: one probe across the fleet, also with a coordinator slower than this. In
	 * a Worker, a call with no `waitUntil` to hold the sync (none of its own, none of the
	 * coordinator's) waits for the answer: its request's end would cancel the sync.
	 * @default 100
	 */
	sharedTimeoutMs?: number;
	/**
	 * The scope of a URL: calls in one scope share one breaker. The values of its sensitive query
	 * parameters (`sensitiveParams`) are removed from what it returns: a scope is stored, and named by
	 * events, log records, errors and `stats()`. A function that answers at once: an `async` one is a RangeError,
	 * and an object it gives back (a promise) fails each call with a RangeError, before any I/O. A scope longer than
	 * 8 192 characters (a URL's length) is this client's own: no stored record, other tab or coordinator (`shared`) holds
	 * it, so it is decided by this client's state alone. For a URL it
	 * gives no scope for (`undefined`, `null`, `''`), the default: `scope: (url) => (url.includes('/v2/') ? 'v2' : undefined)`.
	 * @default the URL's origin; for a URL that is not http or https, its scheme (`blob:`, `data:`)
	 */
	scope?: (url: string) => string | undefined;
	/**
	 * Decide whether an attempt's outcome counts as a failure: return `true` (failure), `false`
	 * (success) or `undefined` (the default rule). It sees the attempt's raw `Response` (before ky
	 * turns it into an `HTTPError`) or its error.
	 *
	 * The default rule is `classify()`'s: a transient answer (408, 429, 5xx — a 501 too), a network
	 * error and a timeout are failures; any other answer (a 401, a 404) is a success: the origin
	 * answered, so a 401 storm never opens the breaker, and a half-open probe answered 404 closes it.
	 * Deliberate differences, because no request reached the origin: the caller's abort, a hedge
	 * that lost its race, and a refusal of steadfetch's own (a `CircuitOpenError`, `BulkheadFullError`
	 * or `RateLimitedError` from a client used as transport) never count and are not passed here;
	 * an attempt ky aborted (its `timeout`) counts as a timeout. An error `classify()` does not
	 * call transient (`UNKNOWN`) does not count either, nor, by default, a steadfetch service worker's
	 * answer for a call its client refused or failed itself (a `503` whose `Steadfetch-Error` is not
	 * `NETWORK` or `TIMEOUT`: `CIRCUIT_OPEN`, `THROTTLED`, `AUTH_FAILED`…; steadfetch/sw), passed here as any answer.
	 *
	 * A function that answers at once: an `async` one is a RangeError; a promise it gives back, or any answer but
	 * `true` and `false`, leaves the attempt to the default rule.
	 * @example
	 * isFailure: ({ response }) => (response?.status === 501 ? false : undefined)
	 * @default undefined (`classify()` decides)
	 */
	isFailure?: (outcome: { response?: Response; error?: unknown }) => boolean | undefined;
	/**
	 * Share each scope's state across tabs and workers of the origin (BroadcastChannel
	 * `steadfetch:<name>:breaker`, a change reaches the other tabs within milliseconds, and a page restored from the
	 * back/forward cache, which heard none meanwhile, reads the stored state of its scopes again; one
	 * half-open probe across tabs through Web Locks with `ifAvailable`, but for a service worker's, which runs the pages'
	 * probes: its own `halfOpenProbes` bound them) and persist each scope's
	 * state in the client's `store` (a versioned record per scope), so an open breaker survives a
	 * reload. The stored state is read on the first call to a scope (or `waitForHealthy`): the first
	 * calls (and only they) wait for the store, at most `storageTimeoutMs`, and where the channel is open for
	 * another tab's write of that scope under way (a Web Lock the write holds), at most `storageTimeoutMs` more
	 * (then read as a failed read): a tab opened just after another opened the scope reads that opening. A corrupt or unknown
	 * record, stored or received from another tab, is ignored and reported as `storage:error`; a failing store is reported and the breaker goes on in
	 * memory (the store's one strategy: see `storageTimeoutMs`); a read of a scope's state that failed asks the other
	 * tabs, and the open or isolated state one of them knows is taken when it answers (the call that read goes on
	 * meanwhile), at a reload as if read from the store (opened by network failures: half-open at once). A change is written behind the
	 * call that caused it, handed to the call's `waitUntil`. The failure counts go with the state:
	 * where the channel is open, each outcome counted while closed is told to the other tabs (they
	 * count it too), and in a page or web worker a failure (or the success that ends failures in a
	 * row) is stored with the record, so `consecutiveFailures` in a row across tabs or reloads open it.
	 * What another tab tells is outside input (any script of the origin can post on the channel): a failure
	 * counts only with the counts a tab's own message carries (whole numbers, its window's failures at most its calls), a
	 * success likewise (no failures in a row, a call for it in its window); a tab
	 * answers another's question for a scope's state at most once a second (a tab that asked within a second of another's
	 * ask, unanswered, asks once more a second later). `client.clear()` wins over a state another
	 * tab made before the clear reached it (a probe that failed meanwhile): the closed state it tells is dated half a second ahead,
	 * and such a state is not written once the clear reached the tab that made it (nor read back at a later page).
	 *
	 * The channel is opened by default only where there are tabs and workers to share with (a page
	 * or a web worker: `document` or `WorkerGlobalScope` exists). Node keeps per-process breakers
	 * unless `share: true` asks for the channel explicitly; an open channel keeps a Node process
	 * alive, so call `client.close()` when done. The `workerd`/`deno`/`edge-light` build (Cloudflare
	 * Workers, Deno, edge functions) has no channel or Web Locks, `share: true` or not (API.md "Builds
	 * per runtime"): the breaker works per isolate or process (across them: `shared`); in Workers
	 * the store (the Cache API) still carries an open breaker from one isolate to the next ones in
	 * the same data center.
	 * Clients `extend()` made of the same name and store share each change at once, also where there
	 * is no channel (Node, Deno, Workers: a module-scope client and its extensions fail fast together),
	 * count each other's outcomes in a closed state (failures in a row through any of them open it), each
	 * change and outcome taken on its own `clock` (one a child was given too: an opening holds it its open period
	 * from then), and take `halfOpenProbes` together (one probe for them all).
	 * `false`: per-client, in memory only (nothing stored, no channel).
	 * @default true (persisted; shared across tabs in browsers)
	 */
	share?: boolean;
}

const positiveInteger: Rule = [isPositiveInteger, 'a positive integer'];
const timer: Rule = [isPositiveTimerMs, positiveTimerMs];
/**
 * A function that answers at once: an `async` one gives a promise, which a scope (`'[object Promise]'`: every URL one
 * scope) and a verdict (truthy: every answer a failure) are not.
 */
const answersAtOnce: Rule = [(value) => typeof value === 'function' && Object.prototype.toString.call(value) !== '[object AsyncFunction]', 'a function that answers at once (not async)'];

/**
 * `breaker.scope` as the client asks it: an object it gives back (a promise, from a plain function that is not `async`)
 * would put every URL in one scope (`'[object Promise]'`), so it fails the call that asked, a RangeError before any
 * I/O (on every call: seen at once). A string, or a number (its own scope), is taken as before; no scope (`undefined`,
 * `null`, `''`) is the URL's origin (the core's `scopeOf`).
 */
export const scopeAtOnce = (scope: (url: string) => string | undefined) => (url: string): string => {
	const answer: unknown = scope(url);
	if ((typeof answer === 'object' && answer !== null) || typeof answer === 'function') {
		throw new RangeError('breaker.scope must return a string at once; it returned an object (a promise?)');
	}

	return answer as string;
};

/**
 * Each option checked when given (a RangeError naming it): `sharedCacheMs` and `sharedTimeoutMs`
 * with or without `shared` (API.md "Option values"; a coordinator's link applies them).
 */
const rules: Readonly<Record<string, Rule>> = {
	'breaker.consecutiveFailures': positiveInteger,
	'breaker.minimumThroughput': positiveInteger,
	'breaker.halfOpenProbes': positiveInteger,
	'breaker.windowMs': [isPositiveFinite, 'a positive finite number of ms'],
	'breaker.openMs': timer,
	'breaker.maxOpenMs': timer,
	'breaker.failureRatio': [(value) => isPositiveFinite(value) && value <= 1, 'a number in (0, 1]'],
	'breaker.scope': answersAtOnce,
	'breaker.isFailure': answersAtOnce,
	// A URL fetch sends (http or https), a path too: not a host typed without its scheme (`localhost:3000/health` is a URL
	// of the scheme `localhost:`), as `prefix` is not; every probe would fail and the breaker never close by one.
	// A function, as `scope`'s: one that answers at once (an async one's promise is no Request: every probe failed).
	'breaker.probe': [(value) => answersAtOnce[0](value) || (typeof value === 'string' && value !== '' && canParse(value, 'http://h/') && !/^[\w.-]+:\d/.test(value) && /^https?:$/.test(new URL(value, 'http://h/').protocol)), 'a URL (http or https, or a path) or a function returning a Request at once (not async)'],
	// A coordinator (`SharedBreaker`) has `fleet` as well as `link`; a string has a `link` function too (String.prototype.link).
	'breaker.shared': [(value) => typeof (value as Partial<SharedBreaker> | null)?.fleet === 'function', 'a coordinator'],
	'breaker.share': [(value) => typeof value === 'boolean', 'a boolean'],
	'breaker.sharedCacheMs': [(value) => isPositiveFinite(value) && value <= 1000, 'in (0, 1000] ms'],
	'breaker.sharedTimeoutMs': timer,
};

/**
 * Fill in the defaults and reject bad values with a `RangeError` naming the option and the value.
 * `timeout` is ky's per-attempt `timeout` (10 s by default): a probe's time limit; with `false` or
 * `0` a probe that never settles is given up after `maxOpenMs`.
 */
export const resolve = (options: BreakerOptions, timeout: unknown = 10_000): Settings => {
	checkRules(options, rules, 'breaker.');
	const { consecutiveFailures = 5, minimumThroughput = 10, halfOpenProbes = 1, windowMs = 30_000, openMs = 5_000, maxOpenMs = 300_000, failureRatio = 0.5 } = options;
	check(maxOpenMs >= openMs, 'breaker.maxOpenMs', maxOpenMs, `at least breaker.openMs (${openMs})`);
	return { consecutiveFailures, minimumThroughput, halfOpenProbes, windowMs, openMs, maxOpenMs, failureRatio, probeTimeoutMs: (timeout as number) || maxOpenMs };
};
