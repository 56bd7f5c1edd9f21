import type { PolicyCall, PolicyContext } from '../core/policy.js';
import { here } from '../utils/origins.js';
import { sensitiveOf } from '../core/sensitive-of.js';
import { splitSensitive } from '../utils/sensitive.js';

/**
 * Whether a URL carries a sensitive query parameter (a presigned upload), or one of `values` does (a header's: a
 * `Referer` or `X-Return-To` naming such a URL, which a server runtime's caller may set): such a write is never stored.
 */
export const secretUrl = (context: PolicyContext, url: string, values: Iterable<string> = []): boolean =>
	[url, ...values].some((value) => splitSensitive(value, sensitiveOf(context).params).found !== undefined);

/**
 * The URL a call goes to, as ky will build it, known before ky runs: a string input joined to
 * `prefix` and resolved against `baseUrl` (the call's options over the client's; else the page's
 * location, where there is one), then `searchParams` — the client's, then the call's, a call's
 * `null` dropping the client's (`undefined` is not given), a name given `undefined` removed. `undefined` when it
 * does not parse (or the input is no URL at all). A `beforeRequest` hook may still change it: what the layer sees is checked too.
 */
export const targetOf = ({ input, options: own }: PolicyCall, defaults: PolicyContext['options']): URL | undefined => {
	// One the call gives as `undefined` is not given (API.md "Option values"): the client's, as the core hands ky.
	const option = (name: 'prefix' | 'baseUrl' | 'searchParams'): unknown => (Object.hasOwn(own, name) && own[name] !== undefined ? own : defaults)[name];
	const page = here();
	const prefix = option('prefix');
	const baseUrl = option('baseUrl');
	try {
		// Inside: an object that passes for a URL and is none (`Object.create(URL.prototype)`) throws here, a call ky refuses.
		let href = input instanceof Request ? input.url : String(input);
		if (typeof input === 'string') {
			href = prefix ? `${String(prefix).replace(/\/+$/, '')}/${href.replace(/^\/+/, '')}` : href;
		}

		const url = new URL(href, typeof input === 'string' && baseUrl ? new URL(baseUrl as string, page) : page);
		for (const params of option('searchParams') == null ? [] : [defaults.searchParams, own.searchParams]) {
			// A plain object's names given `undefined` are removed; any other form is read as `URLSearchParams` reads it.
			const pairs: Iterable<[string, unknown]> = params?.constructor === Object ? Object.entries(params as object) : params == null ? [] : new URLSearchParams(params as string);
			for (const [name, value] of pairs) {
				if (value === undefined) {
					url.searchParams.delete(name);
				} else {
					url.searchParams.append(name, String(value));
				}
			}
		}

		return url;
	} catch {
		return undefined;
	}
};
