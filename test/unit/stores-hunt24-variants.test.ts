/**
 * Defect hunt, twenty-fourth round: the stores (API.md "Stores"). `cacheApiStore` runs over an in-memory Cache API
 * (test/helpers/fake-caches.ts). Each test names the claim it holds the code to.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheApiStore, memoryStore } from '../../src/entries/index.js';
import { fakeCaches } from '../helpers/fake-caches.js';

let fake: ReturnType<typeof fakeCaches>;
beforeEach(() => {
	fake = fakeCaches({ holds: 'index' });
	(globalThis as { caches?: unknown }).caches = fake.caches;
});

afterEach(() => {
	delete (globalThis as { caches?: unknown }).caches;
});

const until = async (condition: () => boolean): Promise<void> => {
	while (!condition()) {
		await new Promise((resolve) => setTimeout(resolve, 1));
	}
};

describe('cacheApiStore: every kind of binary view reads back as the kind stored, as a structured clone (memoryStore) keeps it', () => {
	const views = () => ({
		f64: new Float64Array([1.5, -2]),
		i16: new Int16Array([-1, 300]),
		clamped: new Uint8ClampedArray([255]),
		big: new BigInt64Array([-5n]),
		view: new DataView(new Uint8Array([1, 2, 3, 4]).buffer, 1, 2),
		bytes: new Uint8Array([9]),
		buffer: new Uint8Array([7, 7]).buffer,
	});
	for (const [label, factory] of [['memoryStore', memoryStore], ['cacheApiStore', cacheApiStore]] as const) {
		it(`${label}: Float64Array, Int16Array, Uint8ClampedArray, BigInt64Array, DataView, Uint8Array and ArrayBuffer`, async () => {
			const store = factory('views');
			await store.set('v', views());
			const read = await store.get<ReturnType<typeof views>>('v');
			// Before (cacheApiStore): each view but the Uint8Array read back as a Uint8Array of its bytes (f64: 16 bytes).
			const kinds = Object.fromEntries(Object.entries(read!).map(([name, value]) => [name, Object.prototype.toString.call(value).slice(8, -1)]));
			expect(kinds).toEqual({ f64: 'Float64Array', i16: 'Int16Array', clamped: 'Uint8ClampedArray', big: 'BigInt64Array', view: 'DataView', bytes: 'Uint8Array', buffer: 'ArrayBuffer' });
			expect([...read!.f64]).toEqual([1.5, -2]);
			expect([...read!.i16]).toEqual([-1, 300]);
			expect([...read!.big]).toEqual([-5n]);
			expect([read!.view.byteLength, read!.view.getUint8(0), read!.view.getUint8(1)]).toEqual([2, 2, 3]);
		});
	}
});

describe('cacheApiStore: a stored view kind is distrusted', () => {
	it('a length that is no whole number of elements reads as null, an unknown kind as the bytes (a Uint8Array), never a constructor of another kind', async () => {
		const text = new TextEncoder().encode('{"odd":{"$bin":[0,3],"$view":"Float64Array"},"fn":{"$bin":[0,3],"$view":"Function"},"old":{"$bin":[0,3],"$view":true}}');
		const headers = new Headers({ 'content-type': 'application/vnd.steadfetch.framed', 'x-steadfetch-json-bytes': String(text.byteLength) });
		fake.entries.set('https://steadfetch.invalid/planted/v', [new Uint8Array([...text, 1, 2, 3]).buffer, headers]);
		expect(await cacheApiStore('planted').get('v')).toEqual({ odd: null, fn: new Uint8Array([1, 2, 3]), old: new Uint8Array([1, 2, 3]) });
	});
});

describe('cacheApiStore: a new key whose index write the Cache API refuses (its quota) is not listed, whichever index write lands', () => {
	/** The cache's `put` of the key index refused with a QuotaExceededError once `refuse` is set (after `gate`, when given). */
	const refusing = async () => {
		const cache = await fake.caches.open();
		const put = cache.put.bind(cache);
		const state = { refuse: false, reached: false, gate: undefined as Promise<void> | undefined };
		cache.put = async (url: string, response: Response) => {
			if (state.refuse && url.endsWith('/%00index')) {
				state.refuse = false;
				state.reached = true;
				await state.gate;
				throw new DOMException('Quota exceeded', 'QuotaExceededError');
			}

			return put(url, response);
		};

		return state;
	};

	it('its first index write landed (late: written again), the second refused: the key is not listed, a key set meanwhile is', async () => {
		const state = await refusing();
		const store = cacheApiStore('quota-second');
		fake.hold();
		const a = store.set('a', 1); // its index write ([a]) held
		await until(() => fake.holding === 1);
		await store.set('b', 2); // [a, b] lands
		state.refuse = true;
		fake.release(); // [a] lands last: written again, and that write is refused
		expect(await a.then(() => 'stored', (error: unknown) => (error as Error).name)).toBe('QuotaExceededError');
		// Before: ['a']: a listed key whose value was deleted (and b, whose set resolved, not listed).
		expect((await cacheApiStore('quota-second').keys()).sort()).toEqual(['b']);
		expect([await store.get('a'), await store.get('b')]).toEqual([undefined, 2]);
	});

	it('its index write refused while another write that lists it is under way: that write, landing last, does not list it', async () => {
		const state = await refusing();
		let open = () => {};
		state.gate = new Promise<void>((resolve) => {
			open = resolve;
		});
		state.refuse = true;
		const store = cacheApiStore('quota-merged');
		const a = store.set('a', 1); // its index write reaches the cache, refused once the gate opens
		await until(() => state.reached);
		fake.hold();
		const b = store.set('b', 2); // its index write ([a, b]: a's change merged) held
		await until(() => fake.holding === 1);
		open();
		expect(await a.then(() => 'stored', (error: unknown) => (error as Error).name)).toBe('QuotaExceededError');
		fake.release();
		await b;
		// Before: ['a', 'b']: b's write, which merged a's change before a's write failed, listed a with no value.
		expect((await cacheApiStore('quota-merged').keys()).sort()).toEqual(['b']);
		expect(await store.get('a')).toBeUndefined();
	});
});

