import type { ClientOf as Client } from '../core/client-types.js';
import { classify, classifyStatus } from '../errors/classify.js';
import { clientName, deliveredBy, isDelivery } from '../core/world.js';
import { resolveUrl } from '../core/scope.js';
import { hideUserinfo, optionsOf, thrownText } from '../utils/validate.js';
import { here } from '../utils/origins.js';

/**
 * The page Request's fields its call takes, each with the values it is not taken with (then the client's own stands): the
 * value a field has when the page did not set it (a page's default referrer policy reaches its worker filled in, as
 * `strict-origin-when-cross-origin`). (A page's `cache: 'only-if-cached'`, which needs the page's same-origin mode that a
 * request made here does not have, is left alone: `fetchHandler`.) Not `integrity`: the page's browser checks what the worker answers against it, where
 * the worker's fetch would fail a mismatch as a dropped connection (retried, counted by the breaker, a write queued).
 */
const notTaken = {
	credentials: ['same-origin'],
	cache: ['default'],
	redirect: ['follow'],
	referrer: ['about:client'],
	referrerPolicy: ['', 'strict-origin-when-cross-origin'],
	keepalive: [false],
};
type Forwarded = keyof typeof notTaken;

/** What `fetchHandler` uses of a service worker's `fetch` event. */
export interface FetchEventLike {
	readonly request: Request;
	respondWith(response: Response | Promise<Response>): void;
	/**
	 * The event's `waitUntil`: the call's own (`waitUntil` call option), so the worker is kept alive for
	 * the client's background work (a copy written behind the answer, a write's attempt going on after
	 * an early `202`, the outbox's records) until it ends. A `FetchEvent` has it.
	 */
	waitUntil?(promise: Promise<unknown>): void;
}

/** Options of `fetchHandler`. */
export interface FetchHandlerOptions {
	/**
	 * Which requests the client answers: a `URLPattern` (tested against the request's URL) or a
	 * function of the request. Others are left alone (the handler returns false). A pattern that
	 * sets no hostname (`new URLPattern({ pathname: '/api/*' })`) takes only requests to the worker's
	 * own origin (`self.location.origin`, its scheme and port included). A pattern that should take
	 * another origin must name its `hostname` (`{ hostname: 'api.example.com', pathname: '/api/*' }`):
	 * a `port` alone is not enough (`{ pathname: '/api/*', port: '8443' }` still sets no hostname, so
	 * it takes only the worker's own origin, and nothing there unless that origin is on port 8443).
	 * A function decides alone. Only http(s) requests are ever handled, and never one whose
	 * `cache` is `'no-store'` (the page's `fetch(url, { cache: 'no-store' })`): it goes to the network
	 * untouched, neither answered from nor written to the stale cache; nor one whose `cache` is
	 * `'only-if-cached'`, which a request made in the worker cannot carry: the browser answers it from
	 * its own HTTP cache (or fails it), with no network. Nor a page's `mode: 'no-cors'`
	 * request to another origin than the worker's (an image, a beacon to a third party), nor a `no-cors`
	 * write (a POST, also to the worker's origin, which may redirect it to another origin): the page gets
	 * the browser's own answer (opaque from another origin), and nothing is retried, counted by the breaker or
	 * queued; the write reaches the origin once, as without the worker.
	 */
	match: { test(input: string): boolean; readonly hostname?: string } | ((request: Request) => boolean);
}

/**
 * `text` with each URL in it (a scheme, `://`, then up to the next space) as `shown` makes it, in time linear in its length:
 * `/\b[a-z][\w+.-]*:\/\/\S+/gi` read a run of scheme characters to its end once per word in it (`a.a.a…` of 64 KB: 1.5 s).
 * The same URLs: each run is read once, from its first letter after a non-word character, with `://` after it or not.
 */
export const showUrls = (text: string, shown: (url: string) => string): string =>
	text.replace(/\b[a-z][\w+.-]*(:\/\/\S+)?|\w+|[^\w\s]+/gi, (match, url?: string) => (url ? shown(match) : match));

const json = (value: unknown, status: number, headers: Record<string, string>): Response =>
	new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json', ...headers } });

/**
 * `response` made again with `headers` (its body and status as they are): with its reason phrase, unless `new Response()`
 * refuses it (a control character, text past Latin-1: fetch passes on what the server sent), then with none (as an
 * HTTP/2 answer has), never a failure of a call the server answered.
 */
const remade = (response: Response, headers: Headers): Response =>
	new Response(response.body, { status: response.status, statusText: /^[\t\x20-\x7e\x80-\xff]*$/.test(response.statusText) ? response.statusText : '', headers });

