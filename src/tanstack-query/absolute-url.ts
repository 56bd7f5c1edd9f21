import { resolveUrl } from '../core/scope.js';
import { withSearchParams } from '../utils/search-params.js';
import { unmarked } from '../utils/validate.js';

/** Resolved URLs per client, by the input as given (and the page's base): `queryOptionsFor` runs at every render. Bounded. */
const resolved = new WeakMap<object, Map<string, string>>();

/** Past this many inputs of one client, its resolved URLs are forgotten (made again when asked). */
const maxResolved = 500;

type Resolver = (input: string | URL, call?: object) => string;

/**
 * The absolute URL a call of `input` goes to, as `api` resolves it (`prefix`, `baseUrl`, the call's
 * own `options` first, its `searchParams` added as ky adds them; the client's own resolver, a member
 * no public name reaches, which also removes sensitive query values); when no URL results (the call
 * itself then rejects with `InvalidRequestError`), the input as given with those values and a
 * userinfo password removed (also when the call's `searchParams` cannot be added); the input as given (a
 * string) when `api` has no resolver (a stand-in client); `''` when no text is made of the input, its
 * `prefix` or its `baseUrl` (a Symbol, an object without `toString`): never a throw, the call rejects.
 */
export const absoluteUrl = (api: object, given: string | URL, options?: { prefix?: unknown; baseUrl?: unknown; searchParams?: unknown }): string => {
	const resolver = (api as { [resolveUrl]?: Resolver })[resolveUrl];
	let url: string | undefined;
	try {
		if (!resolver) {
			return String(given);
		}

		// A call's own prefix or base goes into the key: the same input then names another URL; so does the page's base (a
		// relative input, or `baseUrl`, resolves against it: a single-page app's `pushState` moves it). Only a string or a URL is kept
		// by its text: an input that is no URL (`5`, an object whose `toString` gives a path) would leave its own text (the call
		// rejects) under the key of the string it reads as.
		const key = typeof given === 'string' || given instanceof URL ? `${options?.prefix} ${options?.baseUrl} ${given} ${globalThis.document?.baseURI}` : undefined;
		let urls = resolved.get(api);
		url = key === undefined ? undefined : urls?.get(key);
		if (url === undefined) {
			// A `prefix` or `baseUrl` given as `undefined` is not given (API.md "Option values"): the client's apply, as for the call.
			url = resolver(given, Object.fromEntries(Object.entries({ prefix: options?.prefix, baseUrl: options?.baseUrl }).filter(([, value]) => value !== undefined)));
			if (key !== undefined) {
				if (!urls || urls.size >= maxResolved) {
					urls = new Map();
					resolved.set(api, urls);
				}

				urls.set(key, url);
			}
		}

		// Added to the absolute URL, which the resolver then takes as it is, removing sensitive values again (inside ky's
		// `replaceOption()` mark, the parameters the call goes with).
		return options?.searchParams === undefined ? url : resolver(withSearchParams(url, unmarked(options.searchParams)));
	} catch {
		// What ky refuses (the call rejects): the URL as the resolver gave it, its sensitive values removed. An input, `prefix` or
		// `baseUrl` no text is made of (a Symbol, an object without `toString`: the call rejects with `InvalidRequestError`): none.
		return url ?? '';
	}
};
