/**
 * Defect hunt, forty-first round, in real Chromium: `referrer` and `window` are checked by steadfetch itself at
 * `createClient` in every build (workerd's Request ignores them: test/workerd/input-hunt41.test.ts). In a page a relative
 * `referrer` is a URL (the page resolves it) and stays accepted; a `window` other than null is refused in the words every
 * build uses. A call's own goes to Chromium's Request, which refuses a wrong one: named as before.
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/index.js';

let made = 0;

describe('`referrer` and `window` in Chromium', () => {
	it('a referrer the page resolves (a path, its own URL, \'\') is taken at createClient and per call, and goes out', async () => {
		let fetched = 0;
		for (const referrer of ['/page', location.href, '']) {
			const api = createClient({ store: memoryStore, name: `h41-chromium-${++made}`, retry: 0, referrer, fetch: async () => {
				fetched++;
				return new Response('ok');
			} });
			expect((await api.get(`${location.origin}/x`, { referrer })).status).toBe(200);
			api.close();
		}

		expect(fetched).toBe(3);
	});

	it('a window other than null: a TypeError naming `window`, in the words every build uses', () => {
		expect(() => createClient({ window: {} } as never)).toThrow(new TypeError("`window` is refused by fetch: 'window' option 'client' must be null"));
		expect(() => createClient({ window: null } as never).close()).not.toThrow();
	});
});
