import { resolveUrl } from '../core/scope.js';

/** Resolved URLs per client, by the input as given: `queryOptionsFor` runs at every render. Bounded. */
const resolved = new WeakMap<object, Map<string, string>>();

/** Past this many inputs of one client, its resolved URLs are forgotten (made again when asked). */
const maxResolved = 500;

/**
 * `input` with the call's `searchParams` after its own query, as ky appends them: a string as written
 * (without its `?`), anything else through `URLSearchParams` (an object's `undefined` values left out).
 * A fragment is not expected in a query's URL (fetch never sends one).
 */
const withSearch = (input: string | URL, searchParams: unknown): string | URL => {
	const query = typeof searchParams === 'string' ? searchParams.replace(/^\?/, '')
		: searchParams ? new URLSearchParams(searchParams.constructor === Object ? Object.entries(searchParams).filter(([, value]) => value !== undefined) : searchParams as URLSearchParams).toString() : '';
	return query ? `${input}${String(input).includes('?') ? '&' : '?'}${query}` : input;
};

/**
 * The absolute URL a call of `input` goes to, as `api` resolves it (`prefix`, `baseUrl`, the call's
 * own `options` first, its `searchParams` appended; the client's own resolver, a member no public
 * name reaches); the input as given (a string) when `api` has none (a stand-in client) or no URL
 * results (the call itself then rejects with `InvalidRequestError`).
 */
export const absoluteUrl = (api: object, given: string | URL, options?: { prefix?: unknown; baseUrl?: unknown; searchParams?: unknown }): string => {
	const input = withSearch(given, options?.searchParams);
	// A call's own prefix or base goes into the key: the same input then names another URL.
	const key = `${options?.prefix} ${options?.baseUrl} ${input}`;
	let urls = resolved.get(api);
	let url = urls?.get(key);
	if (url === undefined) {
		try {
			url = (api as { [resolveUrl]?: (input: string | URL, call?: object) => string })[resolveUrl]?.(input, options) ?? String(input);
		} catch {
			return String(input);
		}

		if (!urls || urls.size >= maxResolved) {
			urls = new Map();
			resolved.set(api, urls);
		}

		urls.set(key, url);
	}

	return url;
};
