/**
 * fetchHandler and a page's `mode: 'no-cors'` write to the worker's own origin (TSDoc of fetchHandler: "nor a `no-cors`
 * write … the page gets the browser's own answer (opaque from another origin), and nothing is retried, counted by the
 * breaker or queued; the write reaches the origin once, as without the worker"). Before, the worker's client sent it in
 * its `cors` mode: a redirect to another origin without CORS headers was a network error to it (counted by the breaker of
 * the worker's origin, the write queued by the outbox and replayed again and again: it reached the origin each time),
 * and a read's way out (asked once without following, then asked again as the page made it) would send a write twice.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { fetchHandler } from '../../src/entries/sw.js';
import { fetchEvent as event } from '../helpers/fetch-event.js';

const app = 'https://app.example';

afterEach(() => {
	vi.unstubAllGlobals();
});

/** A worker's client with an outbox whose origin redirects every request to another origin, as a browser's cors fetch fails it. */
const worker = () => {
	const sent: string[] = [];
	const name = `sw-no-cors-${Math.random()}`;
	const api = createClient({ name, store: () => memoryStore(name), staleCache: false, retry: 0, outbox: outbox({ resumeJitterMs: 0 }), random: () => 0.5,
		fetch: (async (input: Parameters<typeof fetch>[0]) => {
			const request = input as Request;
			sent.push(`${request.method} ${request.url} ${request.redirect}`);
			if (request.redirect === 'manual') {
				return new Response(null, { status: 302, headers: { location: 'https://collector.example/beacon' } });
			}

			throw new TypeError('Failed to fetch'); // The hop to another origin without CORS headers, in cors mode.
		}) as typeof fetch });
	return { api, sent };
};

describe('fetchHandler leaves a page\'s no-cors write to the browser', () => {
	const matches: Array<[string, () => Parameters<typeof fetchHandler>[1]['match']]> = [
		['a URLPattern without a hostname', () => new URLPattern({ pathname: '/api/*' })],
		['a function', () => () => true],
	];

	it.each(matches)('with %s: a no-cors POST (text, form, an empty body) returns false; nothing is sent, queued or counted by the breaker', async (_, match) => {
		vi.stubGlobal('location', new URL(`${app}/sw.js`));
		const { api, sent } = worker();
		try {
			const handle = fetchHandler(api, { match: match() });
			const bodies: BodyInit[] = ['x', new URLSearchParams({ a: '1' }), ''];
			const pages = bodies.map((body) => event(`${app}/api/beacon`, { method: 'POST', mode: 'no-cors', body }));
			const handled = pages.map(handle);
			const answers = await Promise.all(pages.map(async ({ answered }) => (await answered.response)?.status));
			// Before: [[true, true, true], [202, 202, 202], 3 POSTs sent by the client (followed: a network error), 3 entries queued, 3 failures].
			expect([handled, answers, sent.length, await api.outbox.size(), api.breaker(app).consecutiveFailures]).toEqual([[false, false, false], [undefined, undefined, undefined], 0, 0, 0]);
		} finally {
			api.close();
		}
	});

	it('a cors POST and a no-cors GET of the worker\'s origin are still handled (the GET asked without following its redirect)', async () => {
		vi.stubGlobal('location', new URL(`${app}/sw.js`));
		vi.stubGlobal('fetch', async () => new Response('by the browser'));
		const { api, sent } = worker();
		try {
			const handle = fetchHandler(api, { match: new URLPattern({ pathname: '/api/*' }) });
			const write = event(`${app}/api/beacon`, { method: 'POST', body: 'x' });
			const read = event(`${app}/api/pixel`, { mode: 'no-cors' });
			expect([handle(write), handle(read)]).toEqual([true, true]);
			expect([(await write.answered.response!).status, await (await read.answered.response!).text()]).toEqual([202, 'by the browser']);
			expect([sent.sort(), await api.outbox.size()]).toEqual([[`GET ${app}/api/pixel manual`, `POST ${app}/api/beacon follow`], 1]);
		} finally {
			api.close();
		}
	});
});
