import { InvalidRequestError } from '../errors/InvalidRequestError.js';
import { canParse, describe } from '../utils/validate.js';

/**
 * The default scope of a URL: its origin (`https://api.example.com`). A URL of another scheme (`blob:`, `data:`,
 * `file:`) is scoped by its scheme: fetch answers it without the origin, and a `blob:` URL's origin is its page's,
 * whose breaker, retry budget and reachability its failures (a revoked object URL) must not move.
 */
export const originOf = (url: string | URL): string => {
	const { protocol, origin } = new URL(url);
	return protocol === 'http:' || protocol === 'https:' ? origin : protocol;
};

/**
 * The scope of an attempt's URL, for a layer that keeps state per scope (the breaker, the adaptive
 * throttle, the bulkhead, the rate limiter, the hedge's budget and latency, dedupe's count) or names
 * it (`attempt:*`): the call's own (known since its first attempt) when the
 * attempt goes to the call's URL, else that URL's (a layer above changed it: a failover mirror).
 */
export const attemptScope = (scopeOf: (url: string) => string, url: string, call: { readonly scope?: string | undefined; readonly request?: Request | undefined } | undefined): string =>
	call?.scope !== undefined && url === call.request?.url ? call.scope : scopeOf(url);

/**
 * The origin of a `Request.url`: the text before the path. A Request's URL is already normalized
 * (lower-case scheme and host, no default port, no credentials, a path of at least `/`), so for
 * http(s) this equals `new URL(url).origin` without parsing (about 20× cheaper, on every attempt).
 * Anything else goes through the URL parser. Only for `Request.url`, never for user input.
 */
export const requestOrigin = (url: string): string => {
	const slash = url.startsWith('https://') ? url.indexOf('/', 8) : url.startsWith('http://') ? url.indexOf('/', 7) : -1;
	return slash === -1 ? originOf(url) : url.slice(0, slash);
};

/**
 * A URL (or, with `request`, a Request) made by its constructor: one that only has its prototype
 * (`Object.create(URL.prototype)`) or is a Proxy whose traps throw throws as it is read. A call's input (caller.ts), a member's URL.
 */
export const isMade = (input: unknown, request = false): boolean => {
	try {
		return input instanceof URL ? typeof input.href === 'string' : request && input instanceof Request && typeof input.url === 'string';
	} catch {
		return false;
	}
};

/**
 * The URL a member that takes one (`cache.delete`, `breaker(url)`, `isolate`, `reset`,
 * `waitForHealthy`) means, normalized as `Request.url` is. A relative URL is resolved as a call's
 * input is (ky's rules): joined to the client's `prefix`, then resolved against its `baseUrl`, then
 * against the page (fetch's own base; none in Node, Deno or workerd). An absolute URL (a `URL`, or a
 * string with a scheme) is taken as it is, also with a `prefix`, where a call would join it: it
 * names one URL. Throws an `InvalidRequestError` when no URL results (`invalidUrl`: without the values
 * of the client's `sensitiveParams`), or when `input` is neither a string nor a `URL` (plain
 * JavaScript: a missing argument must never name the client's own origin).
 */
export const callUrl = (input: string | URL, options: { readonly prefix?: unknown; readonly baseUrl?: unknown; readonly sensitiveParams?: readonly string[] | undefined }): string => {
	const { prefix, baseUrl } = options;
	// Anything else would resolve as text ("undefined", "5") to a URL of the client's own origin. An object that passes for a
	// URL and is none (`Object.create(URL.prototype)`, a Proxy whose traps throw) throws as it is read: none either.
	if (typeof input !== 'string' && !isMade(input)) {
		throw new InvalidRequestError(`Not a URL: give a string or a URL; got ${describe(input)}`);
	}

	try {
		const joined = typeof input !== 'string' || canParse(input) || !prefix ? input : `${String(prefix).replace(/\/+$/, '')}/${input.replace(/^\/+/, '')}`;
		return new Request(baseUrl && !canParse(joined) ? new URL(joined, new Request(baseUrl as string).url) : joined).url;
	} catch (error) {
		throw invalidUrl(`Invalid URL: ${String(input)}${pathHint(input)}`, error, urlMessages.params(options));
	}
};

/**
 * How a message naming a URL the caller gave is shown: `params(options)` the client's sensitive query
 * parameters (`sensitiveParamSet`), `redact(text, params)` the message without their values
 * (`redactText`). Set by the core as it makes a client (create-client.ts): this module does not import
 * utils/sensitive.ts, as the import alone (an edge between the two dist chunks) moved the preset's
 * steady cost per call on new URLs by +13.6k instructions (V8's state, no work of ours: stop 74's bench).
 */
export const urlMessages = {
	params: (_options: { readonly sensitiveParams?: readonly string[] | undefined }): ReadonlySet<string> => new Set(),
	redact: (text: string, _params: ReadonlySet<string>): string => text,
};

/**
 * The `InvalidRequestError` of a URL the caller gave that steadfetch could not use: its message without
 * the values of the sensitive query parameters (`params`, a client's `sensitiveParamSet`) in it, as every
 * URL a client shows (an error's message gets logged), and without a userinfo password (as every one);
 * its `cause`, the platform's error (which names the URL as given), kept only when nothing was removed.
 * Failure paths only: the redaction runs once the message is built.
 */
export const invalidUrl = (message: string, cause: unknown, params: ReadonlySet<string>): InvalidRequestError => {
	const shown = urlMessages.redact(message, params);
	return new InvalidRequestError(shown, shown === message ? { cause } : undefined);
};

/**
 * What to do about a URL that did not resolve, when it is a path (no scheme): nothing resolves it
 * where there is no page and the client has no absolute `baseUrl` or `prefix` — a newcomer's first
 * call in Node, Deno or a Worker. Said by a call's error and by a member's that takes a URL.
 */
export const pathHint = (input: unknown): string => (typeof input === 'string' && !/^[\w+.-]+:/.test(input) ? '; give the client an absolute `baseUrl` or `prefix`' : '');

/**
 * The key of a client's own resolver of URLs (`callUrl` over its options: `prefix`, `baseUrl`), a
 * member no public name reaches: `queryOptionsFor` (steadfetch/tanstack-query) records with it the
 * absolute URL a query's calls go to. `Symbol.for`: the same key in every bundle and realm.
 */
export const resolveUrl: unique symbol = Symbol.for('steadfetch.resolveUrl');

/**
 * The key of a client's own scope of an absolute URL (its `scopeOf`: an app policy's or the breaker's
 * `scope`, else `originOf`), a member no public name reaches: `refetchWhenBack` (steadfetch/tanstack-query)
 * finds with it the scope a query gave up on, as the client's events name it. `Symbol.for`, as `resolveUrl`.
 */
export const scopeOfUrl: unique symbol = Symbol.for('steadfetch.scopeOf');

/**
 * The scope a public method names (see `callUrl`); with a custom `scope` function (`named`), a
 * string without `://` is a scope itself.
 */
export const scopeFor = (urlOrScope: string | URL, scopeOf: (url: string) => string, options: Parameters<typeof callUrl>[1], named?: boolean): string =>
	named && typeof urlOrScope === 'string' && !urlOrScope.includes('://') ? urlOrScope : scopeOf(callUrl(urlOrScope, options));
