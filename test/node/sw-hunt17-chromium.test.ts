/**
 * Defect hunt, seventeenth round (fetchHandler and the service worker), in real Chromium with a registered service
 * worker: a page's cross-origin `mode: 'no-cors'` request is left alone (decided this round; TSDoc of fetchHandler:
 * "false for a request it leaves alone … and a page's `mode: 'no-cors'` request to another origin"): the page gets the browser's own opaque
 * answer, the origin asked once, never retried, counted by the breaker nor queued.
 */
import { describe, expect, it } from 'vitest';
import { serve } from '../helpers/node-server.js';
import { controlledPage, handlerWorker, openCors, workerForFile } from '../helpers/service-worker.js';

const hits: string[] = [];

const worker = handlerWorker(`{ name: 'sw-hunt17', outbox: outbox({ resumeJitterMs: 0, baseBackoffMs: 60_000 }) }`, { imports: 'createClient, outbox' });

const { chromium, pages, origin } = workerForFile(async () => serve((request) => {
	const { pathname } = new URL(request.url);
	if (request.method !== 'OPTIONS') {
		hits.push(`${request.method} ${pathname}`);
	}

	// `/pixel` is a third party's kind of answer: no CORS headers (a page reads it only as an opaque answer).
	return pathname === '/pixel' ? new Response('gif') : new Response('data', { headers: openCors });
}), worker);

describe('fetchHandler in real Chromium: a page\'s cross-origin no-cors request', () => {
	it('three no-cors GETs and a no-cors POST get the opaque answer, as without the worker, the origin asked once each; the breaker stays closed (a cors GET then gets the origin\'s answer) and nothing is queued or replayed', async () => {
		const { context, page } = await controlledPage(chromium, pages);
		const seen = await page.evaluate(async (base) => {
			const shown = async (init: RequestInit) => fetch(`${base}/pixel`, { ...init, mode: 'no-cors' }).then((response) => `${response.type} ${response.status}`, (error: Error) => error.name);
			const out = [];
			for (let i = 0; i < 3; i++) {
				out.push(await shown({}));
			}

			out.push(await shown({ method: 'POST', body: 'x' }));
			out.push(await fetch(`${base}/data`).then(async (response) => `${response.status} ${await response.text()}`, (error: Error) => error.name));
			return out;
		}, origin.url);
		expect([seen, hits]).toEqual([
			['opaque 0', 'opaque 0', 'opaque 0', 'opaque 0', '200 data'],
			['GET /pixel', 'GET /pixel', 'GET /pixel', 'POST /pixel', 'GET /data'],
		]);
		await context.close();
	}, 90_000);
});
