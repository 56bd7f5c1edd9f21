import { check } from './validate.js';

/** `location.href` where there is one (pages, workers); Deno throws on `location` without `--location`. */
export const here = (): string | undefined => {
	try {
		return globalThis.location?.href;
	} catch {
		return undefined;
	}
};

/** The http(s) origin of `value` (resolved against `base`), else undefined. */
const originOf = (value: unknown, base?: string): string | undefined => {
	try {
		const { origin } = new URL(value as string, base);
		return origin.startsWith('http') ? origin : undefined;
	} catch {
		return undefined;
	}
};

/**
 * Check an option that names origins (`auth.origins`, `trace.propagateTo`): `'*'`, or an array of
 * http(s) origins — scheme, host and port only, a trailing `/` allowed — returned normalised
 * (`'HTTPS://API.example.com:443/'` is `'https://api.example.com'`). A RangeError names the option
 * and the bad value (a path, a query, credentials, another scheme) and the origin to give instead.
 */
export const checkOrigins = (option: string, value: unknown): readonly string[] | '*' | undefined => {
	if (value === undefined || value === '*') {
		return value as '*' | undefined; // Narrowed as much without strictNullChecks (test/ky-compat's project).
	}

	check(Array.isArray(value), option, value, "'*' or an array of origins");
	return (value as unknown[]).map((item) => {
		const origin = originOf(item);
		if (origin === undefined || new URL(item as string).href !== `${origin}/`) {
			// What to give instead: its origin (a `baseUrl` pasted), or that of a host typed without its scheme.
			check(false, option, item, `an http(s) origin, scheme, host and port only (as "${origin ?? ((typeof item === 'string' && originOf(`https://${item}`)) || 'https://api.example.com')}")`);
		}

		return origin!;
	});
};

/**
 * The prefixes (`<origin>/`) a URL as `Request.url` writes it starts with when it goes to one of
 * `origins` (checked by `checkOrigins`); `'*'`: `['']`, every URL. Without origins, the default: the
 * origin of the client's `prefix`/`baseUrl` when one is set (from `options`), plus `location.origin`
 * where there is one. Made once per client; auth also names its Web Lock and channel after them.
 */
export const originPrefixes = (origins: readonly string[] | '*' | undefined, options: { readonly prefix?: unknown; readonly baseUrl?: unknown }): readonly string[] => {
	const page = here();
	// An unset prefix resolves to the page itself (or to nothing without a page): no harm.
	// A value with no http(s) origin gives `undefined/`, which no URL starts with.
	return origins === '*' ? [''] : (origins ?? [options.prefix, options.baseUrl, page]).map((value) => `${originOf(value, page)}/`);
};
