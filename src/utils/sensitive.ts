import { check, isToken } from './validate.js';

/**
 * Headers that carry credentials: never stored, whatever the options say. `Set-Cookie` too (API.md
 * "Sensitive data"): a browser's fetch refuses it on a request, a server runtime's (a proxy) does not.
 */
export const credentialHeaders: readonly string[] = ['authorization', 'cookie', 'proxy-authorization', 'set-cookie'];

/**
 * Query parameters treated as secrets by default (`sensitiveParams`): ours, OpenTelemetry's list for
 * `url.full` (`AWSAccessKeyId`, `Signature`, `sig`, `X-Goog-Signature`), and the other halves of
 * signed cloud-storage URLs. Matched case-insensitively.
 */
export const defaultSensitiveParams: readonly string[] = [
	'access_token', 'refresh_token', 'id_token', 'token', 'api_key', 'apikey', 'key', 'password', 'passwd',
	'secret', 'client_secret', 'signature', 'sig', 'AWSAccessKeyId', 'X-Amz-Signature', 'X-Amz-Credential',
	'X-Amz-Security-Token', 'X-Goog-Signature', 'X-Goog-Credential',
];

/**
 * The lower-case header names an option marks sensitive, plus the credential headers, which are
 * sensitive whatever it says. Throws a RangeError naming the option and the value for anything but
 * an array of header names.
 */
export const sensitiveSet = (option: string, names: unknown): ReadonlySet<string> => {
	check(Array.isArray(names), option, names, 'an array of header names');
	for (const name of names as unknown[]) {
		check(isToken(name), option, name, 'a header name');
	}

	return new Set([...credentialHeaders, ...(names as string[]).map((name) => name.toLowerCase())]);
};

/**
 * Whether the header `name` (any case) is listed in a client's `sensitiveHeaders`: its value is never shown in an
 * event, log record or span (the trace slot's request id header, when listed).
 */
export const listedSensitive = (options: { readonly sensitiveHeaders?: readonly string[] | undefined }, name: string): boolean =>
	(options.sensitiveHeaders ?? []).some((listed) => listed.toLowerCase() === name.toLowerCase());

/** The lower-case query parameter names of a client's `sensitiveParams` (checked by `createClient`) and the default ones: a list given adds to them, never replaces them. */
export const sensitiveParamSet = (options: { readonly sensitiveParams?: readonly string[] | undefined }): ReadonlySet<string> =>
	new Set([...defaultSensitiveParams, ...options.sensitiveParams ?? []].map((name) => name.toLowerCase()));

/** A raw query parameter name as a server reads it: percent-decoded (leniently, like `URLSearchParams`), `+` a space, lower-case. */
const nameOf = (raw: string): string => (/[%+]/.test(raw) ? new URLSearchParams(raw).keys().next().value ?? '' : raw).toLowerCase();

/**
 * Whether a raw query parameter name is a sensitive one (`nameOf`): itself, or one of the names it nests, as PHP, Rails
 * and `qs` read it — a list's or a map's and its members (`access_token[]`, `access_token[0]`: how axios, `qs` and forms
 * send an array; `user[token]`, `a[b][password]`: a nested object's) when it ends with a bracket, and the parts between
 * its dots (`access.token`: `qs`'s `allowDots`; PHP reads it as `access_token`).
 */
const isSensitiveName = (raw: string, params: ReadonlySet<string>): boolean => {
	const name = nameOf(raw);
	return params.has(name) || name.split(name.endsWith(']') ? /[.[\]]/ : '.').some((part) => params.has(part));
};

/**
 * The sensitive parameters of a URL's query and fragment (an OAuth implicit grant answers
 * `#access_token=…`; a hash route has a query of its own), separated by `&` or `;`, as `name=value` lines, decoded (undefined
 * when none), and the URL with their values removed, the rest of it byte for byte. A name is compared
 * case-insensitively after percent-decoding (`secre%74=` is `secret=`), a nested one's by each name it nests
 * (`access_token[]=`, `user[token]=`, `access.token=`: `isSensitiveName`). A URL without `?` or `#`
 * costs two `indexOf`s; with one, a split and a set lookup per parameter.
 */
