/** Throws a RangeError naming the option and the value unless `ok`. */
/**
 * A factory's options: `undefined` and `null` take its defaults; anything else that is not an object
 * (a number, a string, an array) is a `TypeError` naming the factory, never read as no options.
 */
export const optionsOf = <T extends object>(options: T | null | undefined, factory: string): T => {
	if (options != null && !isOptions(options)) {
		throw new TypeError(`\`${factory}()\` takes an options object; got ${describe(options)}`);
	}

	return options ?? ({} as T);
};

export const check = (ok: boolean, option: string, value: unknown, expected: string): void => {
	if (!ok) {
		throw new RangeError(`\`${option}\` must be ${expected}; got ${describe(value)}`);
	}
};

/**
 * The `checkCall` (`PolicyParts.checkCall`) of a policy whose only per-call value is `false`: it
 * runs for any other value given, which would otherwise leave the policy on for the call unnoticed
 * (`breaker: 'off'`). A RangeError naming the slot; the call rejects with `InvalidRequestError`.
 */
export const offOnly = (slot: string) => (value: unknown): void => check(false, slot, value, 'false, or left out');

/**
 * Whether `url` is an absolute URL (or one `base` resolves), as `URL.canParse(url, base)` says —
 * which Chrome and Edge have only from 120, and the README supports 116+ — asked of the constructor.
 */
export const canParse = (url: string | URL, base?: string): boolean => {
	try {
		return Boolean(new URL(url, base));
	} catch {
		return false;
	}
};

/** Whether `value` is an object as `typeof` says (an array too, not a function), not null: the one place the test is written. */
export const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null;

/**
 * Whether `value` is an options object: an object, not a list, nor a Number, String, Boolean or BigInt object
 * (`new Number(5)`, `new Boolean(false)`, of any realm: by its tag), which `typeof` calls an object too and whose keys, none,
 * would be read as no options (ky's `retry: new Number(5)` its defaults; `breaker: new Boolean(false)` a breaker, on).
 */
export const isOptions = (value: unknown): value is object =>
	isObject(value) && !Array.isArray(value) && !/^\[object (?:Number|String|Boolean|BigInt)\]$/.test(tagOf(value));

/**
 * `Object.prototype.toString` of `value`, or '' when it throws: a Proxy whose trap throws as its `Symbol.toStringTag` is
 * read, whose options are then refused where they are read ("could not be read"), never with the trap's own error.
 */
const tagOf = (value: object): string => {
	try {
		return Object.prototype.toString.call(value);
	} catch {
		return '';
	}
};

/**
 * `text` (an error's message) without the password of any URL's userinfo in it
 * (`https://user:@host/`, the user name kept to say which URL; in every form the URL parser reads:
 * `https:u:…@`, backslashes, any case, a space or a tab in it): fetch refuses such a URL, and the
 * error that says so gets logged (secrets stay out of what we write). Nor with a header value fetch
 * refused (Node's `Headers.append: "…" is an invalid header value.`): any header's may be a
 * credential (an `Authorization` with a line break), and its name is not said.
 */
export const hideUserinfo = (text: string): string => {
	const hidden = withoutPasswords(text);
	// The header value: from the first quote to the one before the words (one pass each way, no backtracking).
	const open = hidden.indexOf('"');
	const close = hidden.lastIndexOf('" is an invalid header value');
	return open !== -1 && close > open ? `${hidden.slice(0, open)}"…"${hidden.slice(close + 1)}` : hidden;
};

/**
 * What comes before a password (`scheme:` and its slashes, or `//`, then the user name and its colon), at the start of a
 * run of scheme characters only (a scheme is looked for once per run, not once per character of it).
 */
