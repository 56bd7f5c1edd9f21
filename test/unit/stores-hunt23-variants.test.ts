/**
 * Defect hunt, twenty-third round: the stores (API.md "Stores"; "Sensitive data": "Records read from storage … are
 * validated before use: a malformed record is ignored and reported as `storage:error`"). `cacheApiStore` runs over
 * an in-memory Cache API (test/helpers/fake-caches.ts). Each test names the claim it holds the code to.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { denoKvStore, type DenoKvLike } from '../../src/entries/deno.js';
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

/** Where `cacheApiStore(namespace)` keeps `key` (src/stores/cache-api.ts `urlOf`). */
const urlOf = (namespace: string, key: string): string => `https://steadfetch.invalid/${encodeURIComponent(namespace)}/${encodeURIComponent(key)}`;

/** Plant a record as the store writes it now (framed: JSON, then raw bytes) or wrote it before (plain JSON). */
const plant = (namespace: string, key: string, json: string, bytes?: number[]): void => {
	const text = new TextEncoder().encode(json);
	const all = new Uint8Array([...text, ...bytes ?? []]);
	const headers = new Headers(bytes ? { 'content-type': 'application/vnd.steadfetch.framed', 'x-steadfetch-json-bytes': String(text.byteLength) } : {});
	fake.entries.set(urlOf(namespace, key), [all.buffer, headers]);
};

describe('cacheApiStore: an app value shaped like the store\'s own binary marker reads back as it was written', () => {
	it('{ $bin: [...] } and its neighbours round-trip as plain objects, beside real bytes', async () => {
		const store = cacheApiStore('marker');
		const value = {
			empty: { $bin: [0, 0] },
			inRange: { $bin: [0, 2], $view: true },
			outOfRange: { $bin: [5, 5] },
			text: { $bin: 'not a pair' },
			escaped: { $$bin: [0, 1], $$$bin: 1, $bytes: 'AAE=' },
			list: [{ $bin: [0, 1] }],
			bytes: new Uint8Array([7, 8, 9]),
		};
		await store.set('v', value);
		// Before: empty read as an ArrayBuffer of 0 bytes, inRange as the Uint8Array [7, 8], outOfRange and list[0] as null.
		const read = await store.get<typeof value>('v');
		expect(read).toEqual({ ...value, bytes: new Uint8Array([7, 8, 9]) });
		expect(read?.bytes).toBeInstanceOf(Uint8Array);
	});

	it('neighbours: an own __proto__ or constructor key (from JSON.parse) stays a field, its marker-named keys escaped too', async () => {
		const store = cacheApiStore('marker-proto');
		const value = JSON.parse('{"__proto__":{"$bin":[0,0],"polluted":true},"constructor":{"$bin":[0,0]},"n":1}') as Record<string, unknown>;
		await store.set('v', value);
		const read = await store.get<Record<string, unknown>>('v');
		expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
		expect(Object.hasOwn(read!, '__proto__')).toBe(true);
		expect(read).toEqual(value);
		expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
	});

	it('a record written by the format before (a marker, no escape) still reads its bytes', async () => {
		plant('marker-old', 'v', '{"a":{"$bin":[0,3],"$view":true},"b":{"$bin":[1,2],"$view":false},"c":1}', [1, 2, 3]);
		const read = await cacheApiStore('marker-old').get<{ a: Uint8Array; b: ArrayBuffer; c: number }>('v');
		expect([...read!.a]).toEqual([1, 2, 3]);
		expect(read!.b).toBeInstanceOf(ArrayBuffer);
		expect([...new Uint8Array(read!.b)]).toEqual([2, 3]);
		expect(read!.c).toBe(1);
	});

	it('a record written by the format before, of an app object whose $bin is no pair, reads as it was written', async () => {
		plant('marker-old', 'odd', '{"a":{"$bin":5},"b":{"$bin":{}},"c":{"$bin":true},"d":{"$bin":"ab"}}', []);
		// Before: get rejected with a TypeError ("… is not iterable").
		const read = await cacheApiStore('marker-old').get('odd').catch((error: unknown) => `${String(error)}`);
		expect(read).toEqual({ a: { $bin: 5 }, b: { $bin: {} }, c: { $bin: true }, d: { $bin: 'ab' } });
	});
});