export const splitSensitive = (url: string, params: ReadonlySet<string>): { found: string | undefined; redacted: string } => {
	let found: string | undefined;
	const query = url.indexOf('?');
	const hash = url.indexOf('#');
	const start = query === -1 || (hash !== -1 && hash < query) ? hash : query;
	if (start === -1 || params.size === 0) {
		return { found, redacted: url };
	}

	// `name=value` parts at even indexes, the `?`, `&`, `;` or `#` between them at odd ones (a server may split at `;` too).
	const parts = url.slice(start + 1).split(/([?&;#])/);
	for (let index = 0; index < parts.length; index += 2) {
		let part = parts[index]!;
		const equals = part.indexOf('=');
		if (equals !== -1 && isSensitiveName(part.slice(0, equals), params)) {
			// Up to the next `&`: a server that splits at `&` only reads `token=a;b` as one value. Each part it takes is
			// emptied in place (a splice per `;` moved the rest of the list each time: quadratic in a run of them).
			const first = index;
			while (parts[index + 1] === ';') {
				part += `;${parts[index + 2]}`;
				parts[index + 1] = parts[index + 2] = '';
				index += 2;
			}

			for (const [name, value] of new URLSearchParams(part)) {
				found = `${found ?? ''}${name}=${value}\n`;
			}

			parts[first] = part.slice(0, equals + 1);
		}
	}

	return { found, redacted: found === undefined ? url : `${url.slice(0, start + 1)}${parts.join('')}` };
};

/**
 * `url` without its fragment: fetch never sends it, so `/a#1` and `/a#2` are one resource, as the
 * stale cache keys its copies and the outbox stores a write (a secret there stays out with it).
 */
export const withoutFragment = (url: string): string => {
	const hash = url.indexOf('#');
	return hash === -1 ? url : url.slice(0, hash);
};

/**
 * `url` with the values of its sensitive query (and fragment) parameters removed (see `splitSensitive`): what every
 * URL in an event, log record or span shows. Nearly free for a URL without a query or a fragment.
 */
export const redact = (url: string, params: ReadonlySet<string>): string => url.includes('?') || url.includes('#') ? splitSensitive(url, params).redacted : url;

/**
 * `text` (an error's message: ky's and ours name the request's URL, absolute or as the caller gave
 * it) with every URL-like word that has a query or a fragment redacted (`redact`): what an event's error and a
 * span's status message show. Each word whole, in one pass: linear in the text's length, which a server's status
 * text or an app's message sets (a word scanned to its end from each of its starts took about 4 s for 64 KB).
 */
export const redactText = (text: string, params: ReadonlySet<string>): string => text.replace(/\S+/g, (word) => redact(word, params));

/**
 * `text` without the userinfo of the URLs in it (`https://user:pass@host/x` is `https://host/x`, `\\` as `//`; up to
 * the last `@` before the host ends, as a URL parser reads it; a special scheme's with fewer slashes too, which the parser
 * reads as its authority: `https:/user:pass@host`, `http:user:pass@host`, not a `mailto:`'s): a password, or a key sent as the user name (the user
 * name `hideUserinfo` keeps in a message), is never stored. A userinfo that a removal brings right after the slashes goes too
 * (`//a@/b@c` is `///c`, `//@\@` is `//\`): run again on what it gave, it changes nothing, as a stored copy's check
 * (record.ts `foreign`) runs it. Only a value with an `@` is searched, in linear time.
 */
export const withoutUserinfo = (text: string): string => text.includes('@') ? text.replace(/(?<=[/\\]{2}|(?<![\w+.-])(?:https?|wss?|ftp):[/\\]?)(?:[^\s/?#\\<>"]*@[/\\]*)+/gi, (userinfo) => userinfo.replace(/[^/\\]/g, '')) : text;

/**
 * A response header's value as a stored copy and an event's error show it: the URLs it names (a `Location`, a
 * `Content-Location`, a `Link`, where reports go, an app's own `X-Next-Page`) without userinfo (`withoutUserinfo`) and
 * without sensitive query values (`redact`): each word with a query or a fragment, ending at white space, `<`, `>` or
 * `"` (`<url>; rel="next"` keeps its shape), the `;`s that end it left out (a CSP's `report-uri <url>; report-to csp`).
 * Only a value with a `?` or `#` is searched for those; each word whole, in one pass: in time linear in the value's
 * length (a server's header may be of any length; a word scanned to its end from each of its starts took 5.6 s for
 * one of 60,000 characters).
 */
export const headerShown = (value: string, params: ReadonlySet<string>): string => {
	const shown = withoutUserinfo(value);
	return /[?#]/.test(shown) ? shown.replace(/[^\s<>";]+(?:;+[^\s<>";]+)*/g, (url) => redact(url, params)) : shown;
};
