/**
 * Defect hunt, sixteenth round (fetchHandler and request bodies), in real Chromium with a registered service
 * worker: a page's `integrity` (TSDoc of fetchHandler: the page's request "with its … integrity") is checked as
 * without the worker: a body that does not match is a network error to the page, the origin asked once, nothing
 * queued, the breaker not opened; one that matches is the page's; a stale copy is checked as the network's answer is.
 */
import { describe, expect, it } from 'vitest';
import { serve } from '../helpers/node-server.js';
import { controlledPage, handlerWorker, openCors, workerForFile } from '../helpers/service-worker.js';

const hits: string[] = [];

const worker = handlerWorker(`{ name: 'sw-hunt16', outbox: outbox({ resumeJitterMs: 0, baseBackoffMs: 60_000 }) }`, { imports: 'createClient, outbox' });

const { chromium, pages, origin } = workerForFile(async () => serve((request) => {
	const { pathname } = new URL(request.url);
	if (request.method !== 'OPTIONS') {
		hits.push(`${request.method} ${pathname}`);
	}

	// `/down` answers once, then fails: the worker's stale copy answers it.
	return pathname === '/down' && hits.filter((hit) => hit === 'GET /down').length > 1 ? new Response('down', { status: 503, headers: openCors })
		: new Response('body', { headers: { ...openCors, 'cache-control': 'max-age=0' } });
}), worker);

/** The digest of the origin's body `body`; `wrong` is the empty string's. */
const right = 'sha256-Iw2DWNyOiJC0xY3utikS7i8gNXrpKlzIYbmOaP4xrLU=';
const wrong = 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';

describe('fetchHandler in real Chromium: a page\'s integrity', () => {
	it('a GET and a POST whose body does not match: TypeError, as without the worker, the origin asked once each, never retried nor queued; then a matching one and a plain one get the body', async () => {
		const { context, page } = await controlledPage(chromium, pages);
		const seen = await page.evaluate(async ([base, right, wrong]) => {
			const shown = async (init: RequestInit) => fetch(`${base}/a`, init).then(async (response) => `${response.status} ${await response.text()}`, (error: Error) => error.name);
			const out = [];
			for (let i = 0; i < 3; i++) {
				out.push(await shown({ integrity: wrong }), await shown({ method: 'POST', body: 'x', integrity: wrong }));
			}

			out.push(await shown({ integrity: right }), await shown({}));
			return out;
		}, [origin.url, right, wrong]);
		// The breaker would have opened after the failures the worker took them for: the last plain GET reaches the origin.
		expect([seen, hits]).toEqual([
			[...Array.from({ length: 3 }, () => ['TypeError', 'TypeError']).flat(), '200 body', '200 body'],
			[...Array.from({ length: 3 }, () => ['GET /a', 'POST /a']).flat(), 'GET /a', 'GET /a'],
		]);
		await context.close();
	}, 90_000);

	// Decided in the seventeenth round: "A call with `integrity` gets no stale copy (its bytes could not be checked): it fails as it would without a cache."
	it('a page\'s integrity gets no stale copy (the origin failing): whatever it says, the page\'s fetch fails (the server\'s failing answer is no body it names), while a plain fetch still gets the copy', async () => {
		const { context, page } = await controlledPage(chromium, pages);
		const seen = await page.evaluate(async ([base, right, wrong]) => {
			const shown = async (init: RequestInit) => fetch(`${base}/down`, init).then(async (response) => `${response.status} ${response.headers.get('cache-status')?.includes('hit') ?? false} ${await response.text()}`, (error: Error) => error.name);
			return [await shown({}), await shown({ integrity: wrong }), await shown({ integrity: right }), await shown({})];
		}, [origin.url, right, wrong]);
		expect(seen).toEqual(['200 false body', 'TypeError', 'TypeError', '200 true body']);
		await context.close();
	}, 90_000);
});

const referrers: string[] = [];
const policyWorker = handlerWorker(`{ name: 'sw-hunt16-referrer', retry: 0, referrerPolicy: 'no-referrer' }`);

const policy = workerForFile(async () => serve((request) => {
	referrers.push(`${new URL(request.url).pathname} ${request.headers.get('referer')}`);
	return new Response('ok', { headers: openCors });
}), policyWorker);

