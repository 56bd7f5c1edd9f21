/**
 * In real Chromium, on IndexedDB: a copy the store refused, kept in memory by one client, is not
 * served nor written again once another client of the name (another tab's, heard over
 * BroadcastChannel: in a page, clients made apart hear each other as tabs do) cleared the cache.
 */
import { describe, expect, it } from 'vitest';
import { createClient, indexedDbStore, isStale, type KeyValueStore } from '../../src/entries/index.js';

/** `inner`, refusing writes while `down`. */
const refusing = (inner: KeyValueStore): KeyValueStore & { down: boolean } => {
	const store = { ...inner, down: false } as KeyValueStore & { down: boolean };
	store.get = async (key) => inner.get(key);
	store.keys = async () => inner.keys();
	store.delete = async (key) => inner.delete(key);
	store.clear = async () => inner.clear();
	store.set = async (key, value) => {
		if (store.down) {
			throw new DOMException('The quota has been exceeded', 'QuotaExceededError');
		}

		return inner.set(key, value);
	};

	return store;
};

describe('a copy kept in memory vs a clear in another tab (Chromium, IndexedDB)', () => {
	for (const which of ['clear()', 'clear({ identity })', 'cache.clear()'] as const) {
		it(`${which}: the kept copy is neither served nor written again`, async () => {
			const name = `kept-${Math.random().toString(36).slice(2)}`;
			const database = indexedDbStore(`${name}/cache`);
			let up = true;
			const transport = async (input: RequestInfo | URL): Promise<Response> => {
				if (!up) {
					throw new TypeError('Failed to fetch');
				}

				return new Response(JSON.stringify({ url: String((input as Request).url ?? input) }), { headers: { 'content-type': 'application/json', 'cache-control': 'max-age=0' } });
			};

			const options = { name, baseUrl: 'https://api.test/', fetch: transport, retry: 0, breaker: false as const, identity: () => 'alice', storageTimeoutMs: 2000 };
			const store = refusing(indexedDbStore(`${name}/cache`));
			const api = createClient({ ...options, store: () => store });
			const other = createClient({ ...options, store: () => indexedDbStore(`${name}/cache`) });
			store.down = true;
			const refused = new Promise((resolve) => {
				api.on('storage:error', resolve);
			});
			await api.get('doc').text();
			await refused;
			store.down = false;
			await (which === 'clear()' ? other.clear() : which === 'cache.clear()' ? other.cache.clear() : other.clear({ identity: 'alice' }));
			const servedStale = async (client: typeof api): Promise<boolean> => {
				up = false;
				try {
					return isStale(await client.get('doc'));
				} catch {
					return false;
				} finally {
					up = true;
				}
			};

			// Heard over the channel, within a moment.
			await expect.poll(async () => servedStale(api)).toBe(false);
			const stored = new Promise((resolve) => {
				api.on('cache:stored', resolve);
			});
			await api.get('next').text();
			await stored;
			expect((await database.keys()).filter((key) => key.endsWith('/doc'))).toEqual([]);
			api.close();
			other.close();
		});
	}
});