describe('cacheApiStore: a stored record that is not valid is read defensively, never a DOMException', () => {
	it('a record of the format before with a $bytes that is not base64 reads with null there, as a $bin outside the bytes does', async () => {
		plant('bad-base64', 'v', '{"body":{"$bytes":"%%%not base64"},"ok":{"$bytes":"AQI=","$view":true},"url":"/x"}');
		plant('bad-base64', 'out', '{"body":{"$bin":[0,9]}}', []);
		const store = cacheApiStore('bad-base64');
		// Before: get rejected with a DOMException (InvalidCharacterError, from atob), where a $bin outside the bytes reads as null.
		const read = await store.get<{ body: unknown; ok: Uint8Array; url: string }>('v').catch((error: unknown) => `${(error as Error).name}`);
		expect(read).toEqual({ body: null, ok: new Uint8Array([1, 2]), url: '/x' });
		expect(await store.get('out')).toEqual({ body: null });
	});
});

describe('cacheApiStore: a malformed key index never leaves the store unusable', () => {
	const framed = (jsonBytes: string) => new Headers({ 'content-type': 'application/vnd.steadfetch.framed', 'x-steadfetch-json-bytes': jsonBytes });
	for (const [label, text, headers] of [['JSON that does not parse', '{"not json', new Headers()], ['a JSON length beyond its bytes', '["a"]', framed('99')], ['a JSON length that is no number', '["a"]', framed('x')]] as const) {
		it(`an index of ${label}: set, keys and clear go on (the index is written anew), the values stay readable`, async () => {
			plant('bad-index', 'kept', '{"v":1}');
			fake.entries.set(urlOf('bad-index', '\u0000index'), [new TextEncoder().encode(text).buffer, headers]);
			const store = cacheApiStore('bad-index');
			const outcome = async (work: Promise<unknown>) => work.then((value) => value ?? 'ok', (error: unknown) => (error as Error).name);
			// Before: SyntaxError / TypeError for each of set, keys and clear, for good: even clear() could not remove the index.
			expect(await outcome(store.set('a', 1))).toBe('ok');
			expect(await outcome(store.keys())).toEqual(['a']);
			expect(await cacheApiStore('bad-index').keys()).toEqual(['a']); // written anew: another isolate reads it
			expect(await store.get('kept')).toEqual({ v: 1 });
			expect(await outcome(store.clear())).toBe('ok');
			expect(await store.get('a')).toBeUndefined();
		});
	}
});

describe('cacheApiStore: every key is the app\'s, also one named as the store\'s own key index', () => {
	it('"\\u0000index" and its neighbours are stored as values: the index (the other keys) stays', async () => {
		const store = cacheApiStore('index-key');
		await store.set('a', 1);
		await store.set('\u0000index', 'mine');
		await store.set('\u0000\u0000index', 'mine too');
		// Before: '\u0000index' read back as the index (['a', '\u0000index', …]), and its write dropped 'a' from the stored index.
		expect(await store.get('\u0000index')).toBe('mine');
		expect(await store.get('\u0000\u0000index')).toBe('mine too');
		expect(await store.get('a')).toBe(1);
		const all = ['\u0000\u0000index', '\u0000index', 'a'];
		expect((await store.keys()).sort()).toEqual(all);
		expect((await cacheApiStore('index-key').keys()).sort()).toEqual(all);
		await store.delete('\u0000index');
		expect((await cacheApiStore('index-key').keys()).sort()).toEqual(['\u0000\u0000index', 'a']);
	});
});