/**
 * A write the worker's client delivered (`isDelivery`: not safe, below 400, not its outbox's `202`) was
 * told on the channel of the client's name already: its answer to the page says so (`Steadfetch-Delivered: <name>`),
 * and a page's client of that name does not tell it again (src/core/world.ts `deliveredBy`). Any
 * other answer is the page's as it came.
 */
const told = (client: Client, method: string, response: Response): Response => {
	// A redirect the page asked to see (`redirect: 'manual'`) is an opaque one in a browser (status 0): the page's as it is.
	if (!response.status || !isDelivery(method, response)) {
		return response;
	}

	const headers = new Headers(response.headers);
	headers.set(deliveredBy, encodeURIComponent(String((client as { [clientName]?: string })[clientName])));
	return remade(response, headers);
};

/** `response` made again with `Steadfetch-Retriable: false`: its call is never retried (a page's client and `queryOptionsFor` read it). */
const unretried = (response: Response): Response => {
	const headers = new Headers(response.headers);
	headers.set('steadfetch-retriable', 'false');
	return remade(response, headers);
};

/** Let go of an answer nobody reads. */
const drop = (response: Response | undefined): void => void response?.body?.cancel().catch(() => undefined);

/**
 * Run one request of a page through the client: the same method, headers, body (read once),
 * credentials, cache mode, redirect mode, referrer, referrer policy, keepalive and abort
 * signal, under the event's `waitUntil` (the page's integrity is its browser's check of the answer); the server's status as it is. What steadfetch answers instead is a Response too: a
 * stale copy as the cache makes it, `202` for a queued write, and for a failure nothing answered,
 * the server's failing answer the call failed with (its status, headers and bytes as sent: a `503` before a dropped
 * connection, a `401` auth could not cure; never a failover mirror's it set aside; also for a call a hook stopped with
 * `ky.stop`, which ky resolves with nothing), else `503` (`504` for a timeout) with `Steadfetch-Error: <code>` (percent-encoded: an app's own code may be any text)
 * (and, for an error with a `retryAfterMs`, `Retry-After` in whole seconds: at least 1, at most 2^31). Any of these for a
 * call never to be retried (not transient, `retriable: false`, `totalTimeoutSpent`) carries `Steadfetch-Retriable: false`.
 */
