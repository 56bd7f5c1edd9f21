/**
 * Defect hunt, thirteenth round, second pass (Q), in real Chromium: an answer that varies on a header the
 * browser adds itself. The page's fetch sends `Referer` from the Request's `referrer` (and the page's URL for
 * `about:client`), `Origin` to another origin and its own `Accept-Language`; `request.headers` shows none of
 * them, so a copy made for one page's Referer answered any other. README "Stale cache": "`Vary: *` [is]
 * honoured": a Vary the request cannot be matched against keeps no copy; a `referrer` given is compared.
 */
import { describe, expect, inject, it } from 'vitest';
import { createClient, isStale } from '../../src/entries/index.js';

describe('Vary on a header the browser sends itself (Chromium)', () => {
	const setup = () => {
		const name = `vary-${Math.random().toString(36).slice(2)}`;
		let up = true;
		const transport = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
			if (!up) {
				throw new TypeError('Failed to fetch');
			}

			return fetch(input, init);
		};
		const api = createClient({ name, baseUrl: `${inject('baseUrl')}/`, fetch: transport, retry: 0, breaker: false });
		const stored: string[] = [];
		api.on('cache:stored', ({ url }) => stored.push(url));
		/** The answer's `Referer` while the origin is down: the copy's, or 'none'. */
		const stale = async (path: string, options = {}): Promise<string> => {
			up = false;
			try {
				const response = await api.get(path, options);
				return isStale(response) ? ((await response.json()) as { headers: Record<string, string> }).headers.referer ?? 'no referer' : 'fresh';
			} catch {
				return 'none';
			} finally {
				up = true;
			}
		};
		return { api, stored, stale, id: name };
	};

	it('Vary: Referer: a copy made for one `referrer` answers that referrer only', async () => {
		const { api, stored, stale, id } = setup();
		const path = `echo?id=${id}&vary=Referer&cc=max-age%3D0`;
		const page = (name: string) => ({ referrer: `${location.origin}/${name}?tab=1`, referrerPolicy: 'unsafe-url' as const });
		const sent = ((await api.get(path, page('a')).json()) as { headers: Record<string, string> }).headers.referer;
		// The browser sent it, from the Request's referrer (request.headers had none).
		expect(sent).toBe(`${location.origin}/a?tab=1`);
		await expect.poll(() => stored.length).toBe(1);
		expect(await stale(path, page('a'))).toBe(`${location.origin}/a?tab=1`);
		// Before: the copy for page a answered page b (its Referer: …/a?tab=1).
		expect(await stale(path, page('b'))).toBe('none');
		expect(await stale(path, { referrer: '' })).toBe('none');
		api.close();
	});

	it('Vary: Referer from the page (`about:client`, the page\'s URL as the browser\'s policy cuts it): no copy is kept, none answers', async () => {
		const { api, stored, stale, id } = setup();
		const path = `echo?id=${id}&vary=Referer&cc=max-age%3D0`;
		await api.get(path).json();
		await api.get(`echo?id=${id}&cc=max-age%3D0`).json();
		await expect.poll(() => stored).toEqual([`${inject('baseUrl')}/echo?id=${id}&cc=max-age%3D0`]);
		// Before: the copy was kept (stored first) and answered.
		expect(await stale(path)).toBe('none');
		api.close();
	});

	// The same for every call of the page (decided in round 13's second pass): compared as the request shows them,
	// as the Cache API matches them; never `Vary: *` (a CORS API's `Vary: Origin` would keep no copy).
	for (const vary of ['Origin', 'Accept-Language', 'User-Agent']) {
		it(`Vary: ${vary}, which the browser sends itself: the copy is kept and answers the page's next call`, async () => {
			const { api, stored, id } = setup();
			const path = `echo?id=${id}&vary=${vary}&cc=max-age%3D0`;
			await api.get(path).json();
			await expect.poll(() => stored.length).toBe(1);
			const answer = await api.get(path, { fetch: async () => {
				throw new TypeError('Failed to fetch');
			} }).catch(() => undefined);
			expect(answer && isStale(answer)).toBe(true);
			api.close();
		});
	}
});
