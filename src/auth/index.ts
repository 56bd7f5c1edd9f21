import type { PolicyCall, Policy, PolicyContext, PolicyParts } from '../core/policy.js';
import type { Layer } from '../core/types.js';
import { AuthError } from '../errors/AuthError.js';
import { openChannel, type Channel } from '../shared/channel.js';
import { webLocks } from '../shared/lock.js';
import { checkAuthOptions, type AuthOptions } from './options.js';

export type { AuthOptions } from './options.js';

type Token = string | undefined;

/** 401 as a response (with `throwHttpErrors: false`) or as ky's HTTPError. */
const unauthorized = (outcome: { response?: Response; error?: unknown }): Response | undefined => {
	const response = outcome.response ?? (outcome.error as { response?: unknown } | undefined)?.response;
	return response instanceof Response && response.status === 401 ? response : undefined;
};

const create = (context: PolicyContext, token: AuthOptions['token'], refresh: AuthOptions['refresh'], scheme: string): PolicyParts => {
	/** The token each call's latest attempt was sent with. */
	const used = new WeakMap<PolicyCall, Token>();
	/** Refreshes finished (here, or in another tab as its channel said): a waiter that sees it move skips its own. */
	let generation = 0;
	let inFlight: Promise<void> | undefined;
	let channel: Channel | undefined;
	const lockName = `steadfetch:${context.name}/auth`;

	const current = async (): Promise<Token> => (await token()) ?? undefined;

	const layer: Layer = (next) => async (request, init) => {
		const call = init?.steadfetch;
		if (inFlight && call?.replay) {
			// An outbox replay that starts while a refresh runs waits for it: it is someone's stored
			// write, and a token read while the app is halfway through signing someone else in must not
			// carry it. Made for another identity than the one the refresh left signed in, it is not sent
			// (it stays queued for its own identity). Only replays wait: the app's own calls — the
			// refresh's own request through this client among them — go at once, as before.
			await inFlight.catch(() => undefined);
			if (call.identity !== context.identity()) {
				throw new AuthError('The identity changed with a token refresh; the replay was not sent', call.scope ?? '');
			}
		}

		let value: Token;
		try {
			value = await current();
		} catch (error) {
			// Not a network failure (a TypeError from the app's own code would read as one): no retry.
			const scope = call?.scope ?? '';
			throw new AuthError(`auth.token() failed for ${scope || request.url}`, scope, { cause: error });
		}

		if (value !== undefined) {
			request.headers.set('authorization', `${scheme} ${value}`);
		}

		if (call) {
			used.set(call, value);
		}

		return next(request, init);
	};

	/** One refresh across tabs: under the Web Lock, skipped when another refresh finished since `seen`. */
	const refreshOnce = async (seen: { token: Token; generation: number }, scope: string): Promise<void> => {
		const run = async (): Promise<void> => {
			if (generation !== seen.generation || await current() !== seen.token) {
				return; // Another tab (or call) refreshed meanwhile: its token is the one to use.
			}

			const started = context.clock.now();
			try {
				await refresh();
			} catch (error) {
				context.emit('auth:refresh', { scope, ok: false, durationMs: context.clock.now() - started, shared: false });
				throw error;
			}

			generation++;
			channel?.post(1);
			context.emit('auth:refresh', { scope, ok: true, durationMs: context.clock.now() - started, shared: false });
		};

		inFlight ??= (async () => {
			const locks = webLocks();
			try {
				// The lock held elsewhere means another tab is refreshing right now: wait for it to finish
				// and send again with what token() gives then, without a refresh of our own (had theirs
				// failed, the second 401 is an AuthError here too — never one refresh per tab).
				await (locks ? locks.request(lockName, { ifAvailable: true }, async (lock) => lock ? run() : locks.request(lockName, {}, async () => undefined)) : run());
			} finally {
				inFlight = undefined;
			}
		})();
		return inFlight;
	};

	const wrap = async (call: PolicyCall, next: () => Promise<Response>): Promise<Response> => {
		let outcome: { response?: Response; error?: unknown };
		try {
			outcome = { response: await next() };
		} catch (error) {
			outcome = { error };
		}

		const denied = unauthorized(outcome);
		if (!denied) {
			if (outcome.error !== undefined) {
				throw outcome.error;
			}

			return outcome.response!;
		}

		const scope = call.scope ?? '';
		const seen = { token: used.get(call), generation };
		try {
			await refreshOnce(seen, scope);
		} catch (error) {
			void denied.body?.cancel().catch(() => undefined);
			throw new AuthError(`The token refresh failed after a 401 from ${scope}`, scope, { cause: error });
		}

		if (call.identity !== context.identity()) {
			// The refresh signed someone else in: a call made for the previous identity (an outbox replay
			// of theirs) is not sent again with the new identity's token.
			void denied.body?.cancel().catch(() => undefined);
			throw new AuthError('The identity changed with the token refresh; the call was not sent again', scope, { response: denied, cause: outcome.error });
		}

		if ((call.input instanceof Request && call.input.body !== null) || call.options['body'] instanceof ReadableStream) {
			// A body that could be read only once is gone: the caller gets the 401 as it came (the
			// token is fresh for the next call).
			if (outcome.error !== undefined) {
				throw outcome.error;
			}

			return outcome.response!;
		}

		void denied.body?.cancel().catch(() => undefined);

		try {
			outcome = { response: await next() };
		} catch (error) {
			outcome = { error };
		}

		const again = unauthorized(outcome);
		if (again) {
			throw new AuthError(`${scope} answered 401 again after the token was refreshed`, scope, { response: again, cause: outcome.error });
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
			channel = openChannel(`steadfetch:${context.name}:auth`, () => {
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
 * attempt (retries and outbox replays included) and sent as `Authorization: <scheme> <token>`. On a
 * 401, one `refresh()` runs for the whole client and across the tabs of the origin (a Web Lock; the
 * other tabs hear that it finished and read `token()` again — no token crosses tabs); every call that
 * got a 401 meanwhile waits for it and is sent once more with the new token; an outbox replay that
 * starts while it runs waits for it too, and is not sent at all when it was queued for another
 * identity than the one the refresh left signed in (`AuthError`; it stays queued). A second 401, or a
 * refresh that throws, rejects with `AuthError`. Where Web Locks are missing (Workers), the single
 * flight is per client. Bad options throw a `RangeError` naming the option and the value.
 *
 * @example
 * const api = createClient({ auth: auth({ token: () => localStorage.getItem('token'), refresh: signInAgain }) });
 */
export const auth = (options: AuthOptions): Policy<'auth'> => {
	const { token, refresh, scheme } = checkAuthOptions(options);
	return { slot: 'auth', create: (context) => create(context, token, refresh, scheme) };
};