const respond = async (client: Client, event: FetchEventLike): Promise<Response> => {
	const { request } = event;
	const { method } = request;
	const refuse = request.redirect === 'error';
	const bytes = method === 'GET' || method === 'HEAD' ? undefined : await request.arrayBuffer();
	// A redirect the page refuses, or one of a page's `no-cors` read (of the worker's origin, a GET or HEAD: fetchHandler): the
	// client's `cors` request cannot follow a hop to another origin (one without CORS headers is a network error, retried and
	// counted by the breaker). Asked for as it is (`manual`); a redirect is then asked again as the page made it, for the browser to follow.
	const manual = refuse || request.mode === 'no-cors' && request.redirect === 'follow';
	const type = request.headers.get('content-type') ?? '';
	let headers: HeadersInit | Record<string, string | undefined> = request.headers;
	// No body when the page sent none (empty bytes would add `Content-Length: 0` to a DELETE or OPTIONS).
	let body: ArrayBuffer | string | FormData | undefined = bytes?.byteLength ? bytes : undefined;
	// A text, JSON or form body (by its Content-Type) goes as the text it is, when it is UTF-8 (its bytes unchanged), and
	// a multipart one as the FormData it is (fetch gives it its boundary) when that FormData makes the page's bytes again
	// (not a part's header FormData drops, a field that is not UTF-8): the outbox bounds them as the page's own call
	// of them (text by `maxBodyBytes`, a FormData's files by `maxFileBytes`; bytes: `maxFileBytes`).
	if (bytes && /^multipart\/form-data/i.test(type)) {
		body = await new Response(bytes, { headers: { 'content-type': type } }).formData().then(async (form) => {
			// Bytes as text one to one (windows-1252 decodes each byte to a character of its own); a body's first line is its
			// boundary. (A body too long for a string throws: its bytes go.)
			const [page, made] = [bytes, await new Response(form).arrayBuffer()].map((buffer) => new TextDecoder('latin1').decode(buffer)) as [string, string];
			if (made.replaceAll(made.split('\r\n', 1)[0]!, page.split('\r\n', 1)[0]!) !== page) {
				return bytes;
			}

			headers = { ...Object.fromEntries(request.headers), 'content-type': undefined }; // Not the client's either.
			return form;
		}).catch(() => bytes);
	} else if (bytes && /^text\/|json|xml|urlencoded/i.test(type)) {
		try {
			body = new TextDecoder(undefined, { fatal: true, ignoreBOM: true }).decode(bytes);
		} catch {}
	}
	// The server's failing answer, kept whole for the page: ky reads the one it throws with into
	// `HTTPError.data`, parsed as JSON or decoded as text, so its bytes are gone from the error; and a
	// policy may fail the call on an answer ky did not throw on (auth's `AuthError` on a 401 it could
	// not cure: the page gets that 401, never a 503 it would take for a transient failure).
	// This hook comes after the client's own, so it sees (a copy of) the answer ky throws on. A copy of each failing answer, one
	// per URL and status (a retry's replaces it): the call's `HTTPError` may be of an earlier one than the last (a failover
	// primary's 503 stands after a mirror's 404).
	const kept: Response[] = [];
	const same = (one: Response) => (other: Response): boolean => one.url === other.url && one.status === other.status;
	const keep = Object.assign(({ response }: { response: Response }): void => {
		if (classifyStatus(response.status)) {
			const index = kept.findIndex(same(response));
			drop(index < 0 ? undefined : kept.splice(index, 1)[0]);
			kept.push(response.clone());
		}
	}, { watches: true as const }); // It judges no answer: the offline read's background attempt still stores its copy (cache/layer.ts).
	/** Let go of the kept copies but `failed`. */
	const release = (failed?: Response): void => {
		for (const copy of kept) {
			if (copy !== failed) {
				drop(copy);
			}
		}
	};

	try {
		const answer = await client(request.url, {
			method,
			headers,
			...(body === undefined ? {} : { body }),
			signal: request.signal,
			// The page's credentials, HTTP cache mode (`reload`, `no-cache`…), redirect mode (a `manual` redirect is the page's to see),
			// referrer, its policy and keepalive: each one the page set (`notTaken`: not its default), so a default keeps the client's.
			...Object.fromEntries(Object.entries(notTaken).filter(([name, values]) => !(values as unknown[]).includes(request[name as Forwarded])).map(([name]) => [name, request[name as Forwarded]])),
			// A redirect the page refuses is asked for as it is (`manual`): the client would take fetch's error on it for a
			// dropped connection (retried, queued and replayed); the page gets the network error it would get.
			...(manual && { redirect: 'manual' }),
			// A page's integrity gets no stale copy: it fails as it would without a cache (nor is its answer stored).
			...(request.integrity && { staleCache: false }),
			...(event.waitUntil ? { waitUntil: (promise: Promise<unknown>) => event.waitUntil!(promise) } : {}),
			// Transient statuses (classifyStatus) throw, so that retries, the outbox and the stale cache act on them;
			// any other status is the page's to read, as the server sent it.
			throwHttpErrors: (status: number) => classifyStatus(status)?.transient === true,
			hooks: { afterResponse: [keep] },
			// The page's URL is whole: no prefix, and none of the client's default `searchParams` added to its query again.
			prefix: '',
			searchParams: null,
		} as never);
		if (!answer) {
			// A hook's `ky.stop` resolves the call with nothing (as ky does): the page gets the failing answer it followed, else the 503.
			throw new TypeError('Stopped by a hook (`ky.stop`) with no answer');
		}

		release();
		if (manual && (answer.type === 'opaqueredirect' || (answer.status / 100 | 0) === 3 && answer.headers.has('location'))) {
			drop(answer);
			return refuse ? Response.error() : fetch(request);
		}

		// A stale copy or a `fallback` answer the client marked never retried (`retriable: false`: a Response's own
		// property, which no page sees) says so in a header.
		return told(client, method, (answer as { retriable?: unknown }).retriable === false ? unretried(answer) : answer);
	} catch (error) {
		const { code, transient } = classify(error);
		// An app's hook may throw anything, `null` too: read with `?.` (a throw here is a network error to the page).
		const { entryId, response } = (error ?? {}) as { entryId?: unknown; response?: Response };
		// The answer of ky's `HTTPError`; else the last of the page's origin (a 503 before a dropped connection, a 401 auth
		// could not cure), never a failover mirror's (its 404 is no answer of the call: the primary's failure stands).
		const { origin } = new URL(request.url);
		const failed = (response instanceof Response && kept.find(same(response))) || kept.findLast((copy) => !copy.url || new URL(copy.url).origin === origin);
		release(failed);
		if (code === 'QUEUED' && typeof entryId === 'string') {
			drop(failed);
			return json({ queued: true, entryId }, 202, { 'steadfetch-outbox-entry': entryId });
		}

		if (code === 'ABORTED') {
			drop(failed);
			throw error; // The page gave up: nobody reads this answer.
		}

		// A call never to be retried (a failure `classify()` does not call transient, though its answer is a 503; an isolated
		// scope's refusal, the throttle's: `retriable: false`; its `totalTimeout` spent, its retries inside it) says so to the
		// page, whose client and `queryOptionsFor` then retry it no more than the worker's would.
		const { retriable, totalTimeoutSpent } = (error ?? {}) as { retriable?: unknown; totalTimeoutSpent?: unknown };
		const marked = !transient || retriable === false || totalTimeoutSpent === true;
		const mark = marked ? unretried : (answer: Response) => answer;
		// A status no Response is made with (600–999: fetch passes on what the server sent) goes as it was fetched, when it
		// needs no `Steadfetch-Retriable` (else the worker's own answer below says so).
		if (failed && failed.status > 599) {
			if (!marked) {
				return failed;
			}

			drop(failed);
		} else if (failed) {
			// The body as it arrived (decoded): its length and encoding headers no longer describe it.
			const headers = new Headers(failed.headers);
			headers.delete('content-length');
			headers.delete('content-encoding');
			return mark(remade(failed, headers));
		}

		const wait = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
		// The message names the request the worker's client sent, which the page may never have had (a token a hook
		// added): its URLs as events show them, the client's sensitive query values and any password removed.
		const shown = (url: string): string => (client as { [resolveUrl]?: (url: string) => string })[resolveUrl]?.(url) ?? url;
		// Whatever a hook threw: an object with no string form, or an Error whose message is not a string, is named by its type.
		const message = showUrls(hideUserinfo(thrownText(error)), shown);
		return mark(json({ error: code, message }, code === 'TIMEOUT' ? 504 : 503, {
			// An app's error may carry a code of its own (classify: a SteadfetchError by its shape) that no header value may be;
			// a lone surrogate in it (which `encodeURIComponent` throws on) as U+FFFD.
			'steadfetch-error': encodeURIComponent(code.replace(/\p{Cs}/gu, '\uFFFD')),
			// Delta-seconds, at least 1; a wait past 2^31 s is 2^31 (RFC 9111 §1.2.2), never an exponent form (`1e+22`) no reader takes.
			...(typeof wait === 'number' && Number.isFinite(wait) ? { 'retry-after': String(Math.min(Math.max(1, Math.ceil(wait / 1000)), 2 ** 31)) } : {}),
		}));
	}
};

