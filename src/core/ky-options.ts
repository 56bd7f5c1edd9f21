import { unsafeRetryMethods } from '../retry/should-retry.js';
import type { Call } from './call.js';
import { composeLayers } from './compose.js';
import { callKeys, type CallOptions } from './options.js';
import type { FetchLike, Layer } from './types.js';
import { stringifying } from './validate-options.js';

/** Ours, kept from ky; and `steadfetch`, which ky's options of an earlier call carry (reused in a hook). */
const ours = new Set([...callKeys, 'steadfetch']);

/** What a call's options for ky need of the client. */
export interface CallKyDeps {
	/** Whether POST and PATCH calls join ky's retried methods (the user did not choose `retry.methods`). */
	readonly admitUnsafe: boolean;
	/** The call's own `retry` options as ky gets them (our `shouldRetry` kept when the call brings its own rules). */
	retryFor(own: unknown): unknown;
	readonly layers: readonly Layer[];
	/** Wraps a per-call `fetch` (the layers below ours first): the client's transport normalization. */
	readonly transport: (fetch: FetchLike) => FetchLike;
}

/**
 * What ky gets for one call: the call's options without ours, with the call for the layers
 * (`steadfetch`), the headers carrying its Idempotency-Key (when it has one), its signal (the
 * caller's and its request's end), its retry rules, and a per-call `fetch` through the layers.
 */
export const callKyOptions = (deps: CallKyDeps) => {
	const { layers, admitUnsafe } = deps;
	return (call: Call, callOptions: CallOptions, headers: Headers | undefined, unsafe: boolean): Record<string, unknown> => {
		const forKy: Record<string, unknown> = { steadfetch: call };
		for (const name in callOptions) {
			if (Object.hasOwn(callOptions, name) && !ours.has(name)) {
				forKy[name] = callOptions[name as keyof CallOptions];
			}
		}

		if (headers) {
			forKy['headers'] = headers;
		}

		if (call.signal !== callOptions.signal) {
			forKy['signal'] = call.signal; // The caller's, and the request's end.
		}

		const ownRetry = callOptions.retry;
		if (ownRetry !== undefined || (unsafe && admitUnsafe)) {
			// POST and PATCH join ky's retried methods per call (only `shouldRetry` lets them retry: with
			// an Idempotency-Key); a number is a limit over our defaults (ky would replace them).
			forKy['retry'] = {
				...(unsafe && admitUnsafe ? { methods: unsafeRetryMethods } : {}),
				...deps.retryFor(ownRetry) as object,
			};
		}

		if (callOptions.stringifyJson) {
			forKy['stringifyJson'] = stringifying(callOptions.stringifyJson);
		}

		if (callOptions.fetch) {
			// A per-call transport still goes through the layers.
			forKy['fetch'] = composeLayers(layers, deps.transport(callOptions.fetch as FetchLike));
		}

		return forKy;
	};
};
