import type { PolicyCall, Policy, PolicyContext, PolicyParts } from '../core/policy.js';
import { originPrefixes } from '../shared/origins.js';
import type { Layer } from '../core/types.js';
import { AuthError } from '../errors/AuthError.js';
import { openChannel, type Channel } from '../shared/channel.js';
import { webLocks } from '../shared/lock.js';
import { checkAuthOptions, type AuthOptions } from './options.js';

export type { AuthOptions } from './options.js';

type Token = string | undefined;
type Outcome = { response?: Response; error?: unknown };

/** `promise`, or its `signal`'s reason once that aborts first. */
const until = <T>(promise: Promise<T>, signal: AbortSignal): Promise<T> => new Promise<T>((resolve, reject) => {
	signal.throwIfAborted();
	// Each signal here is the call's or the attempt's own (or a refresh's): gone with it, listener and all.
	signal.addEventListener('abort', () => reject(signal.reason));
	promise.then(resolve, reject);
});

const create = (context: PolicyContext, { token, refresh, scheme, origins, refreshTimeoutMs }: ReturnType<typeof checkAuthOptions>): PolicyParts => {
	/** The origins the token goes to, as URL prefixes (`['']` for `'*'`). */
	const prefixes = originPrefixes(origins, context.options);
	/** Whether the token may go to a URL. */
	const allowed = (url: string): boolean => prefixes.some((prefix) => url.startsWith(prefix));
	/**
	 * A 401 of one of the origins, as a response (with `throwHttpErrors: false`) or as ky's HTTPError.
	 * Judged by where it came from (`response.url`, the last URL of redirects): a third party's 401
	 * reached through a redirect is its own, not ours to refresh for. A Response without a URL (a
	 * custom `fetch`'s own) answers the request's URL.
	 */
	const unauthorized = (outcome: Outcome): Response | undefined => {
		const response = outcome.response ?? (outcome.error as { response?: unknown } | undefined)?.response;
		return response instanceof Response && response.status === 401 && (!response.url || allowed(response.url)) ? response : undefined;
	};
	/** The token each call's latest attempt was sent with; no entry when that attempt was not auth's. */
	const used = new WeakMap<PolicyCall, Token>();
	/** Refreshes finished (here, or in another tab as its channel said): a waiter that sees it move skips its own. */
	let generation = 0;
	/**
	 * The refresh in flight, shared by the client's calls. In a Worker, where a promise made in one
	 * request never settles in another once the first ended, only by the calls of the request that
	 * started it (`owner`: the `waitUntil` calls get from `client.withContext(ctx)`); a call without
	 * one shares none. State is shared across requests (the token, `generation`), never a promise.
	 */
	let inFlight: Promise<void> | undefined;
	let owner: unknown;
	/** The refresh in flight `call` may wait for (`requestScoped()` inlined: its chunk costs bytes here). */
	const joinable = (call: PolicyCall): Promise<void> | undefined =>
		globalThis.navigator?.userAgent !== 'Cloudflare-Workers' || (call.waitUntil && call.waitUntil === owner) ? inFlight : undefined;
	/** True while `refresh()` itself runs (synchronously): a call made then is the refresh's own request. */
	let calling = false;
	let channel: Channel | undefined;
	/**
	 * The Web Lock of the refresh, and the name of the channel that says one finished: the client's
	 * `name` and the origins it guards. Tabs of one client share a refresh; two clients of one page
	 * for two APIs (each its own token and refresh) never wait for, nor skip for, the other's.
	 */
	const name = `steadfetch:${context.name}/auth ${prefixes}`;

	const current = async (): Promise<Token> => (await token()) ?? undefined;
	// The failover slot asks before it sends an attempt to a mirror (see PolicyHooks.tokenGoesTo).
	context.hooks.tokenGoesTo = (call, url) => !used.get(call) || allowed(url);

	const layer: Layer = (next) => async (request, init) => {
		const call = init?.steadfetch;
		if (call?.options['auth'] === false || !allowed(request.url)) {
			// Not the token's to go to (another origin, or the call said `auth: false`): sent as it is,
			// without waiting for a refresh, and its 401 refreshes nothing.
			used.delete(call!);
			return next(request, init);
		}

		const flight = call?.replay && joinable(call);
		if (flight) {
			// An outbox replay that starts while a refresh runs waits for it (within its own time budget
			// and signal: ky's): it is someone's stored write, and a token read while the app is halfway
			// through signing someone else in must not carry it. Made for another identity than the one
			// the refresh left signed in, it is not sent (it stays queued for its own identity). Only
			// replays wait: the app's own calls — the refresh's own request among them — go at once.
			await until(flight.catch(() => undefined), request.signal);
			if (call.identity !== context.identity()) {
				throw new AuthError('The identity changed with the token refresh', call.scope ?? '');
			}
		}

		let value: Token;
		try {
			value = await current();
		} catch (error) {
			// Not a network failure (a TypeError from the app's own code would read as one): no retry.
			throw new AuthError('auth.token() failed', call?.scope ?? '', { cause: error });
		}

		if (value !== undefined) {
			request.headers.set('authorization', `${scheme} ${value}`);
		}

		if (call) {
			used.set(call, value);
		}

		return next(request, init);
	};

	/**
	 * One refresh across tabs: under the Web Lock, skipped when another refresh finished since `seen`
	 * (the `generation` when the call that got a 401 sent its token `old`).
	 * `refresh()` gets `refreshTimeoutMs`: past it the lock is given back and the refresh fails (a wait
	 * for another tab's lock ends when that tab's refresh does, within its own `refreshTimeoutMs`).
	 */
	const refreshNow = async (old: Token, seen: number, scope: string): Promise<void> => {
		const signal = AbortSignal.timeout(refreshTimeoutMs);
		const run = async (): Promise<void> => {
			if (generation !== seen || await current() !== old) {
				return; // Another tab (or call) refreshed meanwhile: its token is the one to use.
			}

			const started = context.clock.now();
			let ok = false;
			try {
				calling = true;
				const running = refresh();
				calling = false;
				await until(Promise.resolve(running), signal);
				generation++;
				channel?.post(1);
				ok = true;
			} finally {
				calling = false;
				context.emit('auth:refresh', { scope, ok, durationMs: context.clock.now() - started, shared: false });
			}
		};

		const locks = webLocks();
		// The lock held elsewhere means another tab is refreshing right now: wait for it to finish
		// and send again with what token() gives then, without a refresh of our own (had theirs
		// failed, the second 401 is an AuthError here too — never one refresh per tab).
		await (locks ? locks.request(name, { ifAvailable: true }, async (lock) => lock ? run() : locks.request(name, {}, async () => undefined)) : run());
	};

	const wrap = async (call: PolicyCall, next: () => Promise<Response>): Promise<Response> => {
		const started = context.clock.now();
		/** Made by `refresh()` itself (synchronously: `() => api.post('auth/refresh')`, or before its first await). */
		const own = calling;
		const send = async (): Promise<Outcome> => {
			try {
				return { response: await next() };
			} catch (error) {
				return { error };
			}
		};

		let outcome = await send();
		const denied = unauthorized(outcome);
		// A 401 to a request that carried a token of ours (not another origin's, not `auth: false`).
		if (denied && used.has(call)) {
			const scope = call.scope ?? '';
			const fail = (message: string, cause?: unknown): AuthError => {
				void denied.body?.cancel().catch(() => undefined);
				return new AuthError(message, scope, { response: denied, cause });
			};

			if (own) {
				// The refresh's own request (without `auth: false`) would wait for itself: it fails, and so
				// does the refresh that awaits it; never a deadlock. Every other call waits for the refresh.
				throw fail(`${scope} answered 401 during the token refresh`, outcome.error);
			}

			const old = used.get(call);
			const seen = generation;
			const { options, signal } = call;
			// The call's own time budget: its totalTimeout, else its timeout (ky's default 10 s; ky caps
			// both at 2^31 - 1 ms), less what the call took so far; and its own signal (the core rejects
			// with the caller's reason).
			const budget = [options['totalTimeout'] ?? context.options['totalTimeout'], options['timeout'] ?? context.options['timeout'] ?? 10_000].find((ms) => typeof ms === 'number') as number | undefined ?? 2 ** 31 - 1;
			try {
				const limit = AbortSignal.timeout(Math.max(0, budget - (context.clock.now() - started)));
				const bound = AbortSignal.any([limit, signal ?? limit]);
				const flight = joinable(call) ?? refreshNow(old, seen, scope).finally(() => {
					if (inFlight === flight) {
						inFlight = undefined;
					}
				});
				inFlight = flight;
				owner = call.waitUntil;

				await until(flight, bound);
				// Another tab refreshed: its new token may reach this tab's storage a moment later
				// (localStorage is eventually consistent across tabs). Sent again with the token that got
				// the 401, it would fail for nothing: wait for it to change, within the call's own budget.
				for (let wait = 5; await current() === old && wait <= 320; wait *= 2) {
					await until(new Promise((resolve) => setTimeout(resolve, wait)), bound);
				}
			} catch (error) {
				throw fail(`${scope} answered 401 and the token refresh failed`, error);
			}

			if (call.identity !== context.identity()) {
				// The refresh signed someone else in: a call made for the previous identity (an outbox
				// replay of theirs) is not sent again with the new identity's token.
				throw fail('The identity changed with the token refresh', outcome.error);
			}

			// A body that could be read only once is gone: the caller gets the 401 as it came (the
			// token is fresh for the next call). Anything else is sent once more.
			if (!(call.input instanceof Request && call.input.body !== null) && !(options['body'] instanceof ReadableStream)) {
				void denied.body?.cancel().catch(() => undefined);
				outcome = await send();
				const again = unauthorized(outcome);
				if (again) {
					throw new AuthError(`${scope} answered 401 again after the token refresh`, scope, { response: again, cause: outcome.error });
				}
			}
		}

		if (outcome.error !== undefined) {
			throw outcome.error;
		}

		return outcome.response!;
	};

	return {
		layer,
		wrap,
		start() {
			// Tabs of the origin tell each other a refresh finished (never the token): waiters skip theirs.
			channel = openChannel(name, () => {
				generation++;
				context.emit('auth:refresh', { scope: '', ok: true, durationMs: 0, shared: true });
			});
		},
		close() {
			channel?.close();
			channel = undefined;
		},
	};
};