describe('cacheApiStore: adding a key costs the same however many keys there are', () => {
	/** The cache's index bytes written and reads made, counted from `reset()`. */
	const counting = async () => {
		const cache = await fake.caches.open();
		const put = cache.put.bind(cache);
		const match = cache.match.bind(cache);
		const count = { indexBytes: 0, reads: 0 };
		cache.put = async (url: string, response: Response) => {
			if (url.includes('%00index')) {
				count.indexBytes += (await response.clone().arrayBuffer()).byteLength;
			}

			return put(url, response);
		};

		cache.match = async (url: string) => {
			count.reads++;
			return match(url);
		};

		return count;
	};

	const key = (n: number): string => `k${String(n).padStart(5, '0')}`;

	it('the index bytes written and the reads made by 10 new keys are as many with 990 keys stored as with 90', async () => {
		const count = await counting();
		const store = cacheApiStore('many');
		const add = async (from: number, to: number): Promise<[number, number]> => {
			count.indexBytes = 0;
			count.reads = 0;
			for (let n = from; n < to; n++) {
				await store.set(key(n), n);
			}

			return [count.indexBytes, count.reads];
		};

		await add(0, 90);
		const [early, earlyReads] = await add(90, 100);
		await add(100, 990);
		const [late, lateReads] = await add(990, 1000);
		// Before: 89 605 index bytes for the last 10 keys against 8 605 for keys 90 to 99: the whole index written at each new key.
		expect(late).toBeLessThanOrEqual(early * 1.5);
		expect(lateReads).toBeLessThanOrEqual(earlyReads + 2);
		const all = Array.from({ length: 1000 }, (_, n) => key(n));
		expect((await store.keys()).sort()).toEqual(all);
		expect((await cacheApiStore('many').keys()).sort()).toEqual(all); // another isolate reads every segment
		expect(await cacheApiStore('many').get(key(999))).toBe(999);
	});

	it('an index stored whole (the format before) is read, and changed, as the first segment', async () => {
		const legacy = Array.from({ length: 300 }, (_, n) => key(n));
		const url = (name: string) => `https://steadfetch.invalid/legacy/${encodeURIComponent(name)}`;
		fake.entries.set(url('\u0000index'), [new TextEncoder().encode(JSON.stringify(legacy)).buffer, new Headers()]);
		for (const name of legacy) {
			fake.entries.set(url(name), [new TextEncoder().encode('1').buffer, new Headers()]);
		}

		const store = cacheApiStore('legacy');
		expect((await store.keys()).length).toBe(300);
		await store.set(key(5), 'again'); // listed already: stays listed once
		await store.set('new', 2);
		await store.delete(key(7));
		const count = await counting();
		await store.set('newer', 3);
		// Before: 2 706 bytes (the 300 keys listed, written again); now the new key goes to a segment of its own.
		expect(count.indexBytes).toBeLessThan(100);
		const expected = [...legacy.filter((name) => name !== key(7)), 'new', 'newer'].sort();
		const other = cacheApiStore('legacy');
		expect((await other.keys()).sort()).toEqual(expected);
		await other.delete('new');
		await other.delete(key(8));
		expect((await cacheApiStore('legacy').keys()).sort()).toEqual(expected.filter((name) => name !== 'new' && name !== key(8)));
		expect(await store.get(key(5))).toBe('again');
	});

	it('clear() over many segments leaves none listed, and keys added after are listed', async () => {
		const store = cacheApiStore('many-clear');
		for (let n = 0; n < 300; n++) {
			await store.set(key(n), n);
		}

		await store.clear();
		expect(await cacheApiStore('many-clear').keys()).toEqual([]);
		expect(await store.get(key(299))).toBeUndefined();
		await store.set('after', 1);
		expect(await cacheApiStore('many-clear').keys()).toEqual(['after']);
	});
});

