/**
 * Defect hunt, seventeenth round, second pass (area H), in real Chromium with a registered service worker: a page's
 * `cache: 'only-if-cached'` request is left to the browser (TSDoc of fetchHandler: "nor one whose `cache` is
 * `'only-if-cached'`, which a request made in the worker cannot carry: the browser answers it from its own HTTP cache
 * (or fails it), with no network").
 */
import { describe, expect, it } from 'vitest';
import { serve } from '../helpers/node-server.js';
import { claimingWorker, controlledPage, workerForFile } from '../helpers/service-worker.js';

// The worker takes its own origin's `/dist/*` (the page server serves the built package there).
const worker = () => `
import { createClient } from 'steadfetch';
import { fetchHandler } from 'steadfetch/sw';
const api = createClient({ name: 'sw-hunt17b', retry: 0 });
const handle = fetchHandler(api, { match: new URLPattern({ pathname: '/dist/*' }) });
${claimingWorker()}`;

const { chromium, pages } = workerForFile(async () => serve(() => new Response('unused')), worker);

describe('fetchHandler in real Chromium: a page\'s only-if-cached request', () => {
	it('of a file the browser never fetched fails as without the worker (never sent); a plain fetch of it is the worker\'s', async () => {
		const { context, page } = await controlledPage(chromium, pages);
		const seen = await page.evaluate(async () => {
			const shown = async (path: string, init: RequestInit) => fetch(path, init).then((response) => String(response.status), (error: Error) => error.name);
			// The steadfetch/sw entry: the page never imports it (the worker's copy is bundled into /sw.js).
			return [await shown('/dist/sw.js', { cache: 'only-if-cached', mode: 'same-origin' }), await shown('/dist/sw.js?plain', {})];
		});
		// Before: ['200', '200']: the worker took it and its client fetched it from the network for a page that asked for none.
		expect(seen).toEqual(['TypeError', '200']);
		await context.close();
	}, 90_000);
});
