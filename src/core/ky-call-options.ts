import type { BeforeRetryHook } from 'ky';
import { unsafeRetryMethods } from '../retry/should-retry.js';
import { composeLayers } from './compose.js';
import { callKeys, type CallOptions } from './options.js';
import { normalizeTransport } from './transport.js';
import type { CallState, Clock, FetchLike, Layer } from './types.js';

/**
 * The options ky gets for one call: the caller's without ours (a copy: the caller's object is left
 * as it is), with the call's state for the layers, our `beforeRetry` hook (while `retry` has a listener), POST/PATCH in the retried
 * methods when `unsafe`, a numeric `retry` as a limit over our defaults, and a per-call transport
 * composed with the layers.
 */
export const kyOptionsFor = (callOptions: CallOptions, state: CallState, unsafe: boolean, layers: readonly Layer[], clock: Clock, recordRetries: boolean): Record<string, unknown> => {
	// What ky gets: the call's options without ours (a copy: the caller's object is left as it is).
	const forKy: Record<string, unknown> = { ...callOptions, steadfetch: state };
	for (const name of callKeys) {
		if (name in forKy) {
			delete forKy[name];
		}
	}

	if (typeof callOptions.cache === 'string') {
		forKy['cache'] = callOptions.cache;
	}

	if (recordRetries) {
		// Our beforeRetry hook, last of the call's: it sees every retry ky is about to send (ky's
		// documented hook), and a retry an earlier hook stops never reaches it. Only while somebody
		// listens to `retry`: a per-call hook makes ky merge hooks on every call.
		const hooks = callOptions.hooks;
		const record = (({ error }: { error: Error }) => {
			state.retryError = error;
		}) as BeforeRetryHook;
		forKy['hooks'] = hooks ? { ...hooks, beforeRetry: [...hooks.beforeRetry ?? [], record] } : { beforeRetry: [record] };
	}

	const ownRetry = forKy['retry'];
	if (typeof ownRetry === 'number' || unsafe) {
		// A number merges as a limit (ky would replace our defaults: no jitter, no budget). POST and
		// PATCH join ky's retried methods per call, not in every call's options (ky normalizes
		// them on each attempt), and only `shouldRetry` lets them retry: with an Idempotency-Key.
		forKy['retry'] = {
			...(unsafe ? { methods: unsafeRetryMethods } : {}),
			...(typeof ownRetry === 'number' ? { limit: ownRetry } : ownRetry as object | undefined),
		};
	}

	if (forKy['fetch']) {
		// A per-call transport still goes through the layers.
		forKy['fetch'] = composeLayers(layers, normalizeTransport(forKy['fetch'] as FetchLike, clock));
	}

	return forKy;
};

/**
 * What a wrapper fixed before the ky call starts: the Idempotency-Key and the stored body (so the
 * first attempt sends the bytes a replay will), and no retries for an attempt that will be held.
 */
export const applyFixed = (forKy: Record<string, unknown>, state: CallState): void => {
	const { idempotencyKey, send } = state;
	if (idempotencyKey !== undefined || (send && 'bytes' in send)) {
		// Fixed by now (the outbox's wrapper may pick them before it calls on): per-call headers, so
		// ky's Request and every retry's clone carry them.
		const headers = new Headers(forKy['headers'] as HeadersInit | undefined);
		if (idempotencyKey !== undefined) {
			headers.set('idempotency-key', idempotencyKey);
		}

		if (send && 'bytes' in send) {
			headers.set('content-type', send.contentType);
		}

		forKy['headers'] = headers;
	}

	if (send) {
		// The bytes a wrapper stored are the bytes sent (ky still sets JSON's Content-Type its way).
		if ('json' in send) {
			forKy['stringifyJson'] = () => send.json;
		} else {
			forKy['body'] = send.bytes;
		}
	}

	if (state.held) {
		// A wrapper knows the attempt will be held without I/O: no retries, so ky does not clone
		// the request (a tee of its body) for them.
		forKy['retry'] = { ...forKy['retry'] as object | undefined, limit: 0 };
	}

};
