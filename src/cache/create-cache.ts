import type { Call, PolicyContext } from '../core/policy.js';
import type { CacheParts } from '../core/policy-apis.js';
import type { CachedEntry } from '../core/client-types.js';
import { identityDigest } from '../shared/digest.js';
import { isOffline } from '../core/runtime.js';
import type { Layer } from '../core/types.js';
import { store } from './capture.js';
import { CacheCore } from './core.js';
import type { ResolvedCacheOptions } from './resolve-options.js';
import { failedStatuses, reasonOf, StaleShortcut } from './stale-reason.js';
import { isStale } from './is-stale.js';

const reads = new Set(['GET', 'HEAD']);
const unsafe = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** What the wrapper of a GET or HEAD shares with the per-attempt layer. */
interface CallContext {
	method: string;
	swr: boolean;
	started?: boolean;
	/** The stored copy that answers the call (set by the layer before it throws `StaleShortcut`). */
	served?: Response | undefined;
	/** Stale-while-revalidate: answer the caller now, while the call goes on as the refresh. */
	early?: (response: Response) => void;
	refreshKey?: string;
	/** Settles with the call: whether ky's response reached the caller (its `afterResponse` hooks accepted it). */
	accepted?: Promise<boolean>;
}


/**
 * The stale cache fallback (see `CacheOptions` and API.md "Responses served from the stale cache").
 *
 * The outer wrapper sees each GET and HEAD call's final outcome (after ky's retries): a network
 * error, timeout, 500/502/503/504, open circuit or offline runtime is answered from a usable stored
 * copy, or the original error is rethrown unchanged. A successful POST/PUT/PATCH/DELETE invalidates
 * the URL's copies (RFC 9111 §4.4), even with `cache: false`. The per-attempt layer stores a
 * successful response behind the caller as it arrives (before anyone reads its body), answers from
 * the store without network I/O when the runtime reports offline, and starts
 * stale-while-revalidate answers (it is the first to see the Request).
 */
export function createCache(context: PolicyContext, options: ResolvedCacheOptions): CacheParts {
	const core = new CacheCore(context, options);
	/** The cache's own record of each GET or HEAD call it wraps, shared with its per-attempt layer. */
	const calls = new WeakMap<Call, CallContext>();
	const { entries } = core;
	const refreshing = new Set<string>();

	/** Store a good response behind the caller; returns what to hand on (see `store`). */
	const capture = (request: Request, identity: string | undefined, response: Response, accepted: Promise<boolean> | undefined): Response | Promise<Response> => {
		const { status } = response;
		if (status < 200 || status > 299 || status === 206) {
			return response;
		}

		return store(core, request, identity, response, core.epoch, accepted, (error: unknown) => {
			context.storageError('cache', 'set', error, request.url);
		});
	};

	const layer: Layer = (next) => async (request, init) => {
		const state = init?.steadfetch;
		const call = state && calls.get(state);
		if (call) {
			const first = !call.started;
			call.started = true;
			if (isOffline()) {
				call.served = await core.serve(request, state.identity, call.method, 'offline');
				if (call.served) {
					throw new StaleShortcut('offline');
				}
			} else if (first && call.swr) {
				const meta = await core.locate(request, state.identity).catch(() => undefined);
				if (meta && context.clock.now() <= meta.swrUntil) {
					const response = await core.serve(request, state.identity, call.method, 'revalidate', meta);
					if (response && refreshing.has(meta.key)) {
						call.served = response;
						throw new StaleShortcut('refreshing');
					}

					if (response) {
						refreshing.add(meta.key);
						call.refreshKey = meta.key;
						call.early!(response);
					}
				}
			}

			// Captured here, as the response arrives and before ky or the caller can read its body (the
			// clone is taken at once): the wrapper sees the response only after ky's body shortcut began.
			return capture(request, state.identity, await next(request, init), call.accepted);
		}

		return next(request, init);
	};

	const wrap = async (state: Call, next: () => Promise<Response>): Promise<Response> => {
		const { method } = state;
		if (unsafe.has(method)) {
			const response = await next();
			if (state.request && response && response.status >= 200 && response.status < 400) {
				void core.invalidate(state.request.url);
			}

			return response;
		}

		const local: CallContext = { method, swr: core.options.swr && method === 'GET' };
		calls.set(state, local);
		void entries.ready();
		const early = local.swr ? new Promise<Response>((resolve) => {
			local.early = resolve;
		}) : undefined;
		const network = next();
		// A copy is written only once the call has resolved with ky's response: one the caller's
		// `afterResponse` hooks rejected (threw on, or replaced) is never stored.
		local.accepted = network.then((response) => response?.ok === true, () => false);
		let response: Response;
		try {
			response = await (early ? Promise.race([network, early]) : network);
		} catch (error) {
			const reason = state.request && !state.signal?.aborted ? reasonOf(error) : undefined;
			const stale = local.served ?? (reason && await core.serve(state.request!, state.identity, method, reason));
			if (stale) {
				return stale;
			}

			throw error;
		}

		const key = local.refreshKey;
		if (key !== undefined) {
			// The refresh was stored by the layer; nobody reads its body unless a body shortcut was asked for.
			void network.then((fresh) => fresh.body?.cancel(), () => undefined).catch(() => undefined).finally(() => refreshing.delete(key));
			return response;
		}

		if (state.request && response && failedStatuses.has(response.status)) {
			// `throwHttpErrors: false`: the failed response resolved instead of throwing.
			const stale = await core.serve(state.request, state.identity, method, 'http-5xx');
			if (stale) {
				void response.body?.cancel().catch(() => undefined);
				return stale;
			}
		}

		return response;
	};

	const clear = async (options?: { identity?: string }): Promise<void> => {
		if (options?.identity === undefined) {
			core.clearedAt = ++core.epoch;
			refreshing.clear();
			await entries.clear();
			return;
		}

		const who = await identityDigest(context.name, options.identity);
		core.clearedFor.set(who, ++core.epoch);
		await entries.clearWho(who);
	};

	const list = async (): Promise<CachedEntry[]> => {
		const who = context.identity();
		const digest = who === undefined ? undefined : await identityDigest(context.name, who);
		await entries.reload();
		await entries.ready();
		return entries.index.list()
			.filter((meta) => meta.who === digest)
			.map(({ url, status, storedAt, bytes }) => ({ url, status: status ?? 200, storedAt, bytes }));
	};

	return {
		layer,
		wrap,
		appliesTo: ({ method, options: { cache } }) => unsafe.has(method) || (cache !== false && cache !== 'no-store' && reads.has(method)),
		substituted: (response) => isStale(response) ? 'stale' : undefined,
		handle: {
			async delete(url) {
				let href = String(url);
				try {
					href = new URL(href).href;
				} catch {}

				await core.invalidate(href);
			},
			clear: async () => clear(),
			list,
		},
		clear,
		close() {
			entries.close();
		},
	};
}
