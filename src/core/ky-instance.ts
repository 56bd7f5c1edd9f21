import ky, { type KyInstance, type Options as KyOptions, type RetryOptions } from 'ky';

import { composeLayers } from './compose.js';
import { clientKeys, requestCacheKey, type CoreClientOptions } from './options.js';
import { slotOrder } from './policy.js';
import { normalizeTransport } from './transport.js';
import type { Clock, FetchLike, Layer } from './types.js';

interface KyDeps {
	readonly layers: readonly Layer[];
	readonly random: () => number;
	readonly clock: Clock;
	/** Our `shouldRetry` (the budget, POST/PATCH rules), given the user's to ask first. */
	readonly shouldRetry: (user: RetryOptions['shouldRetry']) => NonNullable<RetryOptions['shouldRetry']>;
}

/**
 * The client's ky instance: the user's ky options (ours taken out), the per-attempt layers composed
 * once into ky's `fetch`, and our retry defaults under the user's: full jitter from `random`,
 * `retryOnTimeout`, 30 s `backoffLimit` and `maxRetryAfter`.
 */
export const createKy = (options: CoreClientOptions, { layers, random, clock, shouldRetry }: KyDeps): { instance: KyInstance; retry: RetryOptions } => {
	const kyOptions: Record<string, unknown> = { ...options };
	for (const key of [...clientKeys, ...slotOrder]) {
		delete kyOptions[key];
	}

	const mode = (options as { [requestCacheKey]?: RequestCache })[requestCacheKey] ?? (typeof options.cache === 'string' ? options.cache : undefined);
	if (mode !== undefined) {
		kyOptions['cache'] = mode;
	}

	const retry = typeof options.retry === 'number' ? { limit: options.retry } : options.retry ?? {};
	const baseFetch: FetchLike = (options.fetch as FetchLike | undefined) ?? ((request, init) => globalThis.fetch(request, init));
	const instance = ky.create({
		...kyOptions,
		fetch: composeLayers(layers, normalizeTransport(baseFetch, clock)) as typeof fetch,
		retry: {
			jitter: (delay: number) => random() * delay,
			retryOnTimeout: true,
			backoffLimit: 30_000,
			maxRetryAfter: 30_000,
			...retry,
			shouldRetry: shouldRetry(retry.shouldRetry),
		},
	} as KyOptions);
	return { instance, retry };
};

