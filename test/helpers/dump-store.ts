import type { KeyValueStore } from '../../src/entries/index.js';

/** Everything a store holds, as one string (what a dump of IndexedDB would show): each key, then its value as JSON, bytes as text. */
export const dumpStore = async (store: KeyValueStore): Promise<string> => {
	const parts: string[] = [];
	for (const key of await store.keys()) {
		const value = await store.get(key);
		parts.push(key, JSON.stringify(value, (_name, item: unknown) => item instanceof ArrayBuffer ? new TextDecoder().decode(item) : item));
	}

	return parts.join('\n');
};
