import type { InvalidRequestError } from '../errors/InvalidRequestError.js';
import { noJsonForm } from '../utils/json-form.js';
import { redactText, sensitiveParamSet } from '../utils/sensitive.js';
import { invalidUrl } from './scope.js';
import { asyncIterableBodies, iterableBodies, lenientRequests, sentRedirect, watchedBody } from './server-failure.js';
import { atOnce, type Placed } from './slots.js';
import { isPolicy } from './policy.js';
import { canParse, check, checkRules, isAsyncIterable, isSyncIterable, describe, given as defined, hideUserinfo, isNonNegativeInteger, isObject, isOptions, isOwnHeader, isPositiveTimerMs, isPrintableId, isTimerMs, isToken, thrownText, timerMs, type Rule, positiveTimerMs, unmarked } from '../utils/validate.js';

const is = (type: string): Rule => [(value) => typeof value === type, `a ${type}`];
/** A method fetch sends: a token, not one the Fetch standard forbids. */
const isMethod = (value: unknown): boolean => value === undefined || (isToken(value) && !/^(connect|trace|track)$/i.test(value));
const list = (type: string): Rule => [(value) => Array.isArray(value) && value.every((item) => typeof item === type), `an array of ${type}s`];
const fn = is('function');
const fns = list('function');
const strings = list('string');
// Method names, as fetch takes one: ky compares each with the request's method, so `'get '` or `''` would retry no call, silently.
const methods: Rule = [(value) => Array.isArray(value) && value.every(isToken), 'an array of method names'];
const ms: Rule = [(value) => value === false || isTimerMs(value), `${timerMs} or false`];
const boolOrFn: Rule = [(value) => typeof value === 'boolean' || typeof value === 'function', 'a boolean or a function'];
// HTTP status codes, as ky compares each with a response's: `NaN`, `500.5` or `600` would match none, silently.
const statuses: Rule = [(value) => Array.isArray(value) && value.every((code) => Number.isInteger(code) && code >= 100 && code <= 599), 'an array of HTTP status codes (integers from 100 to 599)'];
// A falsy one is none, as in ky (`prefix: false`); a string is a URL, a relative one too (a page resolves
// it): one no base resolves (`https://api.example.com:8O80/`) would fail every call, and so would a host and port
// without its scheme (`localhost:3000/api` is a URL of the scheme `localhost:`, which fetch does not send).
const urlish: Rule = [(value) => !value || ((value instanceof URL || typeof value === 'string') && canParse(value, 'http://h/') && !/^[\w.-]+:\d/.test(String(value))), 'a URL or false'];
// ky adds each value to the URL as its text: a function's is its source (`?page=()+%3D>+1`), a Symbol's `Symbol(page)`
// where ky's merge joins it to another query (the client's, a parent's; alone, fetch refuses it), and a function given as
// `searchParams` is a record of no keys (no query, silently). A value of a record or of a pair (a list's items too).
const noFunction = (value: unknown): boolean => typeof value !== 'function' && typeof value !== 'symbol' && (!Array.isArray(value) || value.every(noFunction));
// A policy under the key is no query: the slots' check names it (`searchParams` is the client's own option, not a slot).
// An iterable that is no list (a `Map`, a `Set`, a generator) is read by ky as a record of its own keys: none, no query.
// A boxed value (`new Number(5)`) is a record of no keys: no query, silently.
const query: Rule = [(value) => isPolicy(value) || (noFunction(value) && (!isObject(value) || value instanceof URLSearchParams
	|| ((Array.isArray(value) || (isOptions(value) && !(Symbol.iterator in value))) && Object.values(value).every(noFunction)))), 'a query (a string, a record, pairs or URLSearchParams) with no function or Symbol in it'];
// ky's own bounds on a delay, in ms: `Infinity` is ky's "none".
// An options object, not a list: ky reads no option of a list (its hooks never run, its retry options are ky's defaults).
// Nor a boxed value (`retry: new Number(5)`): ky reads one as options of no keys (its defaults, silently).
const record = isOptions;
const nonNegative: Rule = [(value) => typeof value === 'number' && value >= 0, 'a non-negative number of ms'];