describe('a stored undefined reads back as undefined in every store, as IndexedDB keeps it', () => {
	for (const [label, factory] of [['cacheApiStore', cacheApiStore], ['memoryStore', memoryStore]] as const) {
		it(`${label}: set(key, undefined) then get(key) answers undefined, the key listed`, async () => {
			const store = factory('undefined-value');
			await store.set('u', undefined);
			// Before (cacheApiStore): get rejected with a SyntaxError (an empty JSON text).
			expect(await store.get('u').catch((error: unknown) => (error as Error).name)).toBeUndefined();
			expect(await store.keys()).toEqual(['u']);
		});
	}
});

describe('memoryStore span(prefix) counts the keys keys() lists with the prefix, whatever the prefix', () => {
	it('an empty prefix (every key) and one ending in \\uffff (no next string of its length)', async () => {
		const store = memoryStore('span-edges');
		const keys = ['a', 'a\uffff', 'a\uffff\uffff', 'a\uffffz', 'b', '\uffff', '\uffff\u0000'];
		for (const key of keys) {
			await store.set(key, 1);
		}

		const prefixes = ['', 'a\uffff', 'a\uffff\uffff', '\uffff', 'a', 'b'];
		const spans = await Promise.all(prefixes.map(async (prefix) => store.span!(prefix)));
		const listed = prefixes.map((prefix) => {
			const matching = keys.filter((key) => key.startsWith(prefix)).sort();
			return { count: matching.length, last: matching.at(-1) };
		});
		expect(spans).toEqual(listed);
	});
});

/** A Deno KV in memory (what `denoKvStore` uses of one): keys compared as Deno compares them within one type, in order. */
const fakeKv = () => {
	type Key = ReadonlyArray<string | number>;
	const entries = new Map<string, [Key, unknown]>();
	const id = (key: Key): string => JSON.stringify(key);
	const kv = {
		async get(key: Key) {
			const entry = entries.get(id(key));
			return { key, value: entry ? entry[1] : null, versionstamp: entry ? '1' : null };
		},
		async set(key: Key, value: unknown) {
			entries.set(id(key), [key, value]);
			return { ok: true };
		},
		async delete(key: Key) {
			entries.delete(id(key));
		},
		async *list({ prefix }: { prefix: Key }) {
			for (const [key] of [...entries.values()].sort(([a], [b]) => id(a) < id(b) ? -1 : 1)) {
				if (prefix.every((part, index) => key[index] === part)) {
					yield { key };
				}
			}
		},
		atomic: () => {
			throw new Error('not used by the store');
		},
	};
	return { kv: kv as unknown as DenoKvLike, entries };
};

describe('denoKvStore: only its own keys, and what was stored', () => {
	it('another program\'s entry under the namespace (a number key, a longer key) is not listed as one of ours; clear() removes it as IndexedDB\'s clear does', async () => {
		const { kv, entries } = fakeKv();
		const store = denoKvStore(kv)('ns');
		await store.set('a', 1);
		await kv.set(['steadfetch', 'ns', 5], 'theirs');
		await kv.set(['steadfetch', 'ns', 'a', 'deeper'], 'theirs');
		await kv.set(['steadfetch', 'other', 'b'], 'another namespace');
		// Before: ['a', 'a', '5'] (String() of each third key part): '5' is no key get() reaches, 'a' twice.
		expect(await store.keys()).toEqual(['a']);
		await store.clear();
		// Before: ['steadfetch', 'ns', 5] and ['steadfetch', 'ns', 'a', 'deeper'] were left (clear deleted ['steadfetch', 'ns', '5']).
		expect([...entries.values()].map(([key]) => key)).toEqual([['steadfetch', 'other', 'b']]);
	});

	it('a stored null reads back as null, as in every other store; a missing key as undefined', async () => {
		const store = denoKvStore(fakeKv().kv)('ns');
		await store.set('n', null);
		// Before: undefined (`value ?? undefined`: a stored null read as a missing key).
		expect(await store.get('n')).toBeNull();
		expect(await store.get('missing')).toBeUndefined();
		const memory = memoryStore('null-value');
		await memory.set('n', null);
		expect(await memory.get('n')).toBeNull();
	});
});