/**
 * Bearer tokens with one refresh at a time, for the `auth` slot: `token()` is read before every
 * attempt (retries and outbox replays included) and sent as `Authorization: <scheme> <token>` — only
 * to the `origins` (by default the origin of the client's `prefix`/`baseUrl` and the page's own;
 * none where there is neither); a request to another origin, or a call with `auth: false`, gets no
 * token and its 401 refreshes nothing, nor does a 401 that came from another origin through a
 * redirect (judged by `response.url`). On a 401, one `refresh()` runs for the whole client and
 * across the tabs of the origin (a Web Lock; the other tabs hear that it finished and read `token()`
 * again — no token crosses tabs): the client's `name` and its `origins` identify that refresh, so the
 * same client in several tabs shares one, and two clients of one page for two APIs (each its own
 * token and `refresh`) never wait for each other (with `origins: '*'`, give them different names); every call that gets a 401 meanwhile waits for it (within its own
 * time budget and signal) and is sent once more with the new token; an outbox replay that starts
 * while it runs waits for it too, and is not sent at all when it was queued for another identity
 * than the one the refresh left signed in (`AuthError`; it stays queued). A second 401, a refresh
 * that throws or takes longer than `refreshTimeoutMs`, and a 401 to the refresh's own request (a
 * call made while `refresh()` runs, before its first `await`, without `auth: false`) reject with
 * `AuthError`. Where Web Locks are missing, the single flight is per client. In a Cloudflare Worker
 * (a promise of one request never settles in another) it is per request: shared by the calls made
 * through one `client.withContext(ctx)`; a call without one refreshes in its own request, unless the
 * token already changed. A `failover`
 * mirror gets the token only when it is one of `origins` too. Bad options throw a `RangeError`
 * naming the option and the value.
 *
 * @example
 * const api = createClient({
 *   prefix: 'https://api.example.com/v1/',
 *   auth: auth({
 *     token: () => localStorage.getItem('token'),
 *     // The refresh's own request: `auth: false` (no token, no wait, its 401 refreshes nothing).
 *     refresh: async () => {
 *       const { token } = await api.post('auth/refresh', { auth: false }).json<{ token: string }>();
 *       localStorage.setItem('token', token);
 *     },
 *   }),
 * });
 */
export const auth = (options: AuthOptions): Policy<'auth'> => {
	const checked = checkAuthOptions(options);
	return { slot: 'auth', create: (context) => create(context, checked) };
};
