import type { PolicyCall, PolicyContext, PolicyParts } from '../core/policy.js';
import type { Layer } from '../core/types.js';
import { AuthError } from '../errors/AuthError.js';
import { SteadfetchError } from '../errors/SteadfetchError.js';
import { originPrefixes } from '../utils/origins.js';
import { offOnly } from '../utils/validate.js';
import type { AuthSettings, Flight } from './options.js';
import { linkTabs, type TabLink } from './tabs.js';
import { Closing } from '../core/closing.js';
import type { Call } from '../core/call.js';

type Token = string | undefined;
type Outcome = { response?: Response; error?: unknown };

/** `promise`, or its `signal`'s reason once that aborts first. */
const until = <T>(promise: Promise<T>, signal: AbortSignal): Promise<T> => new Promise<T>((resolve, reject) => {
	signal.throwIfAborted();
	// Each signal here is the call's or the attempt's own (or a refresh's): gone with it, listener and all.
	signal.addEventListener('abort', () => reject(signal.reason));
	promise.then(resolve, reject);
});

/** One run of the call, as its outcome. */
const send = async (next: () => Promise<Response>): Promise<Outcome> => {
	try {
		return { response: await next() };
	} catch (error) {
		return { error };
	}
};

const identityChanged = 'The identity changed, or the client was cleared: not sent again';

/**
 * The request a call belongs to in a Worker: its request context object's (every `withContext(ctx)` of one `ctx`), else its
 * `waitUntil`. Read from the call, as dedupe does (importing core/invocation.ts's code splits it out of the core's chunk).
 */
const requestOf = (call: PolicyCall): unknown => (call as Call).invocation?.used ?? call.waitUntil;

/**
 * The auth policy of one client (see `auth()`), in three parts: where the token goes (the origins,
 * and the token each call's latest attempt carried: `layer`), the refresh shared by the client's
 * calls and across the tabs of its origins (`#renew`, `#refresh`, `start`; the tabs' side in
 * tabs.ts: none in the edge build), and the wrapper that answers a 401 with one refresh and one more
 * try (`wrap`).
 */
export class Auth implements PolicyParts {
	/** Its event's log level (`PolicyParts.levels`). */
	readonly levels = { 'auth:refresh': 'info' } as const;
	/** Its per-call option is `false` or nothing (`PolicyParts.checkCall`). */
	readonly checkCall = offOnly('auth');
	readonly #context: PolicyContext;
	/**
	 * The options, and the refresh's state, which lives with them: shared by every client given this `auth()` (a
	 * client and its `extend()`s: one refresh also where no Web Lock joins them, workerd). `calling`: true while
	 * `refresh()` itself runs (synchronously: a call made then, through any of them, is the refresh's own request).
	 * `generation`: refreshes finished (here, or in another tab as its channel said; one here that failed too: `failedAt`,
	 * its error `failure`, its identity `failedBy`): a waiter that sees it move skips its own, unless the last was of a
	 * session that had ended as it finished (`staleAt`: its generation) or of another identity (`leftBy`, `failedBy`);
	 * after a failure, it fails with it (`heardAt`: the last was another tab's).
	 * `flight`: the refresh in flight, shared by the calls; in a Worker, where a promise made in one request
	 * never settles in another once the first ended, only by the calls of the request that started it: each request its
	 * own in `flights` (by the request context object of the `waitUntil` calls get from `client.withContext(ctx)`, one per
	 * `ctx` however many times it is called; a per-call `waitUntil` is its own), so another request's refresh never takes
	 * its place; a call without one shares none (`#slot`). State is shared across requests (the token, `generation`),
	 * never a promise. `world`: that of the call that started `flight` (`PolicyCall.world`): a call of a later one (after
	 * an identity change, a clear) does not join it (`#renew`).
	 */
	readonly #settings: AuthSettings;
	/** The origins, as URL prefixes (`['']` for `'*'`): they also name the refresh shared by tabs (tabs.ts). */
	readonly #prefixes: readonly string[];
	/** Whether the token may go to a URL: one of the origins. */
	readonly #allowed: (url: string) => boolean;
	/**
	 * No origin at all (no `origins`, `prefix`/`baseUrl` nor `location`: Node, Deno, a Worker calling absolute URLs): no token goes
	 * anywhere. Not so for `origins: []` given: the app said where (nowhere), and its 401s are the origin's own.
	 */
	readonly #nowhere: boolean;
	/**
	 * The call's own record (`PolicyContext.perCall`): the token its latest attempt was sent with,
	 * `null` when that attempt was not auth's (another origin, `auth: false`) or there was none yet; `at`: the refreshes
	 * finished as it was read (`generation`): a refresh that ended after is one its 401 may not start again (`wrap`).
	 */
	readonly #sent: (call: PolicyCall) => { token: Token | null; own: boolean; at: number };
	/** The refresh's Web Lock and the channel that says one finished (`start`; `undefined` without tabs: tabs.ts). */
	#tabs: TabLink | undefined;
	/** Aborted by the client's `close()`: a call waiting for a refresh is refused then, never sent again. */
	readonly #closing = new Closing();

