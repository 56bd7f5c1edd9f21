/**
 * Defect hunt, twenty-fifth round: the stores (API.md "Stores"). `cacheApiStore` runs over an in-memory Cache API
 * (test/helpers/fake-caches.ts). Each test names the claim it holds the code to.
 */
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cacheApiStore, indexedDbStore, memoryStore } from '../../src/entries/index.js';
import { fakeCaches } from '../helpers/fake-caches.js';

let fake: ReturnType<typeof fakeCaches>;
beforeEach(() => {
	fake = fakeCaches({ holds: 'index' });
	(globalThis as { caches?: unknown }).caches = fake.caches;
});

afterEach(() => {
	delete (globalThis as { caches?: unknown }).caches;
	vi.unstubAllGlobals();
});

const until = async (condition: () => boolean): Promise<void> => {
	while (!condition()) {
		await new Promise((resolve) => setTimeout(resolve, 1));
	}
};

/** The keys segment `n` of a namespace's key index lists, as stored (`undefined`: no such segment). */
const segment = async (namespace: string, n: number): Promise<string[] | undefined> => {
	const entry = fake.entries.get(`https://steadfetch.invalid/${namespace}/%00index${n ? `/${n}` : ''}`);
	return entry && JSON.parse(new TextDecoder().decode(entry[0])) as string[];
};

describe('cacheApiStore: every string is a key, as in memoryStore and IndexedDB', () => {
	const keys = ['\uD800', 'a\uDC00b', '\uDBFF\uDFFF', '\uDC00\uD800', '%ED%A0%80', '\uD83D\uDE00'];
	for (const [label, factory] of [['memoryStore', memoryStore], ['cacheApiStore', cacheApiStore]] as const) {
		it(`${label}: a key holding a lone surrogate is stored, read, listed and deleted, apart from its neighbours`, async () => {
			const store = factory('lone');
			// Before (cacheApiStore): set('\uD800') rejected with a URIError (encodeURIComponent).
			for (const [n, key] of keys.entries()) {
				await store.set(key, n);
			}

			expect(await Promise.all(keys.map(async (key) => store.get(key)))).toEqual([0, 1, 2, 3, 4, 5]);
			expect((await store.keys()).sort()).toEqual([...keys].sort());
			await store.delete('\uD800');
			expect([await store.get('\uD800'), await store.get('%ED%A0%80'), (await store.keys()).length]).toEqual([undefined, 4, 5]);
		});
	}

	it('cacheApiStore: a namespace holding a lone surrogate works too', async () => {
		const store = cacheApiStore('ns\uDFFF');
		await store.set('k', 1);
		expect([await store.get('k'), await store.keys()]).toEqual([1, ['k']]);
	});
});

describe('cacheApiStore: a segment of the key index lost in the middle (the Cache API evicts at will)', () => {
	const fill = async (namespace: string, count: number) => {
		const store = cacheApiStore(namespace);
		for (let n = 0; n < count; n++) {
			await store.set(`k${n}`, n);
		}

		return store;
	};

	it('keys() of another isolate still lists the keys of the segments after it', async () => {
		await fill('lost-middle', 400); // segments 0, 1, 2 (128 keys each) and 3 (16)
		fake.entries.delete('https://steadfetch.invalid/lost-middle/%00index/1');
		const keys = await cacheApiStore('lost-middle').keys();
		// Before: 128 (segment 0 only: the listing stopped at the first missing segment).
		expect(keys.length).toBe(400 - 128);
		expect(keys.includes('k399')).toBe(true);
	});

	it('two segments lost in a row: the later ones are still listed, and clear() removes their values', async () => {
		await fill('lost-two', 600);
		fake.entries.delete('https://steadfetch.invalid/lost-two/%00index/1');
		fake.entries.delete('https://steadfetch.invalid/lost-two/%00index/2');
		const other = cacheApiStore('lost-two');
		expect((await other.keys()).length).toBe(600 - 256);
		await other.clear();
		expect([await other.get('k599'), await other.get('k10'), await cacheApiStore('lost-two').keys()]).toEqual([undefined, undefined, []]);
	});

	it('a delete() of a key of a later segment whose value is gone still unlists it', async () => {
		await fill('lost-delete', 300);
		fake.entries.delete('https://steadfetch.invalid/lost-delete/%00index/1');
		fake.entries.delete('https://steadfetch.invalid/lost-delete/k290');
		await cacheApiStore('lost-delete').delete('k290');
		const keys = await cacheApiStore('lost-delete').keys();
		// Before: 128 keys (segment 0's): the delete did not find k290 (nor keys() the keys after segment 1).
		expect([keys.length, keys.includes('k290')]).toEqual([300 - 128 - 1, false]);
	});
});

