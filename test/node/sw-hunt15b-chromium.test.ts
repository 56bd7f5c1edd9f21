/**
 * Defect hunt, fifteenth round, second pass (fetchHandler), in real Chromium with a registered service
 * worker: a page's `redirect` mode is kept (TSDoc of fetchHandler: "a `redirect: 'manual'` page gets the
 * redirect itself, an `'error'` one a network error for it"), for a read and for a write.
 */
import { describe, expect, it } from 'vitest';
import { serve } from '../helpers/node-server.js';
import { controlledPage, handlerWorker, openCors, workerForFile } from '../helpers/service-worker.js';

const hits: string[] = [];

const worker = handlerWorker(`{ name: 'sw-hunt15b', retry: 0 }`);

const { chromium, pages, origin } = workerForFile(async () => serve((request) => {
	const { pathname } = new URL(request.url);
	if (request.method !== 'OPTIONS') {
		hits.push(`${request.method} ${pathname}`);
	}

	return pathname === '/old' ? new Response(null, { status: request.method === 'POST' ? 303 : 302, headers: { ...openCors, location: '/new' } }) : new Response('target', { headers: openCors });
}), worker);

describe('fetchHandler in real Chromium: a page\'s redirect mode', () => {
	it('redirect: \'manual\' (a GET, a POST) gets the opaque redirect, as without the worker, and the target is never asked; \'error\' is no answer of the target; \'follow\' gets the target', async () => {
		const { context, page } = await controlledPage(chromium, pages);

		const seen = await page.evaluate(async (base) => {
			const shown = async (init: RequestInit) => fetch(`${base}/old`, init).then(async (response) => `${response.type} ${response.status}${response.status === 200 ? ` ${await response.text()}` : ''}`, (error: Error) => error.name);
			return [
				await shown({ redirect: 'manual' }),
				await shown({ method: 'POST', body: 'x', redirect: 'manual' }),
			];
		}, origin.url);
		expect([seen, hits]).toEqual([['opaqueredirect 0', 'opaqueredirect 0'], ['GET /old', 'POST /old']]);

		// redirect: 'error': the page's fetch fails (a network error), as without the worker; the origin asked once each, never retried.
		hits.length = 0;
		const error = await page.evaluate(async (base) => Promise.all([{}, { method: 'POST', body: 'x' }].map(async (init) => fetch(`${base}/old`, { ...init, redirect: 'error' })
			.then((response) => `${response.status}`, (error: Error) => error.name))), origin.url);
		expect([error, hits.sort()]).toEqual([['TypeError', 'TypeError'], ['GET /old', 'POST /old']]);
		const follow = await page.evaluate(async (base) => fetch(`${base}/old`).then(async (response) => `${response.status} ${await response.text()}`), origin.url);
		expect(follow).toBe('200 target');
		await context.close();
	}, 90_000);
});