/**
 * A body of bytes over a SharedArrayBuffer (a view of one, or itself) or over a resizable ArrayBuffer: fetch's
 * `BufferSource` takes neither (Node's and browsers' `fetch` refuse a view, and send a SharedArrayBuffer as the text
 * '[object SharedArrayBuffer]'), workerd sends its bytes, the outbox sent a copy: refused in every build, with or without
 * the outbox. Its bytes, copied (`new Uint8Array(view)`), are sent. And, in Node's and the browser's builds, a sync
 * iterable (a generator, a `Set`, an array: `isSyncIterable`), which their `fetch` sends as text ('[object Generator]');
 * the edge build sends its bytes, as Deno's and workerd's `fetch` do (`iterableBodies`). Its bytes
 * (`new Blob([...iterable])`) or a stream (`ReadableStream.from(iterable)`) are sent everywhere. In the browser's build an
 * async iterable too (an async generator: `isAsyncIterable`), which browsers' `fetch` sends as text ('[object
 * AsyncGenerator]'; `asyncIterableBodies`): its bytes (a `Blob` of its chunks: `new Blob(chunks)`) are sent. The message
 * names only what the build refuses. And a value of none of fetch's body types (`BodyInit`, by its tag as fetch reads one, of
 * any realm: a string or `String`, a `Blob` or `File`, bytes, `FormData`, `URLSearchParams`, a `ReadableStream`; null; an
 * iterable as above): fetch sends it as its text (`{ a: 1 }` as '[object Object]', `5` as '5', a function as its source),
 * which the server got (the outbox stored and replayed it); data goes as `json`. Refused in every build.
 */
const fetchBodies = /^\[object (?:String|Blob|File|ArrayBuffer|FormData|URLSearchParams|ReadableStream)\]$/;
const fixedBytes: Rule = [(value) => {
	if (isPolicy(value)) {
		return true; // A policy under the key is no value of fetch's: the slots' check names it.
	}

	const buffer = ArrayBuffer.isView(value) ? value.buffer : value;
	// A SharedArrayBuffer's tag (a view's buffer) is none of `fetchBodies`.
	return (value === null || fetchBodies.test(Object.prototype.toString.call(buffer)) || isSyncIterable(value) || isAsyncIterable(value))
		&& !(buffer instanceof ArrayBuffer && (buffer as { resizable?: boolean }).resizable)
		&& (iterableBodies || !isSyncIterable(value)) && (asyncIterableBodies || !isAsyncIterable(value));
}, `a body fetch takes: a BodyInit (data goes as \`json\`), not over a SharedArrayBuffer or a resizable ArrayBuffer (send a copy: \`new Uint8Array(view)\`)${iterableBodies ? '' : ', not a sync iterable (send its bytes: `new Blob([...iterable])`, or a stream)'}${asyncIterableBodies ? '' : ', not an async iterable (send its bytes: a `Blob` of its chunks)'}`];

/**
 * ky's options (and the call's `waitUntil`) whose wrong value ky or fetch would throw on
 * (synchronously, or later as a TypeError that `classify()` calls `NETWORK`), by path, and the
 * functions ky calls only for some calls (`stringifyJson` and `onUploadProgress` for a body: a wrong
 * one would fail every write later, saying nothing of the option); ky checks the others itself when
 * it builds the request (`context`, …); the retry options ky reads at each request, also where ky would not throw (`retry.jitter: 'x'`); a hook list by name (a `replaceOption()` marker is ky's to read).
 */
