/** Conformance of a KeyValueStore: run against each store in the runtime that really has it. */
import { deepEqual, equal, ok, rejects } from './assert.js';
import { uid, type ContractCase } from './types.js';
import type { StoreFactory } from '../../src/stores/types.js';

export const storeCases = (label: string, factory: StoreFactory): ContractCase[] => [
	{
		name: `${label}: set/get/delete/keys/clear round-trip structured values and binary data`,
		async run() {
			const store = factory(`conformance-${uid()}`);
			equal(await store.get('missing'), undefined);
			const bytes = new Uint8Array([0, 1, 2, 250, 255]);
			await store.set('a', { v: 1, n: 1.5, s: 'ü', list: [1, 'x', null], nested: { ok: true }, body: bytes.buffer.slice(0), view: bytes });
			await store.set('b', 'plain');
			const value = await store.get<{ v: number; n: number; s: string; list: unknown[]; nested: { ok: boolean }; body: ArrayBuffer; view: Uint8Array }>('a');
			equal(value?.n, 1.5);
			equal(value?.s, 'ü');
			deepEqual(value?.list, [1, 'x', null]);
			ok(value?.body instanceof ArrayBuffer, 'ArrayBuffer survives');
			deepEqual([...new Uint8Array(value!.body)], [0, 1, 2, 250, 255]);
			ok(value?.view instanceof Uint8Array, 'Uint8Array survives');
			equal(value?.view[3], 250);
			deepEqual((await store.keys()).sort(), ['a', 'b']);
			await store.delete('b');
			deepEqual(await store.keys(), ['a']);
			await store.set('a', 'replaced');
			equal(await store.get('a'), 'replaced');
			await store.clear();
			deepEqual(await store.keys(), []);
			equal(await store.get('a'), undefined);
		},
	},
	{
		name: `${label}: a stored object is a copy: later mutation does not change it`,
		async run() {
			const store = factory(`conformance-${uid()}`);
			const record = { count: 1 };
			await store.set('r', record);
			record.count = 2;
			equal((await store.get<{ count: number }>('r'))?.count, 1);
		},
	},
	{
		name: `${label}: namespaces are separate`,
		async run() {
			const a = factory(`conformance-${uid()}`);
			const b = factory(`conformance-${uid()}`);
			await a.set('k', 1);
			equal(await b.get('k'), undefined);
			deepEqual(await b.keys(), []);
		},
	},
	{
		name: `${label}: concurrent writes all land in keys()`,
		async run() {
			const store = factory(`conformance-${uid()}`);
			await Promise.all(Array.from({ length: 20 }, async (_, index) => store.set(`k${index}`, index)));
			equal((await store.keys()).length, 20);
		},
	},
	{
		name: `${label}: concurrent writes and deletes all land in keys()`,
		async run() {
			const store = factory(`conformance-${uid()}`);
			await Promise.all(Array.from({ length: 10 }, async (_, index) => store.set(`old${index}`, index)));
			await Promise.all([
				...Array.from({ length: 5 }, async (_, index) => store.delete(`old${index}`)),
				...Array.from({ length: 5 }, async (_, index) => store.set(`new${index}`, index)),
			]);
			deepEqual((await store.keys()).sort(), ['new0', 'new1', 'new2', 'new3', 'new4', 'old5', 'old6', 'old7', 'old8', 'old9']);
			await Promise.all([store.clear(), store.set('after', 1)]);
			ok(!(await store.keys()).some((key) => key.startsWith('old') || key.startsWith('new')), 'clear() removed every key listed before it');
		},
	},
	{
		name: `${label}: span(prefix), where the store has it, counts the keys with the prefix and names the greatest, as keys() lists them`,
		async run() {
			const store = factory(`conformance-${uid()}`);
			if (!store.span) {
				return; // Optional: the outbox lists this store instead.
			}

			deepEqual(await store.span('p|'), { count: 0, last: undefined });
			for (const key of ['p|2', 'd|9', 'p|10', 'p}', 'p|2|x', 'o|1', 'p', 'p|\u00e9']) {
				await store.set(key, key);
			}

			const expected = (await store.keys()).filter((key) => key.startsWith('p|')).sort();
			deepEqual(expected, ['p|10', 'p|2', 'p|2|x', 'p|\u00e9']);
			deepEqual(await store.span('p|'), { count: 4, last: 'p|\u00e9' });
			await store.delete('p|\u00e9');
			await store.set('p|2', 'again');
			deepEqual(await store.span('p|'), { count: 3, last: 'p|2|x' });
			deepEqual(await store.span('d|'), { count: 1, last: 'd|9' });
			await store.clear();
			deepEqual(await store.span('p|'), { count: 0, last: undefined });
		},
	},
];

/** A store whose runtime feature is missing must reject (never throw synchronously, never at creation). */
export const missingFeatureCase = (label: string, factory: StoreFactory): ContractCase => ({
	name: `${label}: without its runtime feature, creating is free and every call rejects`,
	async run() {
		const store = factory('missing');
		const error = await rejects(store.get('x'));
		ok(error instanceof TypeError, String(error));
		await rejects(store.set('x', 1));
		await rejects(store.keys());
	},
});
