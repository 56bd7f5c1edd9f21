import { check } from '../core/validate.js';

/** Headers that carry credentials: never stored, whatever the options say. */
export const credentialHeaders: readonly string[] = ['authorization', 'cookie', 'proxy-authorization'];

/** Query parameters treated as secrets by default (`sensitiveParams`). */
export const defaultSensitiveParams: readonly string[] = [
	'access_token', 'refresh_token', 'id_token', 'token', 'api_key', 'apikey', 'key', 'password', 'passwd',
	'secret', 'client_secret', 'signature', 'sig', 'x-amz-signature', 'x-amz-credential', 'x-amz-security-token',
];

const token = /^[!#$%&'*+.^_`|~\w-]+$/;

/**
 * The lower-case header names an option marks sensitive, plus the credential headers, which are
 * sensitive whatever it says. Throws a RangeError naming the option and the value for anything but
 * an array of header names.
 */
export const sensitiveSet = (option: string, names: unknown): ReadonlySet<string> => {
	check(Array.isArray(names), option, names, 'an array of header names');
	for (const name of names as unknown[]) {
		check(typeof name === 'string' && token.test(name), option, name, 'a header name');
	}

	return new Set([...credentialHeaders, ...(names as string[]).map((name) => name.toLowerCase())]);
};

/** The lower-case query parameter names of `sensitiveParams`, checked (a RangeError names a bad one). */
export const sensitiveParamSet = (names: unknown): ReadonlySet<string> => {
	check(Array.isArray(names), 'sensitiveParams', names, 'an array of query parameter names');
	for (const name of names as unknown[]) {
		check(typeof name === 'string' && name.length > 0 && name.length <= 256, 'sensitiveParams', name, 'a non-empty parameter name');
	}

	return new Set((names as string[]).map((name) => name.toLowerCase()));
};

/**
 * The sensitive query parameters of a URL as `name=value` lines (undefined when none), and the URL
 * with their values removed. Cheap when the query names none of them: no parsing.
 */
export const splitSensitive = (url: string, params: ReadonlySet<string>): { found: string | undefined; redacted: string } => {
	const start = url.indexOf('?');
	if (start === -1 || params.size === 0) {
		return { found: undefined, redacted: url };
	}

	const end = url.indexOf('#', start);
	const query = url.slice(start + 1, end === -1 ? undefined : end).toLowerCase();
	let mentioned = false;
	for (const name of params) {
		if (query.includes(`${name}=`)) {
			mentioned = true;
			break;
		}
	}

	if (!mentioned) {
		return { found: undefined, redacted: url };
	}

	const parsed = new URL(url);
	let found: string | undefined;
	const kept = new URLSearchParams();
	for (const [name, value] of parsed.searchParams) {
		if (params.has(name.toLowerCase())) {
			found = `${found ?? ''}${name}=${value}\n`;
			kept.append(name, '');
		} else {
			kept.append(name, value);
		}
	}

	parsed.search = kept.toString();
	return { found, redacted: parsed.href };
};
