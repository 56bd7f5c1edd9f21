import { serial } from '../shared/serial.js';
import type { KeyValueStore, StoreFactory } from './types.js';

const origin = 'https://steadfetch.invalid/';
const indexKey = '\u0000index';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const toBase64 = (bytes: Uint8Array): string => {
	let binary = '';
	for (let index = 0; index < bytes.length; index += 0x80_00) {
		binary += String.fromCharCode(...bytes.subarray(index, index + 0x80_00));
	}

	return btoa(binary);
};

const fromBase64 = (text: string): Uint8Array => {
	const binary = atob(text);
	const bytes = new Uint8Array(binary.length);
	for (let index = 0; index < binary.length; index++) {
		bytes[index] = binary.charCodeAt(index);
	}

	return bytes;
};

/** JSON with binary data tagged, so ArrayBuffers and typed arrays survive the round trip. */
const encode = (value: unknown): string => JSON.stringify(value, function (this: Record<string, unknown>, key) {
	const raw = this[key];
	if (raw instanceof ArrayBuffer) {
		return { $bytes: toBase64(new Uint8Array(raw)) };
	}

	if (ArrayBuffer.isView(raw)) {
		return { $bytes: toBase64(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)), $view: true };
	}

	return raw as Json;
});

const decode = (text: string): unknown => JSON.parse(text, (_key, value: unknown) => {
	if (typeof value === 'object' && value !== null && typeof (value as { $bytes?: unknown }).$bytes === 'string') {
		const bytes = fromBase64((value as { $bytes: string }).$bytes);
		return (value as { $view?: boolean }).$view ? bytes : bytes.buffer;
	}

	return value;
});

/**
 * A store in the Cache API (Cloudflare Workers, Deno, browsers): one cache per namespace
 * (`steadfetch:<namespace>`), opened on the first operation. Values are kept as JSON with binary
 * data base64-tagged, so `ArrayBuffer` and `Uint8Array` values round-trip. workerd and Deno have no
 * `cache.keys()`, so the store keeps its own key index; writes are serialized within one isolate.
 *
 * In Cloudflare Workers the Cache API is per data center and may evict at any time: treat it as a
 * best-effort store. Map/Set/Date values are not supported (use plain objects and epoch ms).
 */
export const cacheApiStore: StoreFactory = (namespace: string): KeyValueStore => {
	let cachePromise: Promise<Cache> | undefined;
	const queue = serial();
	const open = async (): Promise<Cache> => {
		if (typeof caches === 'undefined') {
			throw new TypeError('The Cache API is not available in this runtime');
		}

		cachePromise ??= caches.open(`steadfetch:${namespace}`);
		return cachePromise;
	};

	const url = (key: string): string => origin + encodeURIComponent(namespace) + '/' + encodeURIComponent(key);
	const read = async (cache: Cache, key: string): Promise<unknown> => {
		const response = await cache.match(url(key));
		return response ? decode(await response.text()) : undefined;
	};

	const write = async (cache: Cache, key: string, value: unknown): Promise<void> => {
		await cache.put(url(key), new Response(encode(value), {
			headers: { 'content-type': 'application/json', 'cache-control': 'max-age=31536000' },
		}));
	};

	const readIndex = async (cache: Cache): Promise<string[]> => {
		const index = await read(cache, indexKey);
		return Array.isArray(index) ? index.filter((key): key is string => typeof key === 'string') : [];
	};

	/** Serialize index updates: read-modify-write of the index must not interleave. */
	const exclusive = async <T>(task: (cache: Cache) => Promise<T>): Promise<T> => queue(async () => task(await open()));

	return {
		async get<T>(key: string) {
			return await read(await open(), key) as T | undefined;
		},
		async set(key, value) {
			await exclusive(async (cache) => {
				await write(cache, key, value);
				const index = await readIndex(cache);
				if (!index.includes(key)) {
					index.push(key);
					await write(cache, indexKey, index);
				}
			});
		},
		async delete(key) {
			await exclusive(async (cache) => {
				await cache.delete(url(key));
				const index = await readIndex(cache);
				const at = index.indexOf(key);
				if (at !== -1) {
					index.splice(at, 1);
					await write(cache, indexKey, index);
				}
			});
		},
		async keys() {
			return readIndex(await open());
		},
		async clear() {
			await exclusive(async (cache) => {
				const index = await readIndex(cache);
				await Promise.all(index.map(async (key) => cache.delete(url(key))));
				await cache.delete(url(indexKey));
			});
		},
	};
};