const beforePassword = /(?:(?<![\w+.-])[\d_+.-]*[a-z][\w+.-]*:[/\\]*|[/\\]{2})[^\s/\\?#@:]*:/gi;
/** A password's reach: up to the end of the authority (`/`, `\`, `?` or `#`); it ends at the last `@` in it. */
const authorityRest = /[^/\\?#]*/y;

/**
 * `text` with the passwords of `hideUserinfo` removed, in time linear in its length — what one regular expression
 * (`(scheme:|//)user:` then `[^/\\?#]*@`) took quadratic time for: a long run of letters, or of `a:`, without an `@`
 * after it (a token in an error message: seconds per 16 000 characters). The same passwords go: each `@`, and each
 * authority's end, is looked for once.
 */
const withoutPasswords = (text: string): string => {
	let shown = '';
	let from = 0;
	let at = text.indexOf('@');
	let restFrom = 0;
	let restTo = 0;
	beforePassword.lastIndex = 0;
	while (at !== -1) {
		const match = beforePassword.exec(text);
		if (!match) {
			break;
		}

		const start = match.index + match[0].length;
		if (at < start) {
			at = text.indexOf('@', start);
		}

		if (start < restFrom || start >= restTo) {
			authorityRest.lastIndex = restFrom = start;
			authorityRest.test(text);
			restTo = authorityRest.lastIndex;
		}

		if (at === -1 || at >= restTo) {
			beforePassword.lastIndex = match.index + 1; // No password here: a later start inside this one may still have one.
			continue;
		}

		const end = text.lastIndexOf('@', restTo - 1);
		shown += text.slice(from, start);
		from = end;
		beforePassword.lastIndex = end + 1;
	}

	return shown + text.slice(from);
};

/**
 * What a thrown value says, for a message of ours: an Error's message, else its string form; one with none (an
 * `Object.create(null)`, a message that is no string or throws as it is read) its type, never a throw of its own.
 */
export const thrownText = (error: unknown): string => {
	let text: unknown;
	try {
		text = (error as Error)?.message ?? String(error);
	} catch {}
	return typeof text === 'string' ? text : typeof error;
};

/**
 * A value as an error message shows it: a string quoted (without a URL's password), a number, boolean, null or undefined
 * as itself, a list as its items (`["500"]`), a list in it as `[…]` when not empty (a query's pair: its value may be a
 * secret, `["token","…"]`), else its type.
 */
export const describe = (value: unknown, inner?: boolean): string =>
	typeof value === 'string' ? JSON.stringify(hideUserinfo(value)) : typeof value === 'number' || typeof value === 'boolean' || value == null ? String(value)
		: Array.isArray(value) ? (inner && value.length ? '[…]' : `[${value.map((item) => describe(item, true))}]`) : typeof value;

/** An RFC 9110 token (a header name, a method): the one place its characters are written. */
export const isToken = (value: unknown): value is string => typeof value === 'string' && /^[!#$%&'*+.^_`|~\w-]+$/.test(value);

/** An id from outside (a request id forwarded from an incoming request, an idempotency key) as one is taken: 1–255 printable ASCII characters. */
export const isPrintableId = (value: unknown): value is string => typeof value === 'string' && /^[\x20-\x7e]{1,255}$/.test(value);

/**
 * Whether `name` is a header name a client option may give its own values to (`deadlineHeader`, trace's
 * `requestIdHeader`): a token, not one the trace slot sets (`traceparent`, `tracestate`), auth's token
 * (`Authorization`), a keyed write's key (`Idempotency-Key`), nor one a browser's fetch drops (`Cookie`, `Host`,
 * `Origin`, `Sec-…`, `Proxy-…` and the Fetch standard's other forbidden request headers).
 */
export const isOwnHeader = (name: unknown): name is string =>
	isToken(name) && !/^(trace(parent|state)|authorization|idempotency-key|accept-(charset|encoding)|access-control-request-\w+|connection|content-length|cookie2?|date|dnt|expect|host|keep-alive|origin|referer|set-cookie|te|trailer|transfer-encoding|upgrade|via|(proxy|sec)-.*)$/i.test(name);

export const isPositiveInteger = (value: unknown): value is number => Number.isInteger(value) && (value as number) > 0;
export const isNonNegativeInteger = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;
export const isPositiveFinite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value > 0;
export const isNonNegativeFinite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;

/**
 * The longest delay a timer holds, in ms (2^31 − 1: setTimeout fires at once past it): the upper
 * bound of every duration option, the one place it is written. Options that only bound an age or a
 * window (`maxStaleMs`, `retentionMs`, `windowMs`, `ttlMs`) take any positive finite value instead.
 */
export const maxTimerMs = 2_147_483_647;
/** A duration a timer can wait: a finite number of ms from 0 to `maxTimerMs`. */
export const isTimerMs = (value: unknown): value is number => isNonNegativeFinite(value) && value <= maxTimerMs;
/** A duration a timer can wait, above 0. */
export const isPositiveTimerMs = (value: unknown): value is number => isTimerMs(value) && value > 0;
/**
 * What a RangeError says a duration option must be (constants: a module that only declares its rules
 * stays free of side effects). Each written out around `maxTimerMs`: a bundler folds that into a
 * string it drops where unused (one built on another string stays in every bundle).
 */
export const timerMs = `a non-negative finite number of ms up to ${maxTimerMs}`;
export const positiveTimerMs = `a positive finite number of ms up to ${maxTimerMs}`;
export const positiveTimerMsOrFalse = `a positive finite number of ms up to ${maxTimerMs} or false`;

/**
 * An options object without its keys whose value is `undefined`: an explicit `undefined` means "not
 * given" (the default applies), as in ky, also where defaults are spread under the options. Own
 * keys only.
 */
export const given = <T extends object>(options: T): Partial<T> => {
	const result: Record<string, unknown> = {};
	for (const [key, value] of Object.entries(options)) {
		if (value !== undefined) {
			setOwn(result, key, value);
		}
	}

	return result as Partial<T>;
};

/**
 * `target[key] = value` as an own property whatever the key: `__proto__` (from parsed JSON) stays
 * an ordinary key instead of replacing the target's prototype.
 */
export const setOwn = (target: Record<string, unknown>, key: string, value: unknown): void => {
	Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
};

/**
 * How one option is checked when given (not `undefined`): the test its value must pass, what the
 * RangeError naming it says it must be, and whether the keys of its value are looked up too
 * (`retry.limit`; a number given as `retry` is its `limit`).
 */
export type Rule = readonly [test: (value: unknown) => boolean, expected: string, nested?: true];

/**
 * The value inside ky's `replaceOption()` mark (an object of ky's own `replaceOption` symbol and its
 * `value`), else the value itself: what ky merges in (`retry: replaceOption({ … })`, `hooks: …`). By the
 * symbol's description: importing ky here cost the preset ~9.5k instructions per call on new URLs.
 */
export const unmarked = (value: unknown): unknown =>
	isObject(value) && 'value' in value && Object.getOwnPropertySymbols(value).some((key) => key.description === 'replaceOption') ? value.value : value;

/**
 * Throws a RangeError naming the option (its path: `prefix` and the key) for a given value that
 * breaks its rule in `rules` (by path, own properties only: the one lookup of option rules). Only the
 * keys given are looked at: few options, little work. A value whose keys are checked too (`retry`,
 * `hooks`) is checked inside ky's `replaceOption()` mark.
 */
export const checkRules = (options: object, rules: Readonly<Record<string, Rule>>, prefix = ''): void => {
	for (const [key, given] of Object.entries(options)) {
		const path = prefix + key;
		// Own keys only: an option named as an Object.prototype member (`constructor`, `toString`,
		// `__proto__` from parsed JSON) is an unknown key, not a rule read through the prototype.
		const rule = Object.hasOwn(rules, path) ? rules[path] : undefined;
		const value = rule?.[2] ? unmarked(given) : given;
		if (rule && value !== undefined) {
			check(rule[0](value), path, value, rule[1]);
			if (rule[2]) {
				checkRules(typeof value === 'number' ? { limit: value } : value as object, rules, `${path}.`);
			}
		}
	}
};

/**
 * A sync iterable that is none of fetch's own body types (a string, a `String`, bytes, `FormData`, `URLSearchParams`:
 * iterable too): a generator, a `Set`, an array. Sent by the edge build, refused by the others (core/server-failure.ts `iterableBodies`).
 */
export const isSyncIterable = (body: unknown): boolean => typeof body === 'object' && body !== null && Symbol.iterator in body
	&& !ArrayBuffer.isView(body) && !(body instanceof String || body instanceof FormData || body instanceof URLSearchParams);

/**
 * An async iterable that is no `ReadableStream` (async iterable too): an async generator. Sent by Node's and the edge
 * builds, refused by the browser's (core/server-failure.ts `asyncIterableBodies`).
 */
export const isAsyncIterable = (body: unknown): boolean => typeof body === 'object' && body !== null && Symbol.asyncIterator in body && !(body instanceof ReadableStream);