const kyRules: Record<string, Rule> = {
	// ky joins any value as text: a number or an object would make every URL a wrong one.
	prefix: urlish, baseUrl: urlish, searchParams: query,
	// Dynamic headers go in a `beforeRequest` hook: `Headers` reads a function as a record of no keys (none sent, silently).
	headers: [(value) => typeof value !== 'function', 'HeadersInit, not a function (set them in a `beforeRequest` hook)'],
	body: fixedBytes, method: is('string'), fetch: fn, parseJson: fn, stringifyJson: fn, onDownloadProgress: fn, onUploadProgress: fn, waitUntil: fn, timeout: ms, totalTimeout: ms,
	retry: [(value) => typeof value === 'number' || record(value), 'a number or an object', true],
	'retry.limit': [isNonNegativeInteger, 'a non-negative integer'], 'retry.methods': methods, 'retry.delay': fn,
	'retry.shouldRetry': fn, 'retry.backoffLimit': nonNegative, 'retry.maxRetryAfter': nonNegative,
	// ky reads these at each request: a wrong one there fails (or silently changes) every call.
	'retry.statusCodes': statuses, 'retry.afterStatusCodes': statuses, 'retry.retryOnTimeout': is('boolean'),
	// ky reads it by truthiness: `'false'` would throw on every error status, `0` on none.
	throwHttpErrors: boolOrFn,
	'retry.jitter': boolOrFn,
	// fetch's own, which it reads as their type without a word (a client's and a call's alike): `integrity: 5` as the
	// metadata '5' (no hash: the bytes are never checked), `keepalive: 'false'` as true; `duplex` has one value, ignored
	// by fetch without a stream body. A policy under the key is the slots' check's to name, as for `searchParams`.
	integrity: [(value) => isPolicy(value) || typeof value === 'string', 'a string'],
	keepalive: [(value) => isPolicy(value) || typeof value === 'boolean', 'a boolean'],
	duplex: [(value) => isPolicy(value) || value === 'half', "'half'"],
	// An object of hook lists (or ky's `replaceOption()` marker): null crashes ky, a list or a number runs no hook.
	hooks: [record, 'an object', true], 'hooks.init': fns, 'hooks.beforeRequest': fns, 'hooks.beforeRetry': fns, 'hooks.beforeError': fns, 'hooks.afterResponse': fns,
};

/**
 * `fallback`: a function, a Response, or a value answered as JSON, so one JSON can serialize (a BigInt
 * or a cycle would fail the call it answers, in place of its own error).
 */
const fallback: Rule = [(value) => {
	try {
		JSON.stringify(value);
		return true;
	} catch {
		// A function or a Response never throws here.
		return false;
	}
}, 'a function, a Response or a value JSON can serialize'];

/** At `createClient`: ky's, and the core's own. */
const clientRules: Record<string, Rule> = {
	...kyRules,
	fallback,
	storageTimeoutMs: [isPositiveTimerMs, positiveTimerMs],
	// A header name as fetch takes it (RFC 9110 token), of its own: each attempt to the client's origins has it set to the
	// time left, which must overwrite no credential, trace header or key (as trace's `requestIdHeader`).
	deadlineHeader: [isOwnHeader, 'a header name of its own'],
	sensitiveParams: strings,
	sensitiveHeaders: strings,
	// Read later (at each call, by each policy): a wrong one would fail every call, not the creation.
	// A store is passed as its factory, where every policy is called (`outbox()`): say so to whom called it.
	store: [fn[0], 'a store factory, as `memoryStore` (not `memoryStore()`)'], identity: fn, random: fn,
	// Whole characters: it names channels, locks and a header value (`encodeURIComponent` throws on a lone surrogate); not
	// empty, which would be a namespace of its own (`steadfetch::breaker`), neither the default's nor one the app chose.
	name: [(value) => typeof value === 'string' && /^[^\p{Cs}]+$/u.test(value), 'a non-empty string of whole characters (no lone surrogate)'],
	clock: [(value) => typeof (value as { now?: unknown } | null)?.now === 'function', 'an object with a now() function'],
	// A call's own, never read from the client's options (as `clientOnly` below, the other way): refused rather than
	// ignored. A client's `waitUntil` held no call's background work (in a Worker, dropped); a client's `idempotencyKey`
	// keyed no call, and one key for every call would make the server apply only the first write.
	// A policy under the key is the slots' check's to name (`idempotencyKey` is the client's own option, not a slot).
	waitUntil: [isPolicy, 'given to a call or to withContext(ctx), not to createClient() or extend()'],
	idempotencyKey: [isPolicy, 'given to a call (one key per write), not to createClient() or extend()'],
};

/**
 * The client's own options (`clientKeys`, but `fallback`) given to a call: never read there (a call's identity, store,
 * name and sensitive names are its client's), so refused rather than ignored: `identity: () => 'bob'` per call went
 * out under the client's identity, its copy stored as the client's.
 */
const clientOnly: Rule = [() => false, 'given to createClient() or extend(), not to a call'];

