import { NetworkError } from 'ky';
import type { Call } from './call.js';
import type { Bounds } from './transport.js';
import type { FetchInit, FetchLike } from './types.js';
import { heldRequest } from '../utils/runtime.js';

/** The statuses whose `Location` fetch follows. */
const redirects = [301, 302, 303, 307, 308];
/** What fetch drops when a redirect leaves the origin (the deadline header besides). */
const credentials = ['authorization', 'cookie', 'proxy-authorization'];
/**
 * What fetch's own following keeps of a request besides its method, headers and body (a hop made anew
 * has fetch's defaults, and `new Request(request, init)` resets the referrer policy). Workerd has only
 * `cache` of these (the others read undefined). Not `integrity`: workerd refuses one, Node checks it on a
 * `manual` hop's own body.
 */
const keptOf = (request: Request): RequestInit =>
	Object.fromEntries(['cache', 'credentials', 'keepalive', 'mode', 'referrerPolicy'].map((name) => [name, request[name as keyof Request]]));

/** What goes with a body that a redirect turns into a GET. */
const content = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'];

/**
 * Send `request`, whose `header` (the client's `deadlineHeader`) was set for its own origin, and
 * follow its redirects here instead of in the runtime, as fetch would (at most 20; 303, and 301/302
 * after a POST, become a GET without its body), so that a `Location` on another origin gets neither
 * `header` nor credentials: each hop is `stamp`ed again (the header only where it may go, with the
 * time left; the policies' headers of `request` only where they may go) and `admitted` (a subrequest
 * of its request context: the hop of an attempt steadfetch adds is refused, thrown, once the context has none left). A browser hides a redirect's `Location` from a `manual` fetch (an
 * `opaqueredirect`): there the request is sent again without the header, for the browser to follow.
 */
const following = async (fetch: FetchLike, request: Request, init: FetchInit | undefined, header: string | undefined, stamp: (request: Request) => void, admitted: () => void): Promise<Response> => {
	// Each Request made here is held by the signal it follows until the attempt ends (`heldRequest`): the caller's
	// abort reaches a `fetch` that waits on nothing else.
	const releases: Array<() => void> = [];
	const made = (input: Request | URL, options: RequestInit): Request => {
		const [hop, release] = heldRequest(input, options);
		releases.push(release);
		return hop;
	};

	try {
		let current = request;
		for (let hops = 0; ; hops++) {
			// Kept for a 307/308 (its body goes again) or a browser's second try.
			const copy = current.body ? current.clone() : undefined;
			// The mode on the Request itself: a `fetch` of the app's may pass on the request alone.
			const response = await fetch(current.redirect === 'manual' ? current : made(current, { ...keptOf(current), redirect: 'manual' }), init);
			const location = response.headers.get('location');
			if (response.type === 'opaqueredirect') {
				const again = made(copy ?? current, { redirect: 'follow' });
				header && again.headers.delete(header);
				return await fetch(again, init);
			}

			if (!redirects.includes(response.status) || location === null) {
				// As a fetch that followed them says: its `url` is the last hop's (also from a custom `fetch` whose Responses
				// have none, a mock's or a binding's: a third party's 401 there is never taken for the origin's, auth.ts).
				return hops ? Object.defineProperties(response, { redirected: { value: true }, ...!response.url && { url: { value: current.url } } }) : response;
			}

			void response.body?.cancel().catch(() => undefined);
			let url: URL | undefined;
			try {
				url = new URL(location, current.url);
			} catch {
				// No URL (`Location: http://[x`): a network error below.
			}

			const away = url?.origin !== new URL(current.url).origin;
			// As fetch's own following: at most 20 hops, each to an http(s) URL (not `data:` or `blob:`) without a user name or
			// password, and never to another origin in `same-origin` mode, else a network error.
			if (hops === 20 || !url || !/^https?:$/.test(url.protocol) || url.username || url.password || (away && current.mode === 'same-origin')) {
				throw new NetworkError(current);
			}

			const get = (response.status === 303 && current.method !== 'HEAD') || (response.status < 303 && current.method === 'POST');
			const headers = new Headers(current.headers);
			for (const name of [header ?? [], ...away ? credentials : [], ...get ? content : []].flat()) {
				headers.delete(name);
			}

			const body = get ? null : copy?.body ?? null;
			// Its modes go on (`cache: 'no-store'`: workerd's cache bypassed for every hop), as fetch's own following keeps them.
			current = made(url, { ...keptOf(current), method: get ? 'GET' : current.method, headers, body, signal: current.signal, redirect: 'manual', ...body ? { duplex: 'half' } : {} } as RequestInit);
			stamp(current);
			// Ended meanwhile (the caller's abort, ky's timeout): not sent, as fetch refuses it, so not counted either.
			current.signal.throwIfAborted();
			admitted();
		}
	} finally {
		for (const release of releases) {
			release();
		}
	}
};

/**
 * Send an attempt of `call` (the transport's): with `deadlineHeader`, one to the client's own origins
 * carries the call's remaining time (`bounds.stamp`; not a replay's), and its redirects are followed
 * here (`following`), so that another origin never gets the header (the caller's own mode honoured);
 * so are those of an attempt the trace slot put its headers on (`hooks.follows`: not with `propagateTo: '*'`);
 * each hop is admitted as its attempt was (`Admission.admit`). An attempt not sent at the deadline (`stamp` throws) is taken back out of its context's count.
 */
export const sendWithDeadline = (fetch: FetchLike, request: Request, init: FetchInit | undefined, call: Call | undefined, bounds: Bounds | undefined): Promise<Response> => {
	const deadline = call?.deadline;
	let header: string | undefined;
	try {
		header = deadline !== undefined && !call!.replay ? bounds?.stamp(request, deadline) : undefined;
	} catch (error) {
		// Not sent (at its request's deadline): none of its context's subrequests, though the transport counted it as it admitted it.
		call!.invocation && call!.invocation.used.count--;
		throw error;
	}

	// Also an attempt with the trace slot's headers (`follows`): fetch's own following takes them to any origin.
	return (header || bounds?.hooks?.follows?.(call, request)) && request.redirect === 'follow'
		? following(fetch, request, init, header, (next) => {
			// The policies' headers of the attempt only where they may go (the trace slot's `propagateTo`).
			bounds!.hooks?.redirected?.(call, next, request);
			header && bounds!.stamp(next, deadline!);
		}, () => {
			// A hop is one more subrequest of the attempt's kind: one of an attempt steadfetch adds (a retry, a hedge, a
			// failover attempt, a replay) is not sent once the context has none left, as that attempt would not be.
			const refused = call?.admission?.admit(request, init?.hedge && (() => undefined), init?.steadfetchRun);
			if (refused) {
				throw refused;
			}
		})
		: fetch(request, init);
};