describe('cacheApiStore: delete() of a listed key whose value is gone', () => {
	it('a key listed in a later segment, its value evicted, is no longer listed once deleted', async () => {
		const store = cacheApiStore('phantom');
		for (let n = 0; n < 200; n++) {
			await store.set(`k${n}`, n);
		}

		fake.entries.delete('https://steadfetch.invalid/phantom/k150'); // evicted (the Cache API may evict at any time)
		await cacheApiStore('phantom').delete('k150');
		const keys = await cacheApiStore('phantom').keys();
		expect([keys.length, keys.includes('k150')]).toEqual([199, false]);
	});
});

describe('cacheApiStore: every number reads back as the number stored, as a structured clone (memoryStore) keeps it', () => {
	for (const [label, factory] of [['memoryStore', memoryStore], ['cacheApiStore', cacheApiStore]] as const) {
		it(`${label}: NaN, Infinity, -Infinity and -0, in objects and arrays, beside an app object shaped like the marker`, async () => {
			const store = factory('numbers');
			const value = { nan: Number.NaN, inf: Number.POSITIVE_INFINITY, ninf: Number.NEGATIVE_INFINITY, nzero: -0, list: [Number.NaN, -0, 1], app: { $num: 'NaN', $$num: '-0' } };
			await store.set('v', value);
			await store.set('top', Number.NEGATIVE_INFINITY);
			// Before (cacheApiStore): { nan: null, inf: null, ninf: null, nzero: 0, list: [null, 0, 1], … } and top null (JSON's numbers).
			const read = await store.get<typeof value>('v');
			expect(read).toEqual(value);
			expect([Object.is(read!.nzero, -0), Object.is(read!.list[1], -0), await store.get('top')]).toEqual([true, true, Number.NEGATIVE_INFINITY]);
		});
	}
});

describe('cacheApiStore: clear() beside a set() of the same isolate', () => {
	/** The fake Cache API (listing its entries, as a browser's does) with its `keys()` answered by `keys`. */
	const gatedListing = async (keys: (list: () => Promise<Request[]>) => Promise<Request[]>): Promise<void> => {
		fake = fakeCaches({ holds: 'index', listing: true });
		(globalThis as { caches?: unknown }).caches = fake.caches;
		const cache = await fake.caches.open() as unknown as { keys: () => Promise<Request[]> };
		const list = cache.keys.bind(cache);
		cache.keys = async () => keys(list);
	};

	it('where the Cache API lists its entries: a key set while clear() lists them is gone whole or kept whole, never listed with no value', async () => {
		let open = () => {};
		let listing = false;
		await gatedListing(async (list) => {
			listing = true;
			await new Promise<void>((resolve) => {
				open = resolve;
			});
			return list();
		});

		const store = cacheApiStore('clear-beside');
		await store.set('a', 1);
		const cleared = store.clear();
		await until(() => listing);
		await store.set('k', 2); // set while clear() waits for the Cache API's listing
		open();
		await cleared;
		const keys = await cacheApiStore('clear-beside').keys();
		// Before: ['k'] with get('k') undefined: its value went with the listing, its key was merged into clear's index write.
		expect({ keys, k: await store.get('k') }).toEqual(keys.length ? { keys: ['k'], k: 2 } : { keys: [], k: undefined });
	});
	it('a key whose value landed after the Cache API listed its entries, its key noted before clear() read the index, is gone whole', async () => {
		let open = () => {};
		let listed = false;
		await gatedListing(async (list) => {
			const entries = await list(); // listed before k's value lands
			listed = true;
			await new Promise<void>((resolve) => {
				open = resolve;
			});
			return entries;
		});

		const store = cacheApiStore('clear-after-listing');
		await store.set('a', 1);
		const cleared = store.clear();
		await until(() => listed);
		await store.set('k', 2);
		open();
		await cleared;
		const keys = await cacheApiStore('clear-after-listing').keys();
		// Without each listed key's value deleted too: keys [] and get('k') 2, a value no keys() lists.
		expect({ keys, k: await store.get('k') }).toEqual(keys.length ? { keys: ['k'], k: 2 } : { keys: [], k: undefined });
	});
});

describe('cacheApiStore: a key set twice while its first index write is under way is listed in one segment only', () => {
	it('the second set() goes to the segment the first noted, not the last one: a delete() then leaves it listed nowhere', async () => {
		const store = cacheApiStore('twice');
		for (let n = 0; n < 127; n++) {
			await store.set(`a${n}`, n);
		}

		fake.hold();
		const first = store.set('k', 1); // to the first segment (127 keys), its index write held
		await until(() => fake.holding === 1);
		await cacheApiStore('twice').set('b', 0); // another isolate fills the first segment (128 keys)
		await store.set('z', 0); // this isolate's new keys now go to the second segment
		await store.set('k', 2); // k's value names the first, which does not list it yet
		fake.release();
		await first;
		await store.delete('k');
		// Before: k listed by the first segment (its held write) and the second (the second set): the delete removed it from
		// the second only, and keys() listed k with no value.
		expect((await cacheApiStore('twice').keys()).includes('k')).toBe(false);
	});
});