describe('cacheApiStore: a segment of the key index lists at most 128 keys, however many set() run at once', () => {
	it('300 new keys set at once by one isolate: each segment lists at most 128, and every key is listed once', async () => {
		const store = cacheApiStore('at-once');
		await Promise.all(Array.from({ length: 300 }, async (_, n) => store.set(`k${n}`, n)));
		const sizes: number[] = [];
		for (let n = 0, list = await segment('at-once', 0); list; list = await segment('at-once', ++n)) {
			sizes.push(list.length);
		}

		// Before: [300]: every set() read the first segment (none stored yet) before any noted its key.
		expect(Math.max(...sizes)).toBeLessThanOrEqual(128);
		expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(300);
		expect((await cacheApiStore('at-once').keys()).length).toBe(300);
	});

	it('a segment with room for a few: keys set at once beyond its room go to the next one', async () => {
		const store = cacheApiStore('room');
		for (let n = 0; n < 120; n++) {
			await store.set(`a${n}`, n);
		}

		await Promise.all(Array.from({ length: 20 }, async (_, n) => store.set(`b${n}`, n)));
		expect([(await segment('room', 0))?.length, (await segment('room', 1))?.length]).toEqual([128, 12]);
	});

	it('a set() whose value the Cache API refuses leaves no room taken and no key listed', async () => {
		const cache = await fake.caches.open();
		const put = cache.put.bind(cache);
		cache.put = async (url: string, response: Response) => {
			if (url.endsWith('/bad')) {
				throw new DOMException('Quota exceeded', 'QuotaExceededError');
			}

			return put(url, response);
		};

		const store = cacheApiStore('refused');
		const results = await Promise.allSettled([store.set('bad', 1), store.set('good', 2)]);
		expect(results.map(({ status }) => status)).toEqual(['rejected', 'fulfilled']);
		expect(await cacheApiStore('refused').keys()).toEqual(['good']);
	});
});

describe('an undefined in a stored value (an array element, an object field) reads back as a structured clone keeps it, in every store', () => {
	const value = () => ({ list: [undefined, 1, undefined], field: undefined, nested: { u: undefined, n: null }, top: [[undefined]], app: { $num: 'undefined', $$num: 'hole' } });
	for (const [label, factory] of [['memoryStore', memoryStore], ['indexedDbStore', indexedDbStore], ['cacheApiStore', cacheApiStore]] as const) {
		it(`${label}: [undefined] stays [undefined] (not [null]), a field holding undefined stays a field`, async () => {
			vi.stubGlobal('indexedDB', new IDBFactory());
			const store = factory('undefined-inside');
			await store.set('v', value());
			await store.set('a', [undefined]);
			const read = await store.get<ReturnType<typeof value>>('v');
			// Before (cacheApiStore): { list: [null, 1, null], nested: { n: null }, top: [[null]] }: JSON's text for them.
			expect(read).toStrictEqual(value());
			expect(['field' in read!, 'u' in read!.nested, 0 in read!.list]).toEqual([true, true, true]);
			expect(await store.get('a')).toStrictEqual([undefined]);
		});

		it(`${label}: a hole in an array stays a hole, beside an undefined element`, async () => {
			vi.stubGlobal('indexedDB', new IDBFactory());
			const store = factory('holes');
			// biome-ignore lint/suspicious/noSparseArray: the hole is what is tested
			await store.set('h', [, undefined, 2]);
			const read = await store.get<unknown[]>('h');
			// Before (cacheApiStore): [null, null, 2].
			expect([read!.length, 0 in read!, 1 in read!, read![1], read![2]]).toEqual([3, false, true, undefined, 2]);
		});
	}
});

