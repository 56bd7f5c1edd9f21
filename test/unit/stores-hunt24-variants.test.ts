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
	const until = async (condition: () => boolean): Promise<void> => {
		while (!condition()) {
			await new Promise((resolve) => setTimeout(resolve, 1));
		}
	};

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
