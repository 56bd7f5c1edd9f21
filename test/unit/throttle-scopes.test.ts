/**
 * The adaptive throttle's per-scope state is bounded like every other per-scope state (API.md,
 * `steadfetch/throttle`: idle scopes forgotten past 1 000): a client that meets 20 000 new origins
 * keeps the counts of at most `maxScopes` (+ the young generation's) of them, and a forgotten scope
 * comes back with a fresh window. Counted in entries kept, not heap.
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { adaptiveThrottle } from '../../src/entries/throttle.js';
import type { PolicyContext } from '../../src/core/policy.js';
import { Counts } from '../../src/throttle/counts.js';
import { maxScopes } from '../../src/utils/scopes.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeOrigin } from './breaker-kit.js';

describe('the throttle forgets idle scopes', () => {
	it('keeps the counts of at most maxScopes of 20 000 scopes; the most recent are kept', () => {
		const clock = new ManualClock();
		const counts = new Counts({ clock, name: 'steadfetch' } as unknown as PolicyContext, 120_000, undefined);
		const total = 20_000;
		for (let index = 0; index < total; index++) {
			counts.count(counts.scope(`https://o${index}.test`), true);
		}

		let kept = 0;
		for (let index = 0; index < total; index++) {
			kept += Number(counts.get(`https://o${index}.test`) !== undefined);
		}

		expect(kept).toBeGreaterThanOrEqual(maxScopes / 2);
		expect(kept).toBeLessThanOrEqual(maxScopes);
		expect(counts.get(`https://o${total - 1}.test`)).toBeDefined();
		expect(counts.get('https://o0.test')).toBeUndefined();
	});

	it('a client past maxScopes: a forgotten scope comes back with a fresh window', async () => {
		const clock = new ManualClock();
		const server = new FakeOrigin();
		const api = createClient({ clock, store: memoryStore, fetch: server.fetch as typeof fetch, retry: 0, staleCache: false, breaker: false, adaptiveThrottle: adaptiveThrottle() });
		await api.get('https://first.test/');
		expect(api.stats()['https://first.test']).toMatchObject({ throttle: { requests: 1, accepts: 1 } });
		for (let done = 0; done < 2 * maxScopes; done += 50) {
			await Promise.all(Array.from({ length: 50 }, async (_, index) => api.get(`https://f${done + index}.test/`)));
		}

		await api.get('https://first.test/');
		expect(api.stats()['https://first.test']).toMatchObject({ throttle: { requests: 1, accepts: 1 } });
		api.close();
	});
});
