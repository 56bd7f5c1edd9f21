import type { PolicyCall, PolicyContext } from '../core/policy.js';
import type { CacheParts } from '../core/client-types.js';
import { cacheHandle } from './handle.js';
import { isOffline } from '../core/runtime.js';
import type { FetchInit, FetchLike, Layer } from '../core/types.js';
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
	/**
	 * The call's run, once started: a copy is written only once it resolved with ky's response (one
	 * the caller's `afterResponse` hooks rejected — threw on, or replaced — is never stored).
	 */
	network?: Promise<Response>;
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
	const calls = new WeakMap<PolicyCall, CallContext>();
	const { entries } = core;
	const refreshing = new Set<string>();

	/** Store a good response behind the caller; returns what to hand on (see `store`). */
	const capture = (request: Request, identity: string | undefined, response: Response, network: Promise<Response> | undefined): Response | Promise<Response> => {
		const { status } = response;
		if (status < 200 || status > 299 || status === 206) {
			return response;
		}

		return store(core, request, identity, response, core.epoch, network);
	};

	/** The layer's path for an offline runtime and a call's first stale-while-revalidate attempt. */
	const answerFirst = async (request: Request, init: FetchInit | undefined, next: FetchLike, state: PolicyCall, call: CallContext, first: boolean): Promise<Response> => {
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

		return capture(request, state.identity, await next(request, init), call.network);
	};

	const layer: Layer = (next) => (request, init) => {
		const state = init?.steadfetch;
		const call = state && calls.get(state);
		if (!call) {
			return next(request, init);
		}

		const first = !call.started;
		call.started = true;
		if (isOffline() || (first && call.swr)) {
			return answerFirst(request, init, next, state, call, first);
		}

		// Captured here, as the response arrives and before ky or the caller can read its body (the
		// clone is taken at once): the wrapper sees the response only after ky's body shortcut began.
		return next(request, init).then((response) => capture(request, state.identity, response, call.network));
	};

	/** A successful unsafe method invalidates the URL's copies (RFC 9111 §4.4). */
	const invalidating = async (state: PolicyCall, next: () => Promise<Response>): Promise<Response> => {
		const response = await next();
		if (state.request && response && response.status >= 200 && response.status < 400) {
			void core.invalidate(state.request.url);
		}

		return response;
	};

	/** A failed read answered from a usable stored copy, or the failure as it was. */
	const recover = async (state: PolicyCall, local: CallContext, error: unknown): Promise<Response> => {
		const reason = state.request && !state.signal?.aborted ? reasonOf(error) : undefined;
		const stale = local.served ?? (reason && await core.serve(state.request!, state.identity, local.method, reason));
		if (stale) {
			return stale;
		}

		throw error;
	};

	/** With `throwHttpErrors: false` a failed response resolves instead of throwing: a stored copy may answer it too. */
	const answered = async (state: PolicyCall, response: Response): Promise<Response> => {
		if (state.request && response && failedStatuses.has(response.status)) {
			const stale = await core.serve(state.request, state.identity, state.method, 'http-5xx');
			if (stale) {
				void response.body?.cancel().catch(() => undefined);
				return stale;
			}
		}

		return response;
	};

	/** Stale-while-revalidate: the stored copy answers at once when the layer finds one, the call refreshes it. */
	const revalidating = async (state: PolicyCall, local: CallContext, next: () => Promise<Response>): Promise<Response> => {
		const early = new Promise<Response>((resolve) => {
			local.early = resolve;
		});
		const network = next();
		local.network = network;
		let response: Response;
		try {
			response = await Promise.race([network, early]);
		} catch (error) {
			return recover(state, local, error);
		}

		const key = local.refreshKey;
		if (key !== undefined) {
			// The refresh was stored by the layer; nobody reads its body unless a body shortcut was asked for.
			void network.then((fresh) => fresh.body?.cancel(), () => undefined).catch(() => undefined).finally(() => refreshing.delete(key));
			return response;
		}

		return answered(state, response);
	};

	const wrap = (state: PolicyCall, next: () => Promise<Response>): Promise<Response> => {
		const { method } = state;
		if (unsafe.has(method)) {
			return invalidating(state, next);
		}

		const local: CallContext = { method, swr: core.options.swr && method === 'GET' };
		calls.set(state, local);
		void entries.ready();
		if (local.swr) {
			return revalidating(state, local, next);
		}

		const network = next();
		local.network = network;
		// No async frame of ours on a good answer: only a failure, or a failed status that resolved, is looked at again.
		return network.then((response) => response && failedStatuses.has(response.status) ? answered(state, response) : response, async (error: unknown) => recover(state, local, error));
	};

	const { clear, handle } = cacheHandle(core, () => refreshing.clear());

	return {
		layer,
		wrap,
		appliesTo: ({ method, options: { staleCache, cache } }) => unsafe.has(method) || (staleCache !== false && cache !== 'no-store' && reads.has(method)),
		substituted: (response) => isStale(response) ? 'stale' : undefined,
		members: { cache: handle },
		clear,
		close() {
			entries.close();
		},
	};
}
