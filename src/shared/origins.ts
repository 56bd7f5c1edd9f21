import { check } from '../core/validate.js';

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
 * Check an option that names origins (`trace.propagateTo`, ...): `'*'`, or an array of http(s)
 * origins (`'https://api.example.com'`, a trailing `/` allowed). A RangeError names the option and
 * the bad value.
 */
export const checkOrigins = (option: string, value: unknown): readonly string[] | '*' | undefined => {
	if (value !== undefined && value !== '*') {
		check(Array.isArray(value), option, value, "'*' or an array of origins");
		for (const item of value as unknown[]) {
			check(originOf(item)?.toLowerCase() === String(item).replace(/\/$/, '').toLowerCase(), option, item, 'an http(s) origin, such as https://api.example.com');
		}
	}

	return value as readonly string[] | '*' | undefined;
};

/**
 * Whether a URL as `Request.url` writes it goes to one of `origins` (checked by `checkOrigins`);
 * `'*'`: every URL. Without origins, the default: the origin of the client's `prefix`/`baseUrl`
 * when one is set (from `options`), plus `location.origin` where there is one. Made once per client.
 */
export const originTest = (origins: readonly string[] | '*' | undefined, options: Readonly<Record<string, unknown>>): ((url: string) => boolean) => {
	if (origins === '*') {
		return () => true;
	}

	const page = here();
	// An unset prefix resolves to the page itself (or to nothing without a page): no harm.
	const prefixes = (origins ?? [options['prefix'], options['baseUrl'], page]).flatMap((value) => {
		const origin = originOf(value, page);
		return origin ? [`${origin}/`] : [];
	});
	return (url) => prefixes.some((prefix) => url.startsWith(prefix));
};