/**
 * A service worker's `fetch` handler that runs the matched requests of every page through `client`
 * (a client living in the worker): pages keep plain `fetch`, and get its stale cache, outbox and
 * breaker across all tabs. Returns `(event) => boolean`: true when it called `event.respondWith`,
 * false for a request it leaves alone (your own handler may take it): another origin than the
 * worker's unless `match` names its hostname (or is a function), any `cache: 'no-store'` or `'only-if-cached'` request, and a page's
 * `mode: 'no-cors'` request to another origin or `no-cors` write (the page gets the browser's own answer). Bad options throw a
 * `RangeError` naming the option; options that are no object (`5`), a `TypeError` saying so.
 *
 * The client sends the page's request with its method, headers, body, credentials, cache mode, redirect
 * mode (a `redirect: 'manual'` page gets the redirect itself, an `'error'` one a network error for it),
 * integrity (the page's browser checks the answer against it: a body that does not match is a network
 * error to the page, as without the worker, and the origin asked once; such a request gets no stale copy, nor is
 * its answer stored: it fails as it would without a cache), referrer and its policy, keepalive
 * and abort signal (the page's abort ends the worker's call); what the page left at its default keeps the client's own. Its `mode` is the client's (`cors` by default):
 * a navigation's `navigate` cannot be re-made. A page's `no-cors` GET or HEAD (an image of the worker's origin) that the origin
 * redirects is sent by the client once, not followed (a `cors` request cannot follow a hop to another origin that sends no
 * CORS headers), then asked again as the page made it, for the browser to follow: the page gets what it would get without
 * the worker (an opaque answer from another origin), nothing retried, counted by the breaker or stored. A `no-cors` write (a POST)
 * is left to the browser: asked again, it would reach the origin twice. The page's URL is complete: it is sent as it is, with
 * no `prefix` and none of the client's `searchParams` added (its default headers still apply).
 *
 * The server's answer reaches the page as fetched (its `url`, `redirected` and `type` too), except one the worker must
 * make again (with its reason phrase unless `new Response()` refuses it), as a Response made in a worker carries no URL: a delivered write's (to add `Steadfetch-Delivered`) and the
 * server's failing answer a failed call gets (the one it failed with: with `failover()`, the primary's, never a mirror's
 * 404 it set aside; a call a hook stopped with `ky.stop`, which ky resolves with nothing, gets the failing answer it followed,
 * else the worker's `503` with `Steadfetch-Error: UNKNOWN`; but one of a status 600–999, which no Response is made with: as fetched, or the worker's `503` when it must say `Steadfetch-Retriable: false`), as every answer steadfetch makes (a stale copy, `202`, `503`/`504`). The page sees such
 * an answer with `url` the URL it asked for, `redirected` false and `type` `'default'`, even when the server redirected
 * it (a POST answered `303` to `/new`): a page that needs where it landed reads it from the answer (a `Content-Location`
 * or its body).
 *
 * An answer for a call that is never retried — a failure `classify()` does not call transient (`AUTH_FAILED` with no 401
 * to pass on, `INVALID_REQUEST`, an app's hook's error: `UNKNOWN`), an `adaptiveThrottle()` refusal, a scope `breaker.isolate()` closed, a call
 * whose `totalTimeout` was spent (its retries were made in the worker), or the stale copy or `fallback` answer served for one
 * of them — carries `Steadfetch-Retriable: false`: a page's steadfetch client does not retry it (whatever its `retry`
 * options say; its error is marked `retriable: false`, and so is the page's own stale copy or `fallback` answered for it),
 * nor does `queryOptionsFor`'s `retry`, as the worker's client would not. A 503 of an open breaker, a
 * per-attempt timeout and the server's own failing answers carry none: the page may retry them. A page's own `breaker()`
 * and `adaptiveThrottle()` count the worker's `503` for a refusal or failure of its client's own (any `Steadfetch-Error`
 * but `NETWORK` and `TIMEOUT`) as nothing, as the worker's count that refusal: the origin was not asked.
 *
 * @example
 * // sw.js
 * import { createClient, outbox } from 'steadfetch';
 * import { fetchHandler, outboxSyncHandler } from 'steadfetch/sw';
 * const api = createClient({ outbox: outbox() });
 * const handle = fetchHandler(api, { match: new URLPattern({ pathname: '/api/*' }) });
 * self.addEventListener('fetch', (event) => { handle(event); });
 * self.addEventListener('sync', outboxSyncHandler(api));
 */
