/**
 * fetchHandler in real Chromium with a registered service worker: a page's `mode: 'no-cors'` write to the worker's own
 * origin that the origin redirects to another origin (TSDoc of fetchHandler: "nor a `no-cors` write (a POST, also to the
 * worker's origin, which may redirect it to another origin): the page gets the browser's own answer (opaque from another
 * origin), and nothing is retried, counted by the breaker or queued; the write reaches the origin once").
 */
import { describe, expect, it } from 'vitest';
import { serve } from '../helpers/node-server.js';
import { claimingWorker, controlledPage, workerForFile } from '../helpers/service-worker.js';

const hits: string[] = [];

const worker = (): string => `
import { createClient, outbox } from 'steadfetch';
import { fetchHandler } from 'steadfetch/sw';
const api = createClient({ name: 'sw-no-cors', outbox: outbox({ resumeJitterMs: 0, baseBackoffMs: 60_000 }) });
const handle = fetchHandler(api, { match: new URLPattern({ pathname: '/api/*' }) });
${claimingWorker()}`;

// The third party: its `/pixel` has no CORS headers (a page reads it only as an opaque answer).
const { chromium, pages } = workerForFile(async () => serve((request) => {
	hits.push(`${request.method} ${new URL(request.url).pathname}`);
	return new Response('ok');
}), worker, (third) => ({ '/api/beacon': `${third}/pixel` }));

describe('fetchHandler in real Chromium: a page\'s no-cors POST to the worker\'s origin, redirected to another origin', () => {
	it('five POSTs get the opaque answer, as without the worker, the third party asked once each; none queued; the breaker stays closed', async () => {
		const { context, page } = await controlledPage(chromium, pages);
		const seen = await page.evaluate(async () => {
			const out = [];
			// Five: as many failures as open the breaker (`consecutiveFailures`), were they counted.
			for (let i = 0; i < 5; i++) {
				out.push(await fetch('/api/beacon', { method: 'POST', mode: 'no-cors', body: `event ${i}` }).then((response) => `${response.type} ${response.status}`, (error: Error) => error.name));
			}

			// An ordinary request of the worker's origin: the page server's own 404, not the breaker's 503.
			out.push(await fetch('/api/missing').then((response) => `${response.status} ${response.headers.get('steadfetch-error')}`));
			return out;
		});
		// Before: each POST sent by the worker's client in cors mode, its hop to the third party a network error: told
		// queued ('basic 202'), counted by the breaker of the worker's origin, replayed later.
		expect([seen, hits]).toEqual([
			['opaque 0', 'opaque 0', 'opaque 0', 'opaque 0', 'opaque 0', '404 null'],
			['GET /pixel', 'GET /pixel', 'GET /pixel', 'GET /pixel', 'GET /pixel'],
		]);
		await context.close();
	}, 90_000);
});
