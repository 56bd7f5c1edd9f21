/**
 * A Cache API in memory (`caches.open` gives one cache for every name), for `cacheApiStore` in Node: `hold()` keeps
 * the next `put` of the kind asked (`holds`: `'index'`, a segment of the store's key index; `'copy'`, any other value) from
 * landing until `release()`, as a large put lands after a delete made later (the Cache API keeps no order between
 * them). With `listing`, the cache lists its entries as a browser's does (workerd's and Deno's do not).
 */
export const fakeCaches = ({ holds, listing = false }: { readonly holds: 'index' | 'copy'; readonly listing?: boolean }) => {
	const entries = new Map<string, [ArrayBuffer, Headers]>();
	const held: Array<() => void> = [];
	let holdNext = false;
	const cache = {
		async match(url: string) {
			const entry = entries.get(url);
			return entry && new Response(entry[0], { headers: entry[1] });
		},
		async put(url: string, response: Response) {
			const bytes = await response.arrayBuffer();
			if (holdNext && /%00index(\/\d+)?$/.test(url) === (holds === 'index')) {
				holdNext = false;
				await new Promise<void>((resolve) => {
					held.push(resolve);
				});
			}

			entries.set(url, [bytes, response.headers]);
		},
		async delete(url: string | Request) {
			return entries.delete(typeof url === 'string' ? url : url.url);
		},
		...listing ? { keys: async () => [...entries.keys()].map((url) => new Request(url)) } : {},
	};
	return {
		caches: { open: async () => cache },
		/** The URLs and values it holds. */
		entries,
		hold() {
			holdNext = true;
		},
		/** Let the held put land now. */
		release: () => held.shift()?.(),
		get holding() {
			return held.length;
		},
	};
};