describe('fetchHandler in real Chromium: the client\'s referrer policy stands for a page that set none (TSDoc of fetchHandler: "what the page left at its default keeps the client\'s own")', () => {
	it('a worker\'s client with referrerPolicy: \'no-referrer\' sends a page\'s fetch(url) with no Referer; a page that sets its own policy has it', async () => {
		const { context, page } = await controlledPage(policy.chromium, policy.pages);
		const pageOrigin = await page.evaluate(async (base) => {
			await fetch(`${base}/default`);
			await fetch(`${base}/own`, { referrerPolicy: 'unsafe-url' });
			return location.origin;
		}, policy.origin.url);
		expect(referrers).toEqual(['/default null', `/own ${pageOrigin}/`]);
		await context.close();
	}, 90_000);
});

const bodies: string[] = [];
const bodyWorker = handlerWorker(`{ name: 'sw-hunt16-bodies', retry: 0 }`, { under: '/sw/' });

const body = workerForFile(async () => serve(async (request) => {
	if (request.method !== 'OPTIONS' || !request.headers.has('access-control-request-method')) {
		bodies.push(`${request.method} ${new URL(request.url).pathname} content-length=${request.headers.get('content-length')} ${await request.text()}`);
	}

	return new Response('ok', { headers: openCors });
}), bodyWorker);

describe('fetchHandler in real Chromium: a page\'s request without a body goes as without the worker (TSDoc of fetchHandler: "the same method, headers, body")', () => {
	it('a DELETE and an OPTIONS without a body reach the origin as the page\'s own fetch sends them (no Content-Length: 0); one with a body, an empty text or a POST as without the worker too', async () => {
		const { context, page } = await controlledPage(body.chromium, body.pages);
		await page.evaluate(async (base) => {
			for (const prefix of ['/raw', '/sw']) {
				await fetch(`${base}${prefix}/del`, { method: 'DELETE' });
				await fetch(`${base}${prefix}/opt`, { method: 'OPTIONS' });
				await fetch(`${base}${prefix}/with`, { method: 'DELETE', body: 'why' });
				await fetch(`${base}${prefix}/empty`, { method: 'DELETE', body: '' }); // An empty text: Content-Length: 0 as without the worker.
				await fetch(`${base}${prefix}/post`, { method: 'POST' });
			}
		}, body.origin.url);
		const raw = bodies.filter((line) => line.includes(' /raw/')).map((line) => line.replace('/raw/', '/'));
		expect([raw, bodies.filter((line) => line.includes(' /sw/')).map((line) => line.replace('/sw/', '/'))]).toEqual([raw, raw]);
		expect(raw).toEqual(['DELETE /del content-length=null ', 'OPTIONS /opt content-length=null ', 'DELETE /with content-length=3 why', 'DELETE /empty content-length=0 ', 'POST /post content-length=0 ']);
		await context.close();
	}, 90_000);
});

const cookies: string[] = [];
const credentialsWorker = handlerWorker(`{ name: 'sw-hunt16-credentials', retry: 0, credentials: 'include' }`);

const credentialed = workerForFile(async () => serve((request) => {
	if (request.method !== 'OPTIONS') {
		cookies.push(`${new URL(request.url).pathname} ${request.headers.get('cookie')}`);
	}

	const allowed = { 'access-control-allow-origin': request.headers.get('origin') ?? '*', 'access-control-allow-credentials': 'true', 'access-control-allow-headers': '*', vary: 'origin' };
	return new Response('ok', { headers: allowed });
}), credentialsWorker);

describe('fetchHandler in real Chromium: the client\'s credentials stand for a page that set none (TSDoc of fetchHandler: "what the page left at its default keeps the client\'s own")', () => {
	it('a worker\'s client with credentials: \'include\' sends a page\'s fetch(url) to its API (another port: cross-origin, same site) with the cookie; a page\'s credentials: \'omit\' has none', async () => {
		const { context, page } = await controlledPage(credentialed.chromium, credentialed.pages);
		await page.evaluate(async (base) => {
			document.cookie = 'sid=s1; path=/';
			await fetch(`${base}/default`);
			await fetch(`${base}/omit`, { credentials: 'omit' });
		}, credentialed.origin.url);
		expect(cookies).toEqual(['/default sid=s1', '/omit null']);
		await context.close();
	}, 90_000);
});
