/**
 * copyPlain (src/utils/copy.ts), the memory store's copy: for every value it must give what
 * structuredClone gives (the store's documented semantics), faster for plain data.
 */
import { describe, expect, it } from 'vitest';
import { copyPlain } from '../../src/utils/copy.js';
import { memoryStore } from '../../src/stores/memory.js';

const cycle: Record<string, unknown> = { name: 'loop' };
cycle['self'] = cycle;
const buffer = new Uint8Array([1, 2, 3, 4, 5, 6]).buffer;
// biome-ignore lint/suspicious/noSparseArray: a hole at index 1 is the case under test
const sparse = [1, , 3];
const deep = Array.from({ length: 50 }).reduce<unknown>((inner) => ({ inner }), 'bottom');

const cases: Array<[string, unknown]> = [
	['a cache record', { v: 1, key: 'k', url: 'https://a.test/x', status: 200, statusText: 'OK', headers: [['content-type', 'application/json']], body: new Uint8Array([123, 125]).buffer, vary: [], storedAt: 1, bytes: 2, who: undefined }],
	['primitives', { s: 'x', n: -0, nan: Number.NaN, inf: Number.POSITIVE_INFINITY, t: true, f: false, z: null, u: undefined, big: 10n }],
	['a whole Uint8Array', new Uint8Array([1, 2, 3])],
	['a view over part of a buffer', new Uint8Array(buffer, 2, 3)],
	['another typed array', new Float64Array([1.5, 2.5])],
	['a Date, a Map, a Set, a RegExp', { when: new Date(5), map: new Map([['a', 1]]), set: new Set([1]), re: /x/gi }],
	['a cycle', cycle],
	['a sparse array', sparse],
	['nesting deeper than the direct copy goes', deep],
	['a null-prototype object', Object.assign(Object.create(null) as object, { a: 1 })],
	['a class instance', new (class Point { x = 1; y = 2; })()],
	['a top-level string', 'just a string'],
	['a symbol key (the clone drops it)', { a: 1, [Symbol('s')]: { b: 2 } }],
	['an own __proto__ key holding an object (JSON.parse makes one)', JSON.parse('{"__proto__": {"polluted": true}, "a": [1]}')],
	['a non-enumerable field (the clone drops it)', Object.defineProperty({ a: 1 }, 'hidden', { value: { b: 2 }, enumerable: false })],
];

describe('copyPlain gives what structuredClone gives', () => {
	it.each(cases)('%s', (_name, value) => {
		const copied = copyPlain(value);
		const cloned = structuredClone(value);
		expect(copied).toStrictEqual(cloned);
		if (typeof value === 'object' && value !== null) {
			expect(copied).not.toBe(value);
		}

		if (ArrayBuffer.isView(value)) {
			const view = copied as ArrayBufferView;
			expect([view.byteOffset, view.buffer.byteLength]).toEqual([value.byteOffset, value.buffer.byteLength]);
		}
	});

	it('keeps a hole a hole, and a cycle a cycle', () => {
		const holes = copyPlain(sparse);
		expect(1 in holes).toBe(false);
		const loop = copyPlain(cycle);
		expect(loop['self']).toBe(loop);
	});

	it('throws DataCloneError for a function or a symbol, as structuredClone does', () => {
		for (const value of [{ f: () => 1 }, [Symbol('s')], () => 1]) {
			expect(() => copyPlain(value)).toThrow(expect.objectContaining({ name: 'DataCloneError' }));
		}
	});

	it('copies own fields only, even with an enumerable field made on Object.prototype', () => {
		const prototype = Object.prototype as Record<string, unknown>;
		prototype['injected'] = { n: 1 };
		try {
			const value = { a: { b: 1 }, c: 'x' };
			const copied = copyPlain(value);
			expect(Object.keys(copied)).toEqual(['a', 'c']);
			expect(copied).toStrictEqual(structuredClone(value));
		} finally {
			delete prototype['injected'];
		}
	});

	it('a getter that throws throws its own error', () => {
		const value = { get bad(): never { throw new RangeError('from the getter'); } };
		expect(() => copyPlain(value)).toThrow(RangeError);
	});
});

describe('memoryStore copies on the way in and out', () => {
	it('mutating what was set, or what get returned, never changes what is stored', async () => {
		const store = memoryStore('copy-test');
		const record = { headers: [['a', '1']], body: new Uint8Array([1, 2]).buffer, meta: { n: 1 } };
		await store.set('k', record);
		record.headers[0]![1] = 'changed';
		record.meta.n = 2;
		new Uint8Array(record.body)[0] = 9;
		const first = await store.get<typeof record>('k');
		expect(first).toStrictEqual({ headers: [['a', '1']], body: new Uint8Array([1, 2]).buffer, meta: { n: 1 } });
		first!.meta.n = 3;
		new Uint8Array(first!.body)[1] = 9;
		expect(await store.get('k')).toStrictEqual({ headers: [['a', '1']], body: new Uint8Array([1, 2]).buffer, meta: { n: 1 } });
	});

	it('a value structuredClone refuses is refused (set rejects with DataCloneError)', async () => {
		const store = memoryStore('copy-test-2');
		await expect(store.set('k', { callback: () => 1 })).rejects.toMatchObject({ name: 'DataCloneError' });
	});
});
