import type { CacheHandle, CachedEntry } from '../core/client-types.js';
import { identityDigest } from '../shared/digest.js';
import type { CacheCore } from './core.js';

/**
 * `client.cache` and the cache's part of `client.clear()`: a clear bumps the epoch, so a capture
 * that started before it never writes back what it removed.
 */
export const cacheHandle = (core: CacheCore, forgetRefreshes: () => void) => {
	const { context, entries } = core;
	const clear = async (options?: { identity?: string }): Promise<void> => {
		if (options?.identity === undefined) {
			core.clearedAt = ++core.epoch;
			forgetRefreshes();
			await entries.clear();
			return;
		}

		const who = await identityDigest(context.name, options.identity);
		core.clearedFor.set(who, ++core.epoch);
		await entries.clearWho(who);
	};

	/** The current identity's entries, with what other tabs stored since the index was loaded. */
	const list = async (): Promise<CachedEntry[]> => {
		const who = context.identity();
		const digest = who === undefined ? undefined : await identityDigest(context.name, who);
		await entries.reload();
		await entries.ready();
		return entries.index.list()
			.filter((meta) => meta.who === digest)
			.map(({ url, status, storedAt, bytes }) => ({ url, status: status ?? 200, storedAt, bytes }));
	};

	const handle: CacheHandle = {
		async delete(url) {
			let href = String(url);
			try {
				href = new URL(href).href;
			} catch {}

			await core.invalidate(href);
		},
		clear: async () => clear(),
		list,
	};
	return { clear, handle };
};
