/**
 * Defect hunt, eighteenth round (the stale cache and the worker), in real Chromium with a registered service worker: a
 * page's `mode: 'no-cors'` request to the worker's own origin that the origin redirects to another origin. TSDoc of
 * fetchHandler: "a page's `mode: 'no-cors'` request to another origin than the worker's …: the page gets the browser's
 * own opaque answer, and nothing is retried, counted by the breaker or queued", "A `no-cors` request to the worker's own
 * origin is still handled", and "The server's answer reaches the page as fetched".
 */
import { describe, expect, it } from 'vitest';
import { serve } from '../helpers/node-server.js';
import { claimingWorker, controlledPage, workerForFile } from '../helpers/service-worker.js';

const hits: string[] = [];

const worker = (): string => `
import { createClient, outbox } from 'steadfetch';
import { fetchHandler } from 'steadfetch/sw';
const api = createClient({ name: 'sw-hunt18', outbox: outbox({ resumeJitterMs: 0, baseBackoffMs: 60_000 }) });
const handle = fetchHandler(api, { match: new URLPattern({ pathname: '/api/*' }) });
${claimingWorker()}`;

// The third party: its `/pixel` has no CORS headers (a page reads it only as an opaque answer).
const { chromium, pages } = workerForFile(async () => serve((request) => {
	hits.push(`${request.method} ${new URL(request.url).pathname}`);
	return new Response('gif');
}), worker, (third) => ({ '/api/away': `${third}/pixel`, '/api/here': '/dist/browser/index.js' }));

describe('fetchHandler in real Chromium: a page\'s no-cors request to the worker\'s origin, redirected to another origin', () => {
	it('five GETs and a HEAD get the opaque answer, as without the worker, the third party asked once each; the breaker stays closed; a same-origin redirect is still followed', async () => {
		const { context, page } = await controlledPage(chromium, pages);
		const seen = await page.evaluate(async () => {
			const shown = async (path: string, init: RequestInit = {}) => fetch(path, { ...init, mode: 'no-cors' }).then((response) => `${response.type} ${response.status}`, (error: Error) => error.name);
			const out = [];
			// Five: as many failures as open the breaker (`consecutiveFailures`), were they counted.
			for (let i = 0; i < 5; i++) {
				out.push(await shown('/api/away'));
			}

			out.push(await shown('/api/away', { method: 'HEAD' }));
			out.push(await shown('/api/here'));
			// An ordinary request of the worker's origin: the page server's own 404, not the breaker's 503.
			out.push(await fetch('/api/missing').then((response) => `${response.status} ${response.headers.get('steadfetch-error')}`));
			return out;
		});
		expect([seen, hits]).toEqual([
			['opaque 0', 'opaque 0', 'opaque 0', 'opaque 0', 'opaque 0', 'opaque 0', 'basic 200', '404 null'],
			['GET /pixel', 'GET /pixel', 'GET /pixel', 'GET /pixel', 'GET /pixel', 'HEAD /pixel'],
		]);
		await context.close();
	}, 90_000);
});