export const fetchHandler = (client: Client, options: FetchHandlerOptions): ((event: FetchEventLike) => boolean) => {
	if (typeof client !== 'function' || typeof (client as { get?: unknown }).get !== 'function') {
		throw new RangeError('`fetchHandler(client)` needs a steadfetch client (from createClient)');
	}

	// Options that are no object (`5`, a list): said as every factory says it, not as a `match` missing.
	const { match } = optionsOf(options, 'fetchHandler');
	// A pattern without a hostname of its own (URLPattern's '*') matches the worker's own origin only
	// (outside a worker there is none: 'null/', which no request URL starts with).
	const origin = `${new URL(here() ?? 'null:').origin}/`;
	const own = typeof match === 'function' || (match?.hostname ?? '*') !== '*' ? '' : origin;
	const test = typeof match === 'function' ? match : typeof match?.test === 'function' ? (request: Request) => request.url.startsWith(own) && match.test(request.url) : undefined;
	if (!test) {
		throw new RangeError(`\`fetchHandler.match\` must be a URLPattern or a function of the request; got ${match === null ? 'null' : typeof match}`);
	}

	return (event) => {
		const { request } = event;
		let matched = false;
		try {
			// A page's cross-origin `no-cors` request wants an opaque answer, which the client's (`cors`) request cannot be; so may a
			// `no-cors` write the origin redirects to another origin, which unlike a read cannot be asked again (`respond`).
			// A page's `only-if-cached` (its browser's cache, never the network) cannot be re-made here: it needs the page's same-origin mode.
			matched = /^https?:/.test(request.url) && !/^(?:no-store|only-if-cached)$/.test(request.cache) && (request.mode !== 'no-cors' || request.url.startsWith(origin) && /^(?:GET|HEAD)$/.test(request.method)) && test(request) === true;
		} catch {
			matched = false; // A pattern or predicate that throws takes nothing.
		}

		if (matched) {
			event.respondWith(respond(client, event));
		}

		return matched;
	};
};
