/**
 * Defect hunt, sixteenth round: fetchHandler and request bodies. Each test names the claim it holds
 * the code to (API.md, the README, the TSDoc).
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { fetchHandler } from '../../src/entries/sw.js';
import { serve } from '../helpers/node-server.js';
import { fetchEvent as event } from '../helpers/fetch-event.js';

/** The digest `sha256-…` of the origin's body `body`; `wrong` is the empty string's. */
const right = 'sha256-Iw2DWNyOiJC0xY3utikS7i8gNXrpKlzIYbmOaP4xrLU=';
const wrong = 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';

describe('fetchHandler: a page\'s `integrity` is the page\'s check, never a dropped connection (TSDoc of fetchHandler: the page\'s request "with its … integrity"; README "Service worker": for a failure nothing answered, the server\'s last answer, else 503; an origin that answered has answered)', () => {
	it('a GET and a POST whose body does not match reach the origin once each (no retry), nothing is queued, and the breaker is not opened by them; the page gets the origin\'s answer for its browser to check', async () => {
		const hits: string[] = [];
		const origin = await serve((request) => {
			hits.push(`${request.method} ${new URL(request.url).pathname}`);
			return new Response('body', { headers: { 'cache-control': 'max-age=0' } });
		});
		const name = `h16-${Math.random()}`;
		// The preset's retries (2), its breaker and stale cache, and an outbox.
		const api = createClient({ name, store: () => memoryStore(name), outbox: outbox({ resumeJitterMs: 0, baseBackoffMs: 60_000 }) });
		const handle = fetchHandler(api, { match: () => true });
		const ask = async (path: string, init: RequestInit): Promise<string> => {
			const page = event(`${origin.url}${path}`, init);
			handle(page);
			const response = await page.answered.response!;
			return `${response.status} ${response.headers.get('cache-status') ?? ''}${await response.text()}`;
		};

		try {
			const seen = [];
			for (let i = 0; i < 3; i++) {
				seen.push(await ask('/a', { integrity: wrong }), await ask('/p', { method: 'POST', body: 'x', integrity: wrong }));
			}

			seen.push(await ask('/a', { integrity: right }), await ask('/a', {}));
			// The last plain GET reaches the origin: the breaker was not opened by the page's checks.
			expect([seen, hits, (await api.outbox.list()).length]).toEqual([
				[...Array.from({ length: 3 }, () => ['200 body', '200 body']).flat(), '200 body', '200 body'],
				[...Array.from({ length: 3 }, () => ['GET /a', 'POST /p']).flat(), 'GET /a', 'GET /a'],
				0,
			]);
		} finally {
			api.close();
			await origin.close();
		}
	});
});