/** For each call: ky's, and the call's own. */
const callRules: Record<string, Rule> = {
	...kyRules,
	// A method fetch sends: a token, not one the Fetch standard forbids (workerd sent `TRACE` and `a b`; Node's fetch and
	// browsers' refuse them in their own words). A client's is fetch's to refuse, a TypeError (`checkFetchOption`).
	method: [isMethod, 'a token, not CONNECT, TRACE or TRACK'],
	fallback,
	idempotencyKey: [(key) => key === true || isPrintableId(key), 'true or a non-empty string of at most 255 printable ASCII characters'],
	retryBudget: clientOnly, store: clientOnly, name: clientOnly, clock: clientOnly, random: clientOnly, storageTimeoutMs: clientOnly,
	identity: clientOnly, sensitiveParams: clientOnly, sensitiveHeaders: clientOnly, deadlineHeader: clientOnly,
};

/** An AbortSignal of any realm, by its tag (a Proxy whose traps throw is none: fetch says so). */
const isSignal = (value: unknown): boolean => {
	if (value instanceof AbortSignal) {
		return true; // This realm's: no tag read on the common path.
	}

	try {
		return Object.prototype.toString.call(value) === '[object AbortSignal]';
	} catch {
		return false;
	}
};

const modes = /^(?:default|no-store|reload|no-cache|force-cache|only-if-cached)$/;

/**
 * `cache` is fetch's own `RequestCache` mode (a string fetch accepts): an object or `false` there is
 * most likely meant for the stale cache, whose key is `staleCache`; a mode fetch does not know
 * (`'bogus'`, `'NO-STORE'`) would fail every call. Throws a TypeError that says so.
 */
const checkCacheMode = (cache: unknown): void => {
	// A Symbol has no text to test (the engine's "Cannot convert a Symbol value to a string" named no option).
	if (cache !== undefined && (typeof cache === 'symbol' || !modes.test(cache as string))) {
		throw new TypeError(`\`cache\` is fetch's RequestCache mode (as 'no-store'); the stale cache is configured with \`staleCache\` (got ${describe(cache)})`);
	}
};

/**
 * Check one call's options before any I/O: the core's, then each policy's own (`checks`: the filled
 * slots whose policy has a `checkCall`, and the entry's empty ones). Returns the `InvalidRequestError` to reject with
 * (without the values of the client's sensitive query parameters, `params`: a per-call `prefix` names a URL), or
 * the options as checked: a copy, each read once, which the call uses. Cheap on the common path: only the keys a call gives are looked at.
 */
export const checkCallOptions = (given: object, checks: ReadonlyArray<Pick<Placed, 'slot' | 'parts'>>, params: ReadonlySet<string>): InvalidRequestError | Record<string, unknown> => {
	try {
		// As ky's `validateAndMerge`: an array is no options object (never read as none); only a list is told it is not one.
		if (!record(given)) {
			check(false, 'options', given, Array.isArray(given) ? 'an object, not an array' : 'an object');
		}

		// Each option read once (ky copies them as a call starts, too): the values checked are the ones the call uses (a
		// getter read twice may throw the second time, or give another value), and a caller's later change (its object
		// reused for the next call) is not the call's; no policy writes the caller's object.
		const options: Record<string, unknown> = { ...given };
		checkRules(options, callRules);
		checkCacheMode(options.cache);
		try {
			checkEnums(options);
			// One that is no AbortSignal (`{}`, `'x'`) in the words fetch refuses it with at createClient, naming `signal` (ky's
			// `AbortSignal.any` said "signals[0] is not of type AbortSignal."). Nothing more for a signal: a falsy one is none, as in ky.
			// Inside ky's `replaceOption()` mark (the call's signal in place of the client's), the signal it holds.
			const signal = options.signal && !isSignal(options.signal) ? unmarked(options.signal) : undefined;
			if (signal && !isSignal(signal)) {
				checkFetchOption('signal', signal);
			}
		} catch (error) {
			// In the words a Request refused with it says it (`namedRefusal`), in every build.
			throw new TypeError(`Invalid request: ${(error as Error).message}`);
		}

		// Each policy checks its own per-call option (given, not `false`): an own key only (a slot named
		// `constructor` is not given by every options object's prototype).
		for (const { slot, parts } of checks) {
			const value = Object.hasOwn(options, slot) ? options[slot] : undefined;
			if (value !== undefined && value !== false) {
				// An `async` check answers after the call went out, its refusal rejected unhandled: the policy's fault, refused as a throw is.
				const refusal = atOnce(parts.checkCall!(value, options) as unknown, slot, 'checkCall');
				// An Error given back (a forgotten `throw`) refuses the call as one thrown: never sent past its policy's refusal.
				if (refusal instanceof Error) {
					throw refusal;
				}
			}
		}
		return options;
	} catch (error) {
		return invalidUrl(thrownText(error), error, params);
	}
};

