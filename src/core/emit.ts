import { headerShown, redact, redactText } from '../utils/sensitive.js';
import { hideUserinfo } from '../utils/validate.js';
import type { Emitter } from './events.js';
import type { PolicyContext } from './policy.js';
import type { Clock } from './types.js';

/** The scope of an event's URL; `'*'` (the client's) for what is not a URL. */
const scopeOrAll = (scopeOf: (url: string) => string, url: string): string => {
	try {
		return scopeOf(url);
	} catch {
		return '*';
	}
};

/**
 * An error's answer as an event shows it: without the headers that hold a secret (`secret`, lower-case: a server
 * runtime's fetch shows `Set-Cookie`; the answer's own `Authentication-Info`), and the URLs its other headers name
 * (`Location`, `Content-Location`, `Link`, any other) without userinfo and sensitive query values (`headerShown`, as a
 * stored copy keeps them); the rest as it came (status, `url`) and no body (ky read it into the error's `data`); the
 * answer itself when it shows none of those, undefined when no copy can be made of it.
 */
const withoutSecrets = (response: Response, secret: ReadonlySet<string>, params: ReadonlySet<string>): Response | undefined => {
	try {
		const headers = new Headers();
		let changed = false;
		response.headers.forEach((value, name) => {
			const shown = secret.has(name) ? undefined : headerShown(value, params);
			changed ||= shown !== value;
			if (shown !== undefined) {
				headers.append(name, shown);
			}
		});
		return changed ? Object.defineProperty(new Response(null, { status: response.status, statusText: response.statusText, headers }), 'url', { value: response.url }) : response;
	} catch {
		return undefined;
	}
};

/**
 * How the client emits an event (`PolicyContext.emit`): with the context's own `type` and `time`
 * (a `type` or `time` in the fields is ignored) and a `scope` (the one the fields give, else the scope
 * of their `url`, else the client's `'*'`), skipped when nobody listens. Every URL in an event has its sensitive query values and its password removed (`url`,
 * failover's `mirror`; a `URL` object's as its string), and so has an error's message (ky's name the URL), without a URL's password too
 * (`hideUserinfo`: a store's connection string). An error of the same class
 * stands in for such an error, and for any of ky's errors (their `request` and `options` hold the
 * call's headers: `Authorization`, `Cookie`): without `request` and `options`, with the rest
 * (`response`, `data`, `cause`) only when neither its message nor its answer's URL (a redirect's)
 * named a secret; its `response` as `withoutSecrets` shows it (`secret`: the lower-case names of the
 * credential headers, `Set-Cookie2`, `Authentication-Info`, `Proxy-Authentication-Info` and `sensitiveHeaders`). `params`: the client's
 * sensitive query parameters (`sensitiveParamSet`, made once per client).
 */
export const redactedEmit = (emitter: Emitter, clock: Clock, params: ReadonlySet<string>, scopeOf: (url: string) => string, secret: ReadonlySet<string>): PolicyContext['emit'] => (type, fields) => {
	if (emitter.has(type)) {
		// `type`, `time` and `scope` first, as every event has read since the first release; the context's
		// own `type` and `time` whatever the fields say (assigned again, so they keep their place).
		const time = clock.now();
		const event = { type, time, ...fields } as Record<string, unknown>;
		event['type'] = type;
		event['time'] = time;
		for (const key of ['url', 'mirror']) {
			// A `URL` object as its string (redacted below): never its sensitive query values.
			if (event[key] instanceof URL) {
				event[key] = String(event[key]);
			}
		}

		if (typeof event['scope'] !== 'string') {
			event['scope'] = typeof event['url'] === 'string' ? scopeOrAll(scopeOf, event['url']) : '*';
		}

		for (const key of ['url', 'mirror']) {
			if (typeof event[key] === 'string') {
				// Without a password (an app's policy may emit one: fetch refuses such a URL, so the core's own never have one).
				event[key] = redact(hideUserinfo(event[key]), params);
			}
		}

		const { error } = event;
		if (error instanceof Error) {
			const message = redactText(hideUserinfo(error.message), params);
			// Its answer's URL too: after a redirect (to a presigned URL) it is not the one ky's message names.
			const url = `${(error as { response?: { url?: unknown } }).response?.url}`;
			const same = message === error.message && redact(url, params) === url;
			if (!same || 'request' in error) {
				// Of the same class (`instanceof HTTPError` holds), without `request` and `options`.
				const stand = Object.create(Object.getPrototypeOf(error) as object) as Record<string, unknown>;
				for (const key in error) {
					if (same && key !== 'request' && key !== 'options') {
						stand[key] = (error as unknown as Record<string, unknown>)[key];
					}
				}

				if (stand['response'] instanceof Response) {
					stand['response'] = withoutSecrets(stand['response'], secret, params);
				}

				event['error'] = Object.assign(stand, { name: error.name, message, cause: same ? error.cause : undefined });
			}
		}

		emitter.emit(type, event as never);
	}
};
