/**
 * Defect hunt, thirty-fifth round (the stale cache and the stores it writes through): a planted or garbled segment of
 * `cacheApiStore`'s key index, work that outlives its caller, cache semantics, storage on a request's path. Each test
 * names its claim.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheApiStore } from '../../src/entries/index.js';
import { fakeCaches } from '../helpers/fake-caches.js';

describe('cacheApiStore: a segment of the key index listing far more keys than a write of the store makes', () => {
	let fake: ReturnType<typeof fakeCaches>;
	beforeEach(() => {
		fake = fakeCaches({ holds: 'index' });
		(globalThis as { caches?: unknown }).caches = fake.caches;
	});

	afterEach(() => {
		delete (globalThis as { caches?: unknown }).caches;
	});

	/** Segment 0 of `namespace`'s index replaced by a list of `count` keys (another program's, or garbled bytes). */
	const plant = (count: number): void => {
		const [url] = [...fake.entries.keys()].filter((each) => /%00index$/.test(each));
		const list = Array.from({ length: count }, (_, n) => `planted-${n}`);
		fake.entries.set(url!, [new TextEncoder().encode(JSON.stringify(list)).buffer as ArrayBuffer, new Headers()]);
	};

	it('is read as none (malformed): keys() lists only what was set after it', async () => {
		const store = cacheApiStore('planted');
		await store.set('first', 1);
		plant(100_000);
		const fresh = cacheApiStore('planted'); // another isolate: it knows no change of the first
		await fresh.set('mine', 2);
		expect((await fresh.keys()).length).toBe(1);
	});

	it('neighbour: a segment listing 512 keys (isolates adding to one segment at once) is read whole', async () => {
		const store = cacheApiStore('raced');
		await store.set('first', 1);
		plant(512);
		const fresh = cacheApiStore('raced');
		await fresh.set('mine', 2);
		expect((await fresh.keys()).length).toBe(513);
	});
});