/**
 * A body given in place of the call's (by an app's `init` hook, or by a wrapper to its run: `next({ body })`), checked as
 * a call's own (`fixedBytes`: a RangeError, the call rejects with `InvalidRequestError` before any I/O; it was sent, a
 * SharedArrayBuffer as the text '[object SharedArrayBuffer]') and read as a call's own (`watchedBody` under `key`, the call's options).
 */
export const runBody = (body: unknown, key: object): unknown => {
	checkRules({ body }, callRules);
	return watchedBody(body, key);
};

/**
 * What a wrapper gives one run of ky (`next(extra)`), checked as a call's own options are (`callRules`, a `cache` mode): an
 * `extra` that is no options object (`5`, `'x'`, `null`) or a value of the wrong type or out of range (`timeout: 'x'`,
 * `fetch: 5`) throws a RangeError or TypeError naming it (the run rejects with `InvalidRequestError`, no I/O); it was handed to
 * ky as it was (`timeout: 'x'` sent with a timer of 1 ms). A copy, each value read once; its body read as `runBody` reads one.
 */
export const runOptions = (extra: unknown, key: object): Record<string, unknown> => {
	check(record(extra), 'next(extra)', extra, 'an object');
	// `undefined` is not given (API.md "Option values"): the call's value stands, which ky's merge would remove (the client's
	// and the call's `headers`, the client's `retry` rules and `stringifyJson`, the call's `body`).
	const options = defined(extra as Record<string, unknown>);
	checkRules(options, callRules);
	checkCacheMode(options.cache);
	checkEnums(options);
	if (options.body !== undefined) {
		options.body = watchedBody(options.body, key);
	}

	sentRedirect(options);
	return options;
};

/**
 * One run's options for ky (`forKy`) with a last `init` hook where an app's may run (the client's `hooks` or the
 * call's have `init` ones): a body such a hook gives in place of the call's is checked and read as a call's own
 * (`runBody`: its RangeError thrown as ky builds the request), and a value of fetch's enumerations it sets as a call's
 * (`checkEnums`). Any other run's options as they are.
 */
export const hookedBody = (forKy: Record<string, unknown>, inits: boolean, key: object): Record<string, unknown> => {
	const own = forKy.hooks;
	const inner = unmarked(own) as { init?: unknown[] } | undefined;
	if (!inits && !inner?.init?.length) {
		return forKy;
	}

	const last = (options: { body?: unknown }): void => {
		if (options.body !== forKy.body) {
			options.body = runBody(options.body, key);
		}

		// One of fetch's enumerations the hook set (`credentials: 'bogus'`): named, in every build (workerd's Request takes any).
		checkEnums(options);
		sentRedirect(options as Record<string, unknown>);
	};
	const merged = { ...inner, init: [...inner?.init ?? [], last] };
	return { ...forKy, hooks: inner === own ? merged : { ...own as object, value: merged } };
};

/**
 * ky's `stringifyJson` (the given one, else `JSON.stringify`, as ky falls back) made to answer a
 * string: a `json` body it cannot serialize (a function, a Symbol, a `toJSON` that returns
 * undefined), or that makes it throw (a BigInt, a cycle), throws a TypeError naming `json` when ky builds
 * the request, before any I/O (the call rejects with `InvalidRequestError`), instead of sending
 * `application/json` with an empty body. ky calls it
 * once per call: nothing is serialized twice.
 */
export const stringifying = (own?: unknown) => (value: unknown): string => {
	let text: unknown;
	let error: unknown;
	try {
		text = (own as ((value: unknown) => string) | undefined)?.(value) ?? JSON.stringify(value);
	} catch (thrown) {
		// A BigInt, a cycle, a `stringifyJson` that throws: said as the outbox says it, naming `json` (the error its cause).
		error = thrown;
	}

	if (typeof text !== 'string') {
		throw new TypeError(`The \`json\` body cannot be serialized: ${error ? (error as Error).message ?? error : noJsonForm}`, { cause: error });
	}

	return text;
};