describe('cacheApiStore: a value JSON cannot keep is refused (a TypeError), never stored as something else', () => {
	for (const [label, value] of [
		['a Date', new Date(0)],
		['a Map in an object', { at: new Map([['a', 1]]) }],
		['a Set in an array', [new Set([1])]],
		['a function in an object', { run: () => 1 }],
		['a Blob', new Blob(['x'])],
	] as const) {
		it(`${label}: set rejects with a TypeError, and what was stored stays`, async () => {
			const store = cacheApiStore('not-json');
			await store.set('k', 'before');
			// Before: set resolved, and get answered {} (the Date, the Blob), { at: {} }, [{}] or {} (the function dropped).
			expect(await store.set('k', value).then(() => 'stored', (error: unknown) => (error as Error).name)).toBe('TypeError');
			expect(await store.get('k')).toBe('before');
			expect(await store.keys()).toEqual(['k']);
		});
	}

	it('neighbours: plain data, an object of no prototype, bytes, and a class instance (its fields, as a structured clone keeps it) are stored', async () => {
		class Point {
			x = 1;
		}

		const store = cacheApiStore('plain');
		const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
		await store.set('k', { bare, list: [1, 'x', null, true], nested: { n: 1.5 }, bytes: new Uint8Array([1]), buffer: new ArrayBuffer(2), point: new Point() });
		expect(await store.get('k')).toEqual({ bare: { a: 1 }, list: [1, 'x', null, true], nested: { n: 1.5 }, bytes: new Uint8Array([1]), buffer: new ArrayBuffer(2), point: { x: 1 } });
		expect(structuredClone(new Point())).toEqual({ x: 1 });
	});
});

describe('memoryStore: a write it refuses changes nothing', () => {
	it('a value no structured clone takes (a function) rejects, and span() does not count its key', async () => {
		const store = memoryStore('refused-write');
		await store.set('p|1', 1);
		expect(await store.span!('p|')).toEqual({ count: 1, last: 'p|1' }); // keys kept in order from here on
		const refused = await store.set('p|2', { run: () => 1 }).then(() => 'stored', (error: unknown) => (error as Error).name);
		expect(refused).toBe('DataCloneError');
		expect(await store.keys()).toEqual(['p|1']);
		// Before: { count: 2, last: 'p|2' }: the key was put in the sorted keys before the copy threw.
		expect(await store.span!('p|')).toEqual({ count: 1, last: 'p|1' });
	});
});

describe('cacheApiStore: a new key whose index write the Cache API refuses (its quota) is not stored', () => {
	const until = async (condition: () => boolean): Promise<void> => {
		while (!condition()) {
			await new Promise((resolve) => setTimeout(resolve, 1));
		}
	};

	it('set rejects with the QuotaExceededError, its value goes, and no later index write (of a change under way meanwhile) lists it', async () => {
		const cache = await fake.caches.open();
		const put = cache.put.bind(cache);
		let refuseIndex = false;
		cache.put = async (url: string, response: Response) => {
			if (refuseIndex && url.endsWith('/%00index')) {
				refuseIndex = false;
				throw new DOMException('Quota exceeded', 'QuotaExceededError');
			}

			return put(url, response);
		};

		const store = cacheApiStore('quota');
		fake.hold();
		const b = store.set('b', 2); // its index write held: a change under way
		await until(() => fake.holding === 1);
		refuseIndex = true;
		expect(await store.set('a', 1).then(() => 'stored', (error: unknown) => (error as Error).name)).toBe('QuotaExceededError');
		await store.set('c', 3);
		fake.release();
		await b;
		// Before: ['a', 'b', 'c'] and get('a') answered 1: a write its caller was told failed (an outbox entry refused for the quota) was listed.
		expect((await cacheApiStore('quota').keys()).sort()).toEqual(['b', 'c']);
		expect(await store.get('a')).toBeUndefined();
	});
});
