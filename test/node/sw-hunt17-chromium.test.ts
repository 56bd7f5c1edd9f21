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

const uploads: string[] = [];
const uploadWorker = handlerWorker(`{ name: 'sw-hunt17-upload', retry: 0, outbox: outbox({ maxBodyBytes: 64, resumeJitterMs: 0, baseBackoffMs: 60_000 }) }`, { imports: 'createClient, outbox', under: '/sw/' });

const upload = workerForFile(async () => serve(async (request) => {
	if (request.method === 'OPTIONS') {
		return new Response(null, { headers: openCors });
	}

	// The body, its boundary (from its Content-Type) written as BOUNDARY.
	const boundary = /boundary=("?)([^";]+)\1/i.exec(request.headers.get('content-type') ?? '')?.[2] ?? '\u0000';
	uploads.push(`${new URL(request.url).pathname} ${new TextDecoder('latin1').decode(await request.arrayBuffer()).replaceAll(boundary, 'BOUNDARY')}`);
	return new URL(request.url).pathname.endsWith('/down') ? new Response('down', { status: 503, headers: openCors }) : new Response('ok', { headers: openCors });
}), uploadWorker);

describe('fetchHandler in real Chromium: a page\'s multipart body (TSDoc of fetchHandler: "the same method, headers, body")', () => {
	it('a hand-made one with a JSON part and a browser\'s FormData reach the origin as without the worker, the boundary aside; the FormData\'s text is still bounded by maxBodyBytes (a form over it, the origin failing: the origin\'s 503, not queued)', async () => {
		const { context, page } = await controlledPage(upload.chromium, upload.pages);
		const statuses = await page.evaluate(async (base) => {
			const json = '--XyZ\r\nContent-Disposition: form-data; name="meta"\r\nContent-Type: application/json\r\n\r\n{"a":1}\r\n--XyZ--\r\n';
			const form = () => {
				const made = new FormData();
				made.append('title', 'a "quoted"\r\nline');
				made.append('photo', new File(['bytes'], 'p.jpg', { type: 'image/jpeg' }));
				return made;
			};

			const out = [];
			for (const prefix of ['/raw', '/sw']) {
				out.push((await fetch(`${base}${prefix}/json`, { method: 'POST', body: json, headers: { 'content-type': 'multipart/form-data; boundary=XyZ' } })).status);
				out.push((await fetch(`${base}${prefix}/form`, { method: 'POST', body: form() })).status);
			}

			const long = form();
			long.append('long', 'x'.repeat(100));
			out.push((await fetch(`${base}/sw/down`, { method: 'POST', body: long })).status);
			return out;
		}, upload.origin.url);
		const raw = uploads.filter((line) => line.startsWith('/raw/')).map((line) => line.slice(4));
		expect([statuses, uploads.filter((line) => line.startsWith('/sw/') && !line.startsWith('/sw/down')).map((line) => line.slice(3))]).toEqual([[200, 200, 200, 200, 503], raw]);
		expect(raw[0]).toContain('Content-Type: application/json');
		await context.close();
	}, 90_000);
});