/**
 * fetch's enumerations in a RequestInit, as the Fetch standard lists them (`mode: 'navigate'` is a browser's own, refused in a
 * Request; `referrerPolicy`'s first value is ''): Node's and browsers' `fetch` refuse any other value, each in its own words,
 * and workerd takes any (its Request ignores `mode`, `credentials`, `priority` and `referrerPolicy`: `credentials: 'bogus'`
 * went out). Checked here, a value read as fetch reads one (its text: a `String` object's too), so every build refuses the
 * same values in the same words (undici's), naming the option: at `createClient` and `extend()`, and for each call
 * (`checkEnums`) before any I/O.
 */
const enums: Readonly<Record<string, string>> = {
	credentials: 'omit same-origin include', mode: 'same-origin no-cors cors', redirect: 'follow manual error', priority: 'high low auto',
	referrerPolicy: ' no-referrer no-referrer-when-downgrade same-origin origin strict-origin origin-when-cross-origin strict-origin-when-cross-origin unsafe-url',
};

/**
 * What `checkEnums` checks of a call's options: fetch's enumerations, and where the runtime's Request takes any `referrer`
 * and `window` (`lenientRequests`: workerd's ignores them, and a call sent `referrer: 'x'`, `window: {}`), those two. Elsewhere
 * the Request refuses them (`namedRefusal` names them), after a URL it cannot resolve.
 */
const perCall = `credentials mode redirect priority referrerPolicy${lenientRequests ? ' referrer window' : ''}`.split(' ');

/** Throws `checkFetchOption`'s TypeError for the first value of `perCall` in `options` (given, no policy) fetch refuses. */
const checkEnums = (options: Record<string, unknown>): void => {
	for (const name of perCall) {
		isPolicy(options[name]) || checkFetchOption(name, options[name]);
	}
};

/**
 * The client's options fetch reads as it builds each call's Request (and `searchParams`, checked first: ky adds it
 * to each call's URL, a pair of the wrong length, a Symbol): a value refused there would fail every call.
 */
const requestInit = 'method headers credentials mode redirect referrer referrerPolicy priority signal window'.split(' ');

/**
 * Throws a RangeError naming the option for a bad value of one of ky's options (`timeout`,
 * `retry.limit`, `retry.methods`, `retry.statusCodes`, `throwHttpErrors`, `fetch`, a hook that is not a function…) or the core's own
 * (`storageTimeoutMs`, `deadlineHeader`, the sensitive lists), a TypeError for a `cache` mode fetch
 * does not know and for a value fetch would refuse in each call's Request (`headers` with a name or
 * value it refuses, a `credentials` or `mode` it does not know, a `referrer` that is no URL, `searchParams` no URL can carry), at `createClient` (and `extend()`).
 * A RangeError names no value of a sensitive query parameter (a `prefix` or `baseUrl` is a URL): the
 * defaults' nor those of the client's `sensitiveParams`.
 */
export const checkClientOptions = (options: Record<string, unknown>): void => {
	// A query fetch cannot carry (a Symbol in it) is fetch's refusal, a TypeError, before the rules say it of a call's.
	checkFetchOption('searchParams', options.searchParams);
	checkRedacted(options, clientRules, options);
	checkCacheMode(options.cache);
	checkRequestInit(options);
};

/** Throws `checkFetchOption`'s TypeError for the first of `options`' values fetch would refuse in a Request (`requestInit`). */
const checkRequestInit = (options: Record<string, unknown>): void => {
	for (const name of requestInit) {
		// A policy under the key is no value of fetch's: the slots' check names it.
		isPolicy(options[name]) || checkFetchOption(name, options[name]);
	}
};

/**
 * The error a call's Request was refused with (ky builds it), or, when one of the call's own `options` is what fetch refuses
 * (`priority: 'urgent'`, `mode: 'bogus'`), the TypeError naming it: Node's `fetch` names none ('undefined: urgent is not an
 * accepted type…'). Asked only once the Request was refused: nothing more for a call that goes out.
 */
export const namedRefusal = (error: unknown, options: Record<string, unknown>): unknown => {
	try {
		checkRequestInit(options);
	} catch (named) {
		// Only for the refusal the Request was refused with: a path no base resolves is refused first, whatever the referrer.
		if ((named as Error).message.endsWith(String((error as Error | undefined)?.message).replace(/^undefined: /, ''))) {
			return named;
		}
	}

	return error;
};

