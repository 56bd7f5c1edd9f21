/**
 * Defect hunt, thirty-sixth round (the stale cache and the stores it writes through): a forged or planted record of
 * `cacheApiStore`, late answers across a clear, sensitive data, storage deadlines. Each test names its claim.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheApiStore } from '../../src/entries/index.js';
import { fakeCaches } from '../helpers/fake-caches.js';

describe('cacheApiStore: a value whose segment header names a segment that does not list its key (forged, garbled)', () => {
	let fake: ReturnType<typeof fakeCaches>;
	beforeEach(() => {
		fake = fakeCaches({ holds: 'index' });
		(globalThis as { caches?: unknown }).caches = fake.caches;
	});

	afterEach(() => {
		delete (globalThis as { caches?: unknown }).caches;
	});

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