	constructor(context: PolicyContext, settings: AuthSettings) {
		this.#context = context;
		this.#settings = settings;
		const prefixes = originPrefixes(settings.origins, context.options);
		this.#prefixes = prefixes;
		this.#allowed = (url) => prefixes.some((prefix) => url.startsWith(prefix));
		this.#nowhere = !settings.origins && prefixes.every((prefix) => prefix === 'undefined/');
		// `own`: made by `refresh()` itself (read as the call starts: `wrap`).
		this.#sent = context.perCall(() => ({ token: null, own: settings.calling, at: 0 }));
		// The failover slot asks before it sends an attempt to a mirror (see PolicyHooks.tokenGoesTo).
		context.hooks.tokenGoesTo = (call, url) => !this.#sent(call).token || this.#allowed(url);
	}

	/**
	 * A 401 of one of the origins, as a response (with `throwHttpErrors: false`) or as ky's HTTPError.
	 * Judged by where it came from (`response.url`, the last URL of redirects): a third party's 401
	 * reached through a redirect is its own, not ours to refresh for. A Response without a URL (a
	 * custom `fetch`'s own) answers the request's URL.
	 */
	#unauthorized(outcome: Outcome): Response | undefined {
		const response = outcome.response ?? (outcome.error as { response?: unknown } | undefined)?.response;
		return response instanceof Response && response.status === 401 && (!response.url || this.#allowed(response.url)) ? response : undefined;
	}

	/** The token now (`token()`; `null` is none). */
	async #current(): Promise<Token> {
		return (await this.#settings.token()) ?? undefined;
	}

	/**
	 * Where the refresh `call` may wait for is kept (`requestScoped()` inlined: its chunk costs bytes here): the client's
	 * one, or in a Worker its request's (`flights`); none for a call of no request there.
	 */
	#slot(call: PolicyCall): Flight | undefined {
		const settings = this.#settings;
		if (globalThis.navigator?.userAgent !== 'Cloudflare-Workers') {
			return settings;
		}

		const owner = call.waitUntil && requestOf(call) as object;
		if (!owner) {
			return undefined;
		}