/**
 * Checks `options` by `rules`, its RangeError without the values of the sensitive query parameters of `client` (the
 * client's options, whose sensitive list is checked first: a URL in the message of any other option is shown without them).
 */
const checkRedacted = (options: object, rules: Readonly<Record<string, Rule>>, client: Record<string, unknown>): void => {
	checkRules({ sensitiveParams: client.sensitiveParams }, clientRules);
	try {
		checkRules(options, rules);
	} catch (error) {
		throw new RangeError(redactText((error as Error).message, sensitiveParamSet(client)));
	}
};

/**
 * An `extend()` child's own ky options (`child`), as given, as `createClient` checks them: ky's merge drops a hook list
 * that is no list (`hooks: { beforeRequest: 5 }`: the parent's hooks stay, the child's wrong one is not said) and makes a
 * child's query text joined to the parent's (a function's source), which the merged options, checked next, no longer show.
 */
export const checkChild = (child: object, merged: Record<string, unknown>): void => checkRedacted(child, kyRules, merged);

/**
 * Throws a TypeError naming the option `name` (one of `requestInit`) for a given value fetch would refuse in a Request
 * (`searchParams`: that no URL can carry), without a header value the platform's message shows (a credential, maybe):
 * no cause, which shows it too. Also before `extend()` merges a child's `headers` (ky's merge builds them).
 */
export const checkFetchOption = (name: string, value: unknown): void => {
	try {
		if (value !== undefined && Object.hasOwn(enums, name)) {
			let text: unknown;
			try {
				text = String(value);
			} catch {}
			const listed = enums[name]!.split(' ');
			if (!listed.includes(text as string)) {
				throw new TypeError(`${typeof text === 'string' ? text : describe(value)} is not an accepted type. Expected one of ${listed.join(', ')}.`);
			}
		} else if (name === 'referrer' && value !== undefined) {
			// Read as fetch reads it (its text; a Symbol's throws): a URL, resolved against the page where there is one, or ''.
			// Checked here, not by a Request: workerd's ignores it (a call sent `referrer: 'x'`). In Node's words.
			if (typeof value === 'symbol') {
				throw new TypeError('Cannot convert a Symbol value to a string'); // As fetch's USVString conversion throws (`String()` would not).
			}

			const text = String(value);
			if (text !== '' && !canParse(text, (globalThis as { location?: { href?: string } }).location?.href)) {
				throw new TypeError(`Referrer "${text}" is not a valid URL.`);
			}
		} else if (name === 'window' && value != null) {
			// Only null: as Node's and browsers' Request, in Node's words (workerd's ignores it).
			throw new TypeError("'window' option 'client' must be null");
		} else if (name === 'method' && !isMethod(value)) {
			// Refused here in every build (workerd's Request took `TRACE` and `a b`, and every call inheriting it sent it).
			throw new TypeError(`${describe(value)} is not a method fetch sends: a token, not CONNECT, TRACE or TRACK.`);
		} else if (value !== undefined) {
			name === 'searchParams' ? new URLSearchParams(value as never) : new Request('http://localhost/', { [name]: value });
		}
	} catch (error) {
		// Without undici's prefix of no context ('undefined: urgent is not an accepted type…').
		throw new TypeError(`\`${name}\` is refused by fetch: ${hideUserinfo((error as Error).message).replace(/^undefined: /, '')}`);
	}
};

/**
 * What `read` gives: options being read (resolved, checked, merged as ky merges them, at `createClient`, `extend()` and
 * `create()`). A value that cannot be read (a Proxy whose traps throw, a getter that throws) is a TypeError saying so, as
 * any other wrong value is, never the trap's own error; a RangeError or TypeError naming an option stays as it is.
 */
export const readOptions = <T>(read: () => T): T => {
	try {
		return read();
	} catch (error) {
		throw error instanceof TypeError || error instanceof RangeError ? error : new TypeError(`The client's options could not be read: ${thrownText(error)}`, { cause: error });
	}
};

/** Throws a TypeError, as ky does, for client options that are not an object. */
export const checkOptionsObject = (options: unknown): void => {
	if (options !== undefined && !record(options)) {
		throw new TypeError('The `options` argument must be an object');
	}
};