describe('cacheApiStore: two isolates changing one segment of the key index at once (the Cache API has no compare-and-set)', () => {
	it('the cost, as documented: one key may go unlisted, its value kept (get finds it) and listed again at its next set()', async () => {
		const first = cacheApiStore('isolates');
		const second = cacheApiStore('isolates');
		fake.hold();
		const a = first.set('a', 1); // read the segment (none), its index write ([a]) held
		await until(() => fake.holding === 1);
		await second.set('b', 2); // read the segment (none), wrote [b]
		fake.release(); // [a] lands over [b]
		await a;
		// The cost: b is not listed (keys() ['a']), and where the Cache API lists no entries (workerd, Deno) clear() leaves its value.
		expect([(await cacheApiStore('isolates').keys()).sort(), await first.get('b')]).toEqual([['a'], 2]);
		await second.set('b', 3); // listed again at its next set(), by any isolate
		expect((await cacheApiStore('isolates').keys()).sort()).toEqual(['a', 'b']);
		await cacheApiStore('isolates').clear();
		expect([await first.get('a'), await first.get('b'), await second.keys()]).toEqual([undefined, undefined, []]);
	});
});

describe('cacheApiStore: clear() called while a set() of the same isolate is writing its value', () => {
	for (const listing of [false, true]) {
		it(`${listing ? 'where the Cache API lists its entries' : 'workerd (no listing)'}: the key is gone whole once both settle, never listed with no value`, async () => {
			fake = fakeCaches({ holds: 'copy', listing });
			(globalThis as { caches?: unknown }).caches = fake.caches;
			const cache = await fake.caches.open();
			const put = cache.put.bind(cache);
			let open = () => {};
			let landed = false;
			cache.put = async (url: string, response: Response) => {
				await put(url, response);
				if (url.endsWith('/k')) {
					landed = true; // the value landed; the set() goes on once the gate opens
					await new Promise<void>((resolve) => {
						open = resolve;
					});
				}
			};

			const store = cacheApiStore('clear-while-set');
			await store.set('a', 1);
			const set = store.set('k', 2);
			await until(() => landed);
			await store.clear();
			open();
			await set;
			const keys = await cacheApiStore('clear-while-set').keys();
			// Before (workerd, with set() noting its key before its value write): keys ['k'] and get('k') undefined.
			expect({ keys, k: await store.get('k'), a: await store.get('a') }).toEqual({ keys: [], k: undefined, a: undefined });
		});
	}
});

describe('a BigInt in a stored value reads back as the BigInt stored, in every store (a structured clone keeps it)', () => {
	for (const [label, factory] of [['memoryStore', memoryStore], ['indexedDbStore', indexedDbStore], ['cacheApiStore', cacheApiStore]] as const) {
		it(`${label}: beyond 2^53, negative, zero, in an array and at the top`, async () => {
			vi.stubGlobal('indexedDB', new IDBFactory());
			const store = factory('bigint');
			const value = { big: 12_345_678_901_234_567_890n, neg: -1n, list: [0n, 1], app: { $num: '5n' } };
			// Before (cacheApiStore): set rejected with a TypeError ("A bigint is not stored in the Cache API").
			await store.set('v', value);
			await store.set('top', -(2n ** 70n));
			expect([await store.get('v'), await store.get('top')]).toEqual([value, -(2n ** 70n)]);
		});
	}
});

describe('cacheApiStore: long keys (a URL of a few KB in a stale copy\'s key) make no index write of megabytes', () => {
	it('40 keys of 5,000 characters: no segment holds more than 64 Ki characters of keys, and every key is listed', async () => {
		const store = cacheApiStore('long');
		const keys = Array.from({ length: 40 }, (_, n) => `k${String(n).padStart(2, '0')}${'x'.repeat(5000)}`);
		for (const key of keys) {
			await store.set(key, 1);
		}

		const sizes: number[] = [];
		for (let n = 0, list = await segment('long', 0); list; list = await segment('long', ++n)) {
			sizes.push(list.join('').length);
		}

		// Before: [200120]: one segment, written whole (200 KB) at each new key.
		expect(Math.max(...sizes)).toBeLessThanOrEqual(65_536);
		expect((await cacheApiStore('long').keys()).sort()).toEqual(keys);
		// One key longer than the bound has a segment of its own.
		await store.set('y'.repeat(70_000), 2);
		expect([await store.get('y'.repeat(70_000)), (await cacheApiStore('long').keys()).length]).toEqual([2, 41]);
	});
});