		const slot = settings.flights.get(owner) ?? {};
		settings.flights.set(owner, slot);
		return slot;
	}

	/** The token on every attempt to one of the origins, read before each; noted on the call for `wrap`. */
	layer: Layer = (next) => async (request, init) => {
		const call = init?.steadfetch;
		if (call?.options.auth === false || !this.#allowed(request.url)) {
			// Not the token's to go to (another origin, or the call said `auth: false`): sent as it is,
			// without waiting for a refresh, and its 401 refreshes nothing.
			if (call) {
				this.#sent(call).token = null;
			}

			return next(request, init);
		}

		const slot = call?.replay ? this.#slot(call) : undefined;
		const flight = slot?.flight;
		const tabs = this.#tabs;
		if (call && flight) {
			// An outbox replay that starts while a refresh runs waits for it (within its own time budget
			// and signal: ky's; the client's close() refuses it): it is someone's stored write, and a token read while the app is halfway
			// through signing someone else in must not carry it. Made for another identity than the one
			// the refresh left signed in, it is not sent (it stays queued for its own identity). Only
			// replays wait: the app's own calls — the refresh's own request among them — go at once. A refresh started
			// before an identity change or a clear left a token of the session that ended: not sent with it either.
			// On a server, whose concurrent requests may each be their own user (`identities` compares the identity there, not an
			// epoch), another identity's refresh whose user was still signed in where it ran (`signedIn`) is another user's: no reason.
			const world = slot.world!;
			await this.#waiting(request.signal, (bound) => until(flight.catch(() => undefined), bound));
			if (call.identity !== this.#context.identity() || (!world.current() && !(slot.signedIn && world.identity !== call.identity))) {
				throw new AuthError(identityChanged, call.scope ?? '');
			}
		} else if (call?.replay && tabs) {
			// The same for a refresh running in another tab (its Web Lock held there): wait for it and its word, which says
			// whether it served a session that had ended (then not sent: its token is not this one's).
			const settings = this.#settings;
			const before = settings.generation;
			await this.#waiting(request.signal, (bound) => until(tabs.lock(async () => undefined, () => false), bound));
			if (settings.generation > before && settings.staleAt === settings.generation) {
				throw new AuthError(identityChanged, call.scope ?? '');
			}
		}

		let value: Token;
		// While the refresh of a session whose token a refresh of an ended one left is under way: its failure is named so.
		let renewing = false;
		try {
			// A `token()` that hangs (an IndexedDB read another tab holds up) ends with the attempt: the caller's abort, ky's
			// timeout, the client's close() (`CLIENT_CLOSED`); never sent after.
			value = await this.#waiting(request.signal, async (bound) => {
				const token = await until(this.#current(), bound);
				const settings = this.#settings;
				const left = settings.left;
				if (!left || token !== left || !call?.world.current() || (call.identity && call.identity === settings.leftBy)) {
					return token;
				}

				// The token a refresh left as its session ended (alice's, stored after bob signed in): another identity's call
				// never sends it (without identities, the call of any later session: after a clear). Refreshed for its own session
				// first (one refresh, shared as a 401's), within the attempt's signal; the refresh's own request goes without
				// it (its 401 fails that refresh). A call of that ended session goes on: the core refuses its further attempts.
				if (this.#sent(call).own) {
					return undefined;
				}

				renewing = true;
				await this.#renew(call, left, bound);
				renewing = false;
				return until(this.#current(), bound);
			});

			if (value !== undefined) {
				// What is no token (not a string, an empty or blank one: `Authorization: Bearer` alone) is never sent; nor is
				// one fetch refuses in a header (a line break: the platform's error would name it, so it is not shown), nor one
				// with blanks at its ends (`'t\r\n'` read from a file): fetch would trim a line break there and send another value.
				if (typeof value !== 'string' || value.trim() !== value || !value) {
					throw new TypeError(`auth.token() gave ${typeof value !== 'string' ? typeof value : value.trim() ? 'a token with blanks at its ends' : 'an empty string'}, not a token`);
				}

				try {
					request.headers.set('authorization', `${this.#settings.scheme} ${value}`);
				} catch {
					throw new TypeError('auth.token() gave a header value fetch refuses');
				}
			}
		} catch (error) {
			// Not a network failure (a TypeError from the app's own code would read as one): no retry. The client closed
			// (`CLIENT_CLOSED`) or the attempt ended (the caller's abort, ky's timeout): as it came.
			throw this.#closing.closed || request.signal.aborted ? error
				: new AuthError(renewing ? 'The token refresh failed (the token found is the one a refresh of an ended session left)' : 'auth.token() failed', call?.scope ?? '', { cause: error });
		}

		// The token is of who is signed in now: a call made for someone (its identity at its start) who signed out
		// since, before or while `token()` answered, never carries another's (no I/O: refused as the core refuses a
		// further attempt after an identity change). A call made while nobody was signed in takes the token as it is, unless
		// nobody is still and the client was cleared since (a logout without `identity`): the token is the next session's.
		const now = this.#context.identity();
		if (value !== undefined && call && (call.identity !== undefined ? call.identity !== now : now === undefined && !call.world.current())) {
			throw new SteadfetchError('Not sent: the identity changed, or the client was cleared, before its token was read', 'ABORTED', false);
		}

		if (call) {
			Object.assign(this.#sent(call), { token: value, at: this.#settings.generation });
		}

		return next(request, init);
	};

	/**
	 * `run`, a wait of an attempt in the layer (for a refresh, for `token()`), within the attempt's `signal` and refused (`CLIENT_CLOSED`)
	 * once the client closes, as a 401's wait is (`wrap`).
	 */
	async #waiting<T>(signal: AbortSignal, run: (bound: AbortSignal) => Promise<T>): Promise<T> {
		const [closing, done] = this.#closing.wait();
		try {
			return await run(AbortSignal.any([signal, closing]));
		} finally {
			done();
		}
	}

	/**
	 * One refresh across tabs: under the Web Lock, skipped when another refresh finished since `seen`
	 * (the generation when the call that got a 401 sent its token `old`).
	 * `refresh()` gets `refreshTimeoutMs`: past it the lock is given back and the refresh fails (a wait
	 * for another tab's lock ends when that tab's refresh does, within its own `refreshTimeoutMs`).
	 */
	async #refresh(old: Token, seen: number, { scope = '', world }: PolicyCall): Promise<void> {
		const settings = this.#settings;
		const run = async (): Promise<void> => {
			// Another tab (or call) refreshed meanwhile: its token is the one to use — unless the last refresh that ended was
			// of a session that had ended (`staleAt`): the token it left is not this session's, whatever changed. One that
			// ended (or failed: `failedBy`) for another identity (`leftBy`: a server's concurrent requests, each its user's
			// token) is not this one's.
			// A wave's later 401 after its refresh failed (the last to end, the token still the one it was sent with) is that
			// failure's too: one refresh per wave, never one per 401 against a refresh endpoint that is down.
			const token = await this.#current();
			if ((settings.generation > seen && (settings.failedAt === settings.generation ? settings.failedBy : settings.leftBy) === world.identity || token !== old) && settings.staleAt !== settings.generation) {
				if (settings.failedAt === settings.generation && token === old) {
					throw settings.failure;
				}

				return;
			}

			const context = this.#context;
			const started = context.clock.now();
			let ok = false;
			let running: unknown;
			try {
				// Timed from here: a wait for the lock (another tab's refresh, one gone without a word) takes none of it.
				const signal = AbortSignal.timeout(settings.refreshTimeoutMs);
				settings.calling = true;
				running = settings.refresh();
				settings.calling = false;
				await until(Promise.resolve(running), signal);
				// Whose token it stored: the session it started in (`world`: the call's that started it, or a joiner's, which stands
				// for it), unless that ended meanwhile (then never trusted).
				const current = world.current();
				await this.#ended(current, world.identity);
				this.#tabs?.refreshed(world.identity, current, true);
				ok = true;
			} catch (error) {
				settings.failedAt = ++settings.generation;
				settings.failure = error;
				settings.failedBy = world.identity;
				throw error;
			} finally {
				if (!ok) {
					// The waiters in other tabs are told at once. A refresh that threw, or that runs on past `refreshTimeoutMs`, may
					// have stored (or still store) its token: once it settles, that of a session ended by then is noted as one such a
					// refresh left (`#ended`), here and in the tabs that hear it (a failure's word with `current` false).
					this.#tabs?.refreshed(world.identity, true, false);
					const settled = (): void => {
						if (!world.current()) {
							void this.#ended(false, world.identity);
							this.#tabs?.refreshed(world.identity, false, false);
						}
					};
					void Promise.resolve(running).then(settled, settled);
				}

				settings.calling = false;
				context.emit('auth:refresh', { scope, ok, durationMs: context.clock.now() - started, shared: false });
			}
		};

		// The lock held elsewhere means another tab is refreshing right now: wait for it to finish
		// and send again with what token() gives then, without a refresh of our own (had theirs
		// failed, the second 401 is an AuthError here too — never one refresh per tab); unless its word says it served
		// a session that had ended (tabs.ts): then `run` again, which refreshes (the last refresh ended `staleAt`).
		await (this.#tabs ? this.#tabs.lock(run, () => settings.staleAt === settings.generation) : run());
	}

	/**
	 * A refresh ended (here, or in another tab as its word said): `current` false when its session had ended. The token
	 * it left is then noted (`left`): no other session's call sends it (`layer`); a refresh of a current session vouches
	 * for what it left.
	 */
	async #ended(current: boolean, identity: string | undefined): Promise<void> {
		const settings = this.#settings;
		settings.generation++;
		settings.leftBy = identity;
		settings.left = undefined;
		if (!current) {
			settings.staleAt = settings.generation;
			settings.left = await this.#current().catch(() => undefined);
		}
	}

	/**
	 * After `call`'s attempt with the token `old` got a 401: join the refresh in flight, or start one,
	 * and wait for it within `bound`. Another tab refreshed (the last to end: `heardAt`): its new token may reach this tab's storage
	 * a moment later (localStorage is eventually consistent across tabs). Sent again with the token
	 * that got the 401, the call would fail for nothing: this waits for it to change, within `bound` too. `seen`: the
	 * refreshes finished as `old` was read (a 401's: `wrap`): one that ended since is not run again for it, also when it
	 * left `old` in place (then the 401 to the call sent once more is final), so a 401 wave gets one refresh.
	 */
	async #renew(call: PolicyCall, old: Token, bound: AbortSignal, seen = this.#settings.generation): Promise<void> {
		const settings = this.#settings;
		// A call of no request in a Worker shares none: its own, kept nowhere.
		const slot: Flight = this.#slot(call) ?? {};
		let flight = slot.flight;
		// A refresh started in another world (before an identity change or a clear: `PolicyCall.world`) is not this call's:
		// its token is of the session that ended. Nor is one of another identity whose world is still current (a server's
		// requests, each its user's, made through `extend({ identity })` children: each child reads its own user). Wait for it
		// to end (one at a time), then refresh unless the token changed from the one it left (another tab refreshed for this
		// session meanwhile; not a count that its own word moved: `Infinity`). `world` is kept once the flight ended: the last
		// one's, overwritten by the next.
		while (flight && (!slot.world!.current() || slot.world!.identity !== call.world.identity)) {
			await until(flight.catch(() => undefined), bound);
			old = await this.#current();
			seen = Infinity;
			flight = slot.flight;
		}

		flight ??= this.#refresh(old, seen, call).finally(() => {
			// Whether the session it served was still signed in as it ended, asked where it ran (its request's user: `layer`).
			slot.signedIn = slot.world!.current();
			if (slot.flight === flight) {
				slot.flight = undefined;
			}
		});
		slot.flight = flight;
		// A joiner's world is the one the refresh started in (its identity, no clear between): either stands for it.
		slot.world = call.world;

		await until(flight, bound);
		// Only when the last refresh to end was another tab's: this tab's refresh() stored its token before it resolved.
		for (let wait = 5; settings.heardAt === settings.generation && await this.#current() === old && wait <= 320; wait *= 2) {
			await until(new Promise((resolve) => setTimeout(resolve, wait)), bound);
		}
	}

	/**
	 * The call's own time budget, as a signal: its totalTimeout, else its timeout (ky's default 10 s; ky caps both at
	 * 2^31 - 1 ms) and never more than the default totalTimeout (20 s) when none is given, less what the call took since `started`, and no later than its
	 * request's deadline (`Call.deadline`, with `deadlineHeader`); and its own signal (the core rejects
	 * with the caller's reason); and the client's `close()` (`closing`, this wait's).
	 */
	#bound({ options, signal, deadline = Infinity }: Call, started: number, closing: AbortSignal): AbortSignal {
		const context = this.#context;
		const now = context.clock.now();
		const total = options.totalTimeout ?? context.options.totalTimeout;
		// Without a `totalTimeout` given, never past the default one (core/ky-options.ts `defaultTotalTimeout`): every call is bounded.
		const allowedMs = Math.min([total, options.timeout ?? context.options.timeout ?? 10_000].find((ms) => typeof ms === 'number') ?? 2 ** 31 - 1, (total ?? 20_000) || Infinity);
		const limit = AbortSignal.timeout(Math.max(0, Math.min(allowedMs - (now - started), deadline - now)));
		return AbortSignal.any([limit, signal ?? limit, closing]);
	}

	/** A 401 to a request that carried a token of ours: one refresh, then the call once more. */
	async wrap(call: PolicyCall, next: () => Promise<Response>): Promise<Response> {
		const started = this.#context.clock.now();
		/** Made by `refresh()` itself (synchronously: `() => api.post('auth/refresh')`, or before its first await). */
		const own = this.#sent(call).own;
		let outcome = await send(next);
		const denied = this.#unauthorized(outcome);
		// A 401 to a request that carried a token of ours (not another origin's, not `auth: false`).
		const old = denied && this.#sent(call).token;
		if (denied && old !== null) {
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

			if (!call.world.current()) {
				// Made for someone who signed out since (an identity change, a clear): its 401 is of a session that ended, and
				// the call is never sent again (src/core/world.ts). It starts no refresh, which would sign that session back in.
				throw fail(identityChanged, outcome.error);
			}

			const [closing, done] = this.#closing.wait();
			try {
				await this.#renew(call, old, this.#bound(call as Call, started, closing), this.#sent(call).at);
			} catch (error) {
				if (this.#closing.closed) {
					void denied.body?.cancel().catch(() => undefined);
					throw error; // The client closed: `CLIENT_CLOSED`, as the bulkhead's and the rate limiter's waiters get.
				}

				throw fail(`${scope} answered 401 and the token refresh failed`, error);
			} finally {
				done();
			}

			if (call.identity !== this.#context.identity()) {
				// The refresh signed someone else in: a call made for the previous identity (an outbox
				// replay of theirs) is not sent again with the new identity's token.
				throw fail(identityChanged, outcome.error);
			}

			// A body that could be read only once is gone (a Request's, a stream's: also one fetch takes as an async
			// iterable or an iterator, Node's and Deno's): the caller gets the 401 as it came (the token is fresh for
			// the next call). Anything else is sent once more.
			const { body } = call.options;
			if (!(call.input instanceof Request && call.input.body !== null) && !(body instanceof ReadableStream || Symbol.asyncIterator in Object(body) || typeof Object(body).next === 'function')) {
				void denied.body?.cancel().catch(() => undefined);
				outcome = await send(next);
				const again = this.#unauthorized(outcome);
				if (again) {
					throw new AuthError(`${scope} answered 401 again after the token refresh`, scope, { response: again, cause: outcome.error });
				}
			}
		}

		const { error } = outcome;
		const { response, request } = (error ?? {}) as { response?: Response; request?: Request };
		if (this.#nowhere && response?.status === 401 && call.options.auth !== false) {
			// The token went nowhere for want of an origin: the 401 it got says so, and what to give (its call's origin).
			void response.body?.cancel().catch(() => undefined);
			throw new AuthError(`auth() sent no token: it has no origin to send it to (no \`prefix\` or \`baseUrl\`, no \`location\`); give \`auth.origins\` (as ["${request ? new URL(request.url).origin : 'https://api.example.com'}"]) or the client's \`prefix\``, call.scope ?? '', { response, cause: error });
		}

		if (error !== undefined) {
			throw error;
		}

		return outcome.response!;
	}

	/** Tabs of the origin tell each other a refresh finished (never the token): waiters skip theirs. */
	start(): void {
		this.#tabs = linkTabs(this.#context, this.#prefixes, this.#settings.by, (identity, current) => {
			// Another tab's refresh served the session signed in here only when it was still current there and of this identity.
			void this.#ended(current && identity === this.#context.identity(), identity);
			this.#settings.heardAt = this.#settings.generation;
		});
	}

	close(): void {
		this.#closing.close();
		this.#tabs?.close();
	}
}
