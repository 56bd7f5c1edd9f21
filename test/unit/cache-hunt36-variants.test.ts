/**
 * Defect hunt, thirty-sixth round (the stale cache and the stores it writes through): a forged or planted record of
 * `cacheApiStore`, late answers across a clear, sensitive data, storage deadlines. Each test names its claim.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheApiStore } from '../../src/entries/index.js';
import { fakeCaches } from '../helpers/fake-caches.js';

// Each test over a Cache API of its own (`fakeCaches`, its index's segments held), read and changed by the test through `fake`.
let fake: ReturnType<typeof fakeCaches>;
beforeEach(() => {
	fake = fakeCaches({ holds: 'index' });
	(globalThis as { caches?: unknown }).caches = fake.caches;
});

afterEach(() => {
	delete (globalThis as { caches?: unknown }).caches;
});

describe('cacheApiStore: a value whose segment header names a segment that does not list its key (forged, garbled)', () => {
	/** The stored value of `key` given the segment header `segment`. */
	const forge = (key: string, segment: string): void => {
		const [url] = [...fake.entries.keys()].filter((each) => each.endsWith('/' + key));
		const [bytes, headers] = fake.entries.get(url!)!;
		const forged = new Headers(headers);
		forged.set('x-steadfetch-segment', segment);
		fake.entries.set(url!, [bytes, forged]);
	};

	for (const segment of ['3', '1', '99999999']) {
		it(`delete() unlists it (header ${segment}): keys() no longer lists it`, async () => {
			const store = cacheApiStore(`forged-${segment}`);
			await store.set('a', 1);
			await store.set('b', 2);
			forge('a', segment);
			const fresh = cacheApiStore(`forged-${segment}`); // another isolate: it knows no change of the first
			await fresh.delete('a');
			expect([await fresh.get('a'), (await cacheApiStore(`forged-${segment}`).keys()).sort()]).toEqual([undefined, ['b']]);
		});
	}

	it('neighbour: a value whose header names the segment listing it is unlisted by reading that one segment only', async () => {
		const store = cacheApiStore('forged-none');
		await store.set('a', 1);
		await store.set('b', 2);
		const fresh = cacheApiStore('forged-none');
		await fresh.delete('a');
		expect(await cacheApiStore('forged-none').keys()).toEqual(['b']);
	});
});

describe('cacheApiStore: a segment of the key index under the 512-key bound but far larger than a write of the store makes', () => {
	/** Segment 0 of the index replaced by a list of `count` keys of `chars` characters each (another program's, or garbled). */
	const plant = (count: number, chars: number): void => {
		const [url] = [...fake.entries.keys()].filter((each) => /%00index$/.test(each));
		const list = Array.from({ length: count }, (_, n) => `planted-${n}-`.padEnd(chars, 'x'));
		fake.entries.set(url!, [new TextEncoder().encode(JSON.stringify(list)).buffer as ArrayBuffer, new Headers()]);
	};

	it('is read as none (malformed): keys() lists only what was set after it', async () => {
		const store = cacheApiStore('planted-large');
		await store.set('first', 1);
		plant(200, 100_000); // 20 MB of keys in one segment, 200 keys
		const fresh = cacheApiStore('planted-large');
		await fresh.set('mine', 2);
		expect(await fresh.keys()).toEqual(['mine']);
	});

	it('neighbour: a segment of 512 keys of 500 characters each (isolates adding long keys at once) is read whole', async () => {
		const store = cacheApiStore('planted-long');
		await store.set('first', 1);
		plant(512, 500);
		const fresh = cacheApiStore('planted-long');
		await fresh.set('mine', 2);
		expect((await fresh.keys()).length).toBe(513);
	});

	it('neighbour: one key of 200,000 characters (a segment\'s first may be any length) stays listed', async () => {
		const store = cacheApiStore('long-key');
		const long = 'k'.padEnd(200_000, 'x');
		await store.set(long, 1);
		expect([(await cacheApiStore('long-key').keys()).length, await cacheApiStore('long-key').get(long)]).toEqual([1, 1]);
	});
});
